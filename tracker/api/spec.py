"""The OpenAPI 3.1 document, generated from the routes themselves.

Each endpoint declares its operation next to its code (``@operation``): query
parameters and body fields as ``Field`` objects, which both *validate* the
request and *describe* it, and the name of its response schema. The document
walks ``app.url_map``: a route without a declaration fails to build, so the
document cannot drift from the code (a test also compares both ways).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from flask import Flask
from werkzeug.routing import BaseConverter, ValidationError

from ..domain.text import Reason
from . import schemas

F = TypeVar("F", bound=Callable[..., Any])

MAX_ID = 2**31 - 1
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Dates outside this range are refused: calendars and timers are computed from them.
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2100, 12, 31)


class IdConverter(BaseConverter):
    """``<id:name>``: a positive database id that fits a 32-bit integer, else 404."""

    regex = r"[1-9][0-9]{0,9}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


class FieldError(Exception):
    def __init__(self, reason: Reason) -> None:
        self.reason = reason
        super().__init__(reason.code)


@dataclass(frozen=True)
class Field:
    """One query parameter or body property: its JSON Schema and its parser in one."""

    name: str
    type: str  # string | integer | boolean | date
    description: str = ""
    required: bool = False
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string" if self.type == "date" else self.type}
        if self.type == "date":
            out["format"] = "date"
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.pattern is not None:
            out["pattern"] = self.pattern
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.default is not None:
            out["default"] = self.default
        if self.description:
            out["description"] = self.description
        if self.nullable:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out

    def _invalid(self) -> FieldError:
        return FieldError(Reason("input_invalid", {"field": self.name}))

    def parse_query(self, raw: str) -> Any:
        """Query strings are text: read booleans and numbers from it."""
        if self.type == "boolean":
            if raw.lower() in ("true", "1", "yes"):
                return True
            if raw.lower() in ("false", "0", "no"):
                return False
            raise self._invalid()
        if self.type == "integer":
            if not re.fullmatch(r"-?[0-9]{1,12}", raw):
                raise self._invalid()
            return self.parse(int(raw))
        return self.parse(raw)

    def parse(self, value: Any) -> Any:
        """Check a JSON value against the declaration; return it typed."""
        if value is None:
            if self.nullable or not self.required:
                return None
            raise FieldError(Reason("required"))
        if self.type == "integer":
            return self._integer(value)
        if self.type == "boolean":
            if not isinstance(value, bool):
                raise self._invalid()
            return value
        if not isinstance(value, str):
            raise self._invalid()
        return self._date(value) if self.type == "date" else self._string(value)

    def _integer(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._invalid()
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise self._invalid()
        return value

    def _string(self, value: str) -> str:
        if self.max_length is not None and len(value) > self.max_length:
            raise FieldError(Reason("too_long", {"max": self.max_length}))
        if "\x00" in value or not _encodable(value):
            raise self._invalid()
        if self.enum is not None and value not in self.enum:
            raise FieldError(Reason("unknown_value"))
        if self.pattern is not None and not re.search(self.pattern, value):
            raise self._invalid()
        return value

    def _date(self, value: str) -> date:
        if not DATE_RE.match(value):
            raise self._invalid()
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise self._invalid() from None
        if not DATE_MIN <= day <= DATE_MAX:
            raise self._invalid()
        return day


def _encodable(value: str) -> bool:
    """Lone surrogates from JSON ``\\ud800`` escapes cannot be stored as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_fields(
    fields: Sequence[Field], data: Mapping[str, Any], query: bool = False
) -> tuple[dict[str, Any], dict[str, list[Reason]]]:
    """Typed values and per-field reasons; unknown names are refused too."""
    known = {f.name for f in fields}
    errors: dict[str, list[Reason]] = {
        name: [Reason("unknown_value")] for name in data if name not in known
    }
    values: dict[str, Any] = {}
    for f in fields:
        raw = data.get(f.name)
        if raw is None and f.name not in data:
            if f.required:
                errors[f.name] = [Reason("required")]
            values[f.name] = f.default
            continue
        try:
            values[f.name] = f.parse_query(raw) if query else f.parse(raw)
        except FieldError as exc:
            errors[f.name] = [exc.reason]
    return values, errors


@dataclass(frozen=True)
class Operation:
    """What an endpoint takes and gives, declared beside its code."""

    summary: str
    response: str | None
    status: int = 200
    description: str = ""
    query: tuple[Field, ...] = ()
    body: tuple[Field, ...] | None = None
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    paged: bool = False
    etag: bool = False
    if_match: bool = False
    public: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def operation(summary: str, response: str | None, **kw: Any) -> Callable[[F], F]:
    """Attach an ``Operation`` to a view; the document and the validation read it."""
    op = Operation(summary, response, **kw)

    def decorate(view: F) -> F:
        view.openapi = op  # type: ignore[attr-defined]
        return view

    return decorate


PAGING = (
    Field("page", "integer", "Page number, from 1.", minimum=1, maximum=100_000, default=1),
    Field(
        "per_page", "integer", "Items per page (at most 100).", minimum=1, maximum=100, default=25
    ),
)

_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "default": {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[a-z_]+$"},
    "string": {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[a-z_]+$"},
}

ERROR_TEXT = {
    400: "Malformed: not JSON, or text that cannot be stored (NUL, lone surrogates).",
    401: (
        "No valid bearer token: none, unknown, revoked or its user deactivated (`unauthorized`), "
        "or past its expiry (`token_expired`)."
    ),
    403: "The token's user may not do this.",
    404: "No such resource.",
    405: "Method not allowed.",
    409: "Refused by the workflow, or the file changed meanwhile.",
    412: "If-Match does not match the file's current version.",
    413: "The request body is too large.",
    415: "The body must be JSON.",
    422: "Invalid input: see details.fields.",
    500: "Unexpected failure; nothing was saved.",
    503: "The database is briefly unavailable; nothing was done. Retry after a few seconds.",
}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in _PATH_PARAM.findall(rule):
        schema = _CONVERTER_SCHEMAS[converter or "default"]
        params.append({"name": name, "in": "path", "required": True, "schema": dict(schema)})
    return _PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule), params


def _error_response(code: int) -> dict[str, Any]:
    return {
        "description": ERROR_TEXT.get(code, "Error"),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _body_schema(fields: Sequence[Field]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.name: f.schema() for f in fields},
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def _operation_doc(
    endpoint: str, op: Operation, path_params: list[dict[str, Any]]
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": endpoint.removeprefix("api."),
        "summary": op.summary,
        "tags": list(op.tags),
    }
    if op.description:
        doc["description"] = op.description
    params = list(path_params)
    params += [
        {
            "name": f.name,
            "in": "query",
            "required": f.required,
            "schema": {k: v for k, v in f.schema().items() if k != "description"},
            **({"description": f.description} if f.description else {}),
        }
        for f in op.query
    ]
    if op.if_match:
        params.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "The file's ETag as last seen (or send `version` in the body).",
                "schema": {"type": "string", "pattern": '^(W/)?"v[0-9]{1,10}"$'},
            }
        )
    if params:
        doc["parameters"] = params
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _body_schema(op.body)}},
        }
    ok: dict[str, Any] = {"description": "OK" if op.status == 200 else "Created"}
    if op.response:
        ok["content"] = {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{op.response}"}}
        }
    if op.etag:
        ok["headers"] = {
            "ETag": {
                "description": "The file's version, for If-Match.",
                "schema": {"type": "string"},
            }
        }
    responses: dict[str, Any] = {str(op.status): ok}
    codes = set(op.errors) | {400, 405, 500, 503}  # 400: any request can be malformed
    if not op.public:
        codes |= {401, 403}
    if op.query or op.body is not None:
        codes.add(422)
    if op.body is not None:
        codes |= {413, 415}
    if path_params:
        codes.add(404)
    if op.if_match:
        codes |= {409, 412}
    for code in sorted(codes):
        responses[str(code)] = _error_response(code)
    doc["responses"] = responses
    if not op.public:
        doc["security"] = [{"bearer": []}]
    else:
        doc["security"] = []
    return doc


def api_rules(app: Flask) -> list[Any]:
    """The url_map rules served by the API blueprint."""
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every ``/api/v1`` route."""
    from ..services.tokens import LIFETIMES

    lifetimes = ", ".join(str(days) for days in LIFETIMES)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(api_rules(app), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        op: Operation | None = getattr(view, "openapi", None)
        if op is None:
            raise RuntimeError(f"API route {rule.rule} has no @operation declaration")
        path, path_params = _path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            doc = _operation_doc(rule.endpoint, op, path_params)
            permission = getattr(view, "permission", None)
            if permission and permission != "public":
                doc["x-permission"] = permission
            paths.setdefault(path, {})[method.lower()] = doc
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Twinning Tracker API",
            "version": "1.0.0",
            "description": (
                "Files (twinnings, memoranda, network memberships) of the Municipality of "
                "Amarousion's international relations office. Authenticate with a personal "
                "token: `Authorization: Bearer tt_…`. A token acts exactly as its user. "
                'Errors always have the shape `{"error": {"code", "message", '
                '"details"}}`. Texts follow `Accept-Language` (el or en).'
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas.COMPONENTS,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "A personal API token created at /account/tokens; it expires after "
                        f"the lifetime chosen then ({lifetimes} days)."
                    ),
                }
            },
        },
    }
