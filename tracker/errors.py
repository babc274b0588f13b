"""Generic error pages: no traceback, no SQL; the failed transaction is rolled back."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger("tracker.errors")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def handle_http(exc: HTTPException) -> tuple[object, int]:
    db.session.rollback()
    code = exc.code or 500
    if code == 403:
        from .views.access import record_denied

        record_denied()
    if _wants_json():
        return {
            "error": {
                "code": exc.name.lower().replace(" ", "_"),
                "message": exc.name,
                "details": {},
            }
        }, code
    return render_template("errors/error.html", code=code, name=exc.name), code


def handle_unexpected(exc: Exception) -> tuple[object, int]:
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    if _wants_json():
        return {
            "error": {"code": "internal_error", "message": "Internal error", "details": {}}
        }, 500
    return render_template("errors/error.html", code=500, name="Internal Server Error"), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    if not app.config.get("TESTING") or app.config.get("GENERIC_ERRORS_IN_TESTS", True):
        app.register_error_handler(Exception, handle_unexpected)
