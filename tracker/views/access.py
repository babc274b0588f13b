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

from flask import abort, request
from flask_login import current_user, login_required

from ..domain.permissions import MATRIX
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
                abort(403)
            return view(*args, **kwargs)

        guarded = login_required(wrapped)
        guarded.permission = action  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    view.permission = "public"  # type: ignore[attr-defined]
    return view
