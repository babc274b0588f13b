"""Generic error pages: no traceback, no SQL; the failed transaction is rolled back.

A lost database connection (a restart, a failover, a pool that cannot hand
out a connection in time) is answered ``503`` with ``Retry-After``: the
request did nothing, and the next one gets a fresh connection
(``pool_pre_ping``).
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.globals import request_ctx
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger("tracker.errors")

FALLBACK_503 = (
    '<!doctype html><html lang="el"><meta charset="utf-8"><title>503</title>'
    "<h1>503</h1><p>Η υπηρεσία δεν είναι διαθέσιμη για λίγο· δοκιμάστε ξανά.</p>"
    "<p>The service is briefly unavailable; please try again.</p></html>"
)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def handle_http(exc: HTTPException) -> tuple[object, int]:
    db.session.rollback()
    code = exc.code or 500
    if request_ctx.url_adapter is None:
        # Refused before routing (an untrusted Host header): no page can be built
        # for a host we do not serve, so a bare answer without any link.
        return f"{code} {exc.name}\n", code
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


def _rollback() -> None:
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:  # the connection is gone: nothing left to undo
        log.warning("rollback after a lost connection failed; the session is discarded")
    db.session.remove()


def connection_lost(exc: Exception) -> bool:
    """A database that is (briefly) unreachable, as opposed to a bug in a query.

    Pool timeouts; disconnects SQLAlchemy detected (PostgreSQL restarted, a
    connection killed); psycopg's operational errors (connection refused,
    administrator shutdown); SQLite's "database is locked" after its busy timeout.
    """
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    module = type(orig).__module__
    if module.startswith("psycopg"):
        import psycopg

        return isinstance(orig, psycopg.OperationalError)
    return module.startswith("sqlite3") and "locked" in str(orig)


def handle_unavailable(exc: Exception) -> tuple[object, int] | tuple[object, int, dict[str, str]]:
    """The database went away mid-request: nothing was committed; try again shortly."""
    if not connection_lost(exc):
        return handle_unexpected(exc)
    _rollback()
    log.error("database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
    headers = {"Retry-After": "5"}
    if _wants_json():
        body = {"error": {"code": "unavailable", "message": "Service Unavailable", "details": {}}}
        return body, 503, headers
    try:
        page = render_template("errors/error.html", code=503, name="Service Unavailable")
    except Exception:  # noqa: BLE001 - the page needs the database (the user's name); it is gone
        log.warning("the 503 page could not be rendered; answering the plain one")
        _rollback()
        page = FALLBACK_503
    return page, 503, headers


def release_session(exc: BaseException | None) -> None:
    """End the request's session even when its connection died after the answer was made.

    Closing rolls back, which fails on a killed connection; the answer itself is
    complete (whatever it wrote was committed before), so it must not become a
    bare 500. Runs before Flask-SQLAlchemy's own teardown (registered later).
    """
    try:
        db.session.remove()
    except sa_exc.SQLAlchemyError:
        log.warning("closing a session whose connection was lost; the connection is discarded")
        db.session.registry.clear()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(release_session)
    app.register_error_handler(HTTPException, handle_http)
    for unavailable in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.register_error_handler(unavailable, handle_unavailable)
    if not app.config.get("TESTING") or app.config.get("GENERIC_ERRORS_IN_TESTS", True):
        app.register_error_handler(Exception, handle_unexpected)
