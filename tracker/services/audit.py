"""Writing the append-only history."""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from ..extensions import db
from ..models import AuditLog, Process, User

log = logging.getLogger("tracker.audit")

#: The client address of the current request (set at the web edge), for history rows.
client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")
#: The prefix of the API token a request came with ("" on the web and in jobs): an action
#: through the API is not re-authenticated, so its history row names the token that did it.
api_token: contextvars.ContextVar[str] = contextvars.ContextVar("api_token", default="")


def _clean(value: Any) -> Any:
    """Strip CR/LF so user text can never forge a log line."""
    if isinstance(value, str):
        return value.replace("\r", "\\r").replace("\n", "\\n")
    return value


def record(
    action: str,
    actor: User | None,
    process: Process | None = None,
    obj: Any = None,
    data: dict[str, Any] | None = None,
    on_behalf_of: User | None = None,
) -> AuditLog:
    """Add one history row and one log line; the caller's transaction commits both."""
    if via := api_token.get():
        data = {**(data or {}), "via_token": via}
    row = AuditLog(
        action=action,
        actor_id=actor.id if actor else None,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
        process_id=process.id if process else None,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        data=data or {},
        ip=client_ip.get(),
    )
    db.session.add(row)
    log.info(
        "%s actor=%s process=%s object=%s:%s data=%s ip=%s",
        action,
        actor.id if actor else "-",
        process.id if process else "-",
        row.object_type or "-",
        row.object_id or "-",
        {k: _clean(v) for k, v in (data or {}).items()},
        _clean(row.ip) or "-",
    )
    return row
