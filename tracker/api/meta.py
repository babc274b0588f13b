"""The OpenAPI document and "who am I"."""

from __future__ import annotations

from flask import Response, current_app, g, jsonify

from ..domain.permissions import MATRIX
from ..services.permissions import can
from ..views.access import AUTHENTICATED, public, requires
from . import bp
from .edge import me
from .serial import dt
from .spec import build_document, operation


@bp.get("/openapi.json")
@operation("This document (OpenAPI 3.1)", "OpenAPI", tags=("meta",), public=True)
@public
def openapi() -> Response:
    return jsonify(build_document(current_app))


@bp.get("/me")
@operation("The token's user, roles and permitted actions", "Me", tags=("meta",))
@requires(AUTHENTICATED)
def whoami() -> Response:
    user = me()
    token = g.api_token
    return jsonify(
        {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "language": user.language,
            "roles": sorted(user.role_keys),
            "permissions": sorted(a for a in MATRIX if can(user, a)),
            # A script learns when to ask its owner for a new token, before it stops working.
            "token": {
                "name": token.name,
                "prefix": token.prefix,
                "expires_at": dt(token.expires_at),
            },
        }
    )
