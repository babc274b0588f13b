"""``/api/v1``: a JSON API over the same service layer as the web pages.

Every route names its permission (``@requires``/``@public``, as on the web) and
declares its OpenAPI operation (``@operation``); ``/api/v1/openapi.json`` is
built from those declarations and the URL map.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.exceptions import HTTPException

from ..services.errors import ServiceError
from .edge import (
    authenticate,
    forget,
    handle_http_error,
    handle_service_error,
    hide_session,
    no_store,
)
from .spec import IdConverter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.url_value_preprocessor(hide_session)
bp.before_request(authenticate)
bp.after_request(no_store)
bp.teardown_request(forget)
bp.register_error_handler(ServiceError, handle_service_error)
bp.register_error_handler(HTTPException, handle_http_error)


def register(app: Flask) -> None:
    """Mount the API: its id converter, routes, token auth, JSON errors, no CSRF."""
    from ..extensions import csrf
    from . import approvals, meta, partners, processes  # noqa: F401 - routes

    app.url_map.converters["id"] = IdConverter
    csrf.exempt(bp)
    app.register_blueprint(bp)
