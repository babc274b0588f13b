"""Permission checks shared by every service."""

from __future__ import annotations

import logging

from ..domain.permissions import allowed
from ..domain.text import Reason
from ..models import User
from .errors import Forbidden

log = logging.getLogger("tracker.security")


def can(actor: User | None, action: str) -> bool:
    return actor is not None and actor.is_active and allowed(actor.role_keys, action)


def require(actor: User | None, action: str) -> None:
    """Raise ``Forbidden`` (and log it) unless ``actor`` may perform ``action``."""
    if not can(actor, action):
        log.warning("denied action=%s actor=%s", action, actor.id if actor else "-")
        raise Forbidden([Reason("forbidden")])
