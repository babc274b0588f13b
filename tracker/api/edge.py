"""The API's request edge: bearer tokens, JSON in and out, errors, paging, versions.

Authentication is by personal token only: the cookie session is hidden from
API requests (no cookies, hence no CSRF), and the token's user becomes
``current_user`` so every ``@requires`` and ``permissions.require`` check runs
exactly as for that user on the web.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

from flask import Response, current_app, g, jsonify, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from .. import clock
from ..db import writing
from ..extensions import db, login_manager
from ..models import User
from ..services import audit, tokens
from ..services.errors import Forbidden, Invalid, NotFound, Refused, ServiceError, Stale
from .spec import MAX_ID, PAGING, Operation, parse_fields

log = logging.getLogger("tracker.api")
T = TypeVar("T")

#: "Changed meanwhile" worded for a program. The web's reason says the page it shows
#: already holds the file as it is now; a client has no such page: it reads the file again.
STALE_TEXT = (
    "Ο φάκελος άλλαξε στο μεταξύ: διαβάστε τον ξανά για τη νέα του έκδοση, "
    "ελέγξτε και στείλτε ξανά.",
    "The file changed meanwhile: read it again for its new version, check it and send again.",
)

HTTP_TEXT: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Το αίτημα δεν είναι έγκυρο.", "The request is malformed."),
    401: (
        "unauthorized",
        "Απαιτείται έγκυρο προσωπικό διακριτικό (Authorization: Bearer).",
        "A valid personal token is required (Authorization: Bearer).",
    ),
    403: (
        "forbidden",
        "Δεν έχετε δικαίωμα για αυτή την ενέργεια.",
        "You are not allowed to do this.",
    ),
    404: ("not_found", "Δεν βρέθηκε.", "Not found."),
    405: ("method_not_allowed", "Η μέθοδος δεν επιτρέπεται.", "Method not allowed."),
    409: ("conflict", "Σύγκρουση με την τρέχουσα κατάσταση.", "Conflict with the current state."),
    412: ("changed_meanwhile", *STALE_TEXT),
    413: ("too_large", "Το αίτημα είναι πολύ μεγάλο.", "The request is too large."),
    415: (
        "unsupported_media_type",
        "Το σώμα του αιτήματος πρέπει να είναι JSON.",
        "The request body must be JSON.",
    ),
    422: ("invalid", "Τα στοιχεία δεν είναι αποδεκτά.", "The input is not acceptable."),
}

#: A 401 for a token that is good but past its ``expires_at``: its own code and words.
EXPIRED_TEXT = (
    "Το προσωπικό διακριτικό έχει λήξει· δημιουργήστε νέο στη σελίδα /account/tokens.",
    "The personal token has expired; create a new one at /account/tokens.",
)


def lang() -> str:
    """``Accept-Language`` (el or en), else the user's language, else Greek."""
    if request.headers.get("Accept-Language"):
        best = request.accept_languages.best_match(["el", "en"])
        if best:
            return best
    user = g.get("api_user")
    return str(user.language) if user is not None else "el"


def error_response(
    status: int, code: str | None = None, message: str | None = None, details: Any = None
) -> Response:
    default_code, el, en = HTTP_TEXT.get(status, ("error", "Σφάλμα.", "Error."))
    body = {
        "error": {
            "code": code or default_code,
            "message": message or (el if lang() == "el" else en),
            "details": details or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _details(exc: ServiceError, language: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if exc.fields:
        out["fields"] = {k: [r.to_dict(language) for r in v] for k, v in exc.fields.items()}
    if exc.reasons:
        out["reasons"] = [r.to_dict(language) for r in exc.reasons]
    return out


def record_denied(action: str = "") -> None:
    """A refused request leaves a history row (who, what, from where), as on the web."""
    actor = g.get("api_user")
    data = {"method": request.method, "path": request.path[:300], "action": action, "api": True}
    try:
        audit.record("access.denied", actor, data=data)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not record a denied API request")


def handle_service_error(exc: ServiceError) -> Response:
    """Invalid 422, Refused 409, Forbidden 403, NotFound 404, Stale 409 (412 with If-Match)."""
    db.session.rollback()
    if isinstance(exc, Forbidden):
        record_denied()
    language = lang()
    details = _details(exc, language)
    if isinstance(exc, Stale):
        status = 412 if g.get("api_if_match") else 409
        message = STALE_TEXT[0] if language == "el" else STALE_TEXT[1]
        reason = {"code": "changed_meanwhile", "message": message, "params": {}}
        return error_response(status, "changed_meanwhile", message, {"reasons": [reason]})
    if isinstance(exc, Invalid):
        return error_response(422, "invalid", None, details)
    if isinstance(exc, Forbidden):
        return error_response(403, "forbidden", None, details)
    if isinstance(exc, NotFound):
        return error_response(404, "not_found", None, details)
    if isinstance(exc, Refused):
        message = " ".join(r.text(language) for r in exc.reasons) or None
        return error_response(409, "refused", message, details)
    return error_response(exc.status, None, None, details)


def handle_http_error(exc: HTTPException) -> Response:
    db.session.rollback()
    status = exc.code or 500
    if status == 403:
        record_denied(str(g.get("denied_action", "")))
    details = getattr(exc, "api_details", None)
    message = getattr(exc, "api_message", None)
    return error_response(status, getattr(exc, "api_code", None), message, details)


class ApiError(HTTPException):
    """An HTTP error carrying a stable code and details for the JSON body."""

    def __init__(
        self, status: int, code: str | None = None, details: Any = None, message: str | None = None
    ) -> None:
        super().__init__()
        self.code = status
        self.api_code = code
        self.api_details = details
        self.api_message = message


def fail(status: int, code: str | None = None, details: Any = None) -> NoReturn:
    raise ApiError(status, code, details)


def hide_session(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Runs before every ``before_request`` hook: the cookie session never counts here."""
    g._login_user = login_manager.anonymous_user()


def no_store(response: Response) -> Response:
    """API answers carry personal data: never cached, whoever the user turned out to be."""
    response.headers["Cache-Control"] = "no-store"
    return response


def forget(exc: BaseException | None) -> None:
    """Drop the token's user at the end of the request, even when ``g`` outlives it (tests)."""
    for name in ("_login_user", "api_user", "api_if_match", "api_token_prefix"):
        g.pop(name, None)
    audit.api_token.set("")


def authenticate() -> None:
    """``Authorization: Bearer tt_…`` → the token's user, or 401 (public routes excepted)."""
    view = current_app.view_functions.get(request.endpoint or "")
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    now = clock.utcnow()
    token, why = (None, tokens.UNAUTHORIZED)
    if scheme.lower() == "bearer":
        token, why = tokens.check(secret.strip(), now)
    if token is None:
        if getattr(view, "permission", None) == "public":
            return
        if why == tokens.EXPIRED:
            log.info("api: expired token for %s %s", request.method, request.path)
            message = EXPIRED_TEXT[0] if lang() == "el" else EXPIRED_TEXT[1]
            raise ApiError(401, tokens.EXPIRED, message=message)
        log.info("api: no valid token for %s %s", request.method, request.path)
        fail(401)
    if tokens.needs_touch(token, now):
        token_id = token.id
        db.session.commit()  # end the read; record the use in its own short write
        with writing():
            tokens.touch(token_id, now)
            db.session.commit()
        token = db.session.get(tokens.ApiToken, token_id)
        assert token is not None
    g._login_user = g.api_user = token.user
    g.api_token = token
    g.api_token_prefix = token.prefix
    audit.api_token.set(token.prefix)  # every history row of this request names the token


def me() -> User:
    """The token's user as a plain object: services get the actor, never a proxy.

    (A proxy would re-resolve ``current_user`` later in the request, after other
    code may have reset ``g`` — e.g. building an email link in a nested context.)
    """
    user = g.get("api_user")
    if user is None:
        fail(401)
    return user  # type: ignore[no-any-return]


def op() -> Operation:
    view = current_app.view_functions[request.endpoint or ""]
    return view.openapi  # type: ignore[attr-defined,no-any-return]


def query_args() -> dict[str, Any]:
    """Query parameters as declared on the endpoint (unknown or bad ones: 422)."""
    fields = op().query
    values, errors = parse_fields(fields, request.args.to_dict(flat=True), query=True)
    if errors:
        raise Invalid(fields=errors)
    return values


def json_body() -> dict[str, Any]:
    """The JSON body checked against the endpoint's declared fields."""
    fields = op().body or ()
    if not request.is_json:
        fail(415)
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, RecursionError):
        fail(400, "bad_json")
    if not isinstance(data, dict):
        fail(400, "bad_json")
    values, errors = parse_fields(fields, data)
    if errors:
        raise Invalid(fields=errors)
    return values


_ETAG = re.compile(r'^(?:W/)?"v([0-9]{1,10})"$')


def seen_version(body_version: int | None) -> int | None:
    """The version the client saw: ``If-Match`` first, else the body's ``version``."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return body_version
    g.api_if_match = True
    if header == "*":
        return None
    found = _ETAG.match(header)
    if not found or int(found.group(1)) > MAX_ID:
        raise Stale()
    return int(found.group(1))


def commit(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One service call, one commit; a ServiceError rolls back (see the handler)."""
    result = call(*args, **kwargs)
    db.session.commit()
    return result


def paged(items: list[Any], page: int, per_page: int, total: int) -> Response:
    """A page in the body with ``next``/``prev`` links, mirrored in a ``Link`` header."""
    args = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}
    values = {**(request.view_args or {}), **args, "per_page": per_page}
    nxt = (
        url_for(request.endpoint or "", page=page + 1, **values)
        if page * per_page < total
        else None
    )
    prev = url_for(request.endpoint or "", page=page - 1, **values) if page > 1 else None
    response = jsonify(
        {
            "items": items,
            "page": page,
            "per_page": per_page,
            "total": total,
            "next": nxt,
            "prev": prev,
        }
    )
    links = [f'<{u}>; rel="{rel}"' for u, rel in ((nxt, "next"), (prev, "prev")) if u]
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def paging(values: Mapping[str, Any]) -> tuple[int, int]:
    page = int(values.get("page") or PAGING[0].default)
    per_page = int(values.get("per_page") or PAGING[1].default)
    return page, per_page


def with_etag(body: dict[str, Any], version: int, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = f'"v{version}"'
    return response
