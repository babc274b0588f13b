"""Route-level access control: every view names the action it performs.

``requires("process.view")`` logs in, checks the role × action matrix and
answers 403 (with a log line) otherwise; ``public`` marks the few pages an
anonymous visitor may reach. A test walks ``app.url_map`` and fails on any
view that has neither.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable, TypeVar

from flask import abort, g, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError
from wtforms import Field

from ..domain.permissions import MATRIX
from ..extensions import db
from ..security import mark_reauthenticated, recently_authenticated
from ..services import accounts, audit, logins
from ..services.permissions import can

log = logging.getLogger("tracker.security")

F = TypeVar("F", bound=Callable[..., Any])
AUTHENTICATED = "authenticated"


def requires(action: str) -> Callable[[F], F]:
    if action not in MATRIX and action != AUTHENTICATED:
        raise ValueError(f"unknown action {action!r}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if action != AUTHENTICATED and not can(current_user, action):
                log.warning(
                    "denied action=%s user=%s path=%s", action, current_user.id, request.path
                )
                g.denied_action = action
                abort(403)
            return view(*args, **kwargs)

        guarded = login_required(wrapped)
        guarded.permission = action  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    view.permission = "public"  # type: ignore[attr-defined]
    return view


def record_denied() -> None:
    """Every refused request leaves a history row: who, what, when and from where."""
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    data = {
        "method": request.method,
        "path": request.path[:300],
        "action": str(g.get("denied_action", "")),
    }
    try:
        audit.record("access.denied", actor, data=data)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not record a denied request")


def password_confirmed(field: Field) -> bool:
    """Re-authentication: a password given within 15 minutes, or typed again now.

    Wrong passwords here count towards the account's brute-force limit, so a
    stolen session cannot be used to guess the password.
    """
    if recently_authenticated():
        return True
    user = current_user._get_current_object()
    ip = request.remote_addr or ""
    if logins.blocked(user.email, ip):
        field.errors = [_("Too many failed attempts. Wait a while and try again.")]
        return False
    if field.data and accounts.verify_password(user, field.data):
        mark_reauthenticated()
        return True
    if field.data:
        logins.record(user.email, ip, success=False)
        audit.record("reauth.failure", user)
        db.session.commit()
    field.errors = [_("Confirm your password to continue.")]
    return False
