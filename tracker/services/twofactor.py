"""Optional second factor: time-based one-time codes (RFC 6238) with ``pyotp``.

Enrolment shows the secret as text (no QR image: nothing to fetch, nothing
to render from a third party) and turns on only after a correct code. A
code is accepted once: the last accepted time step is stored.
"""

from __future__ import annotations

import hmac

import pyotp

from .. import clock
from ..domain.text import Reason
from ..models import User
from . import audit
from .errors import Invalid, Refused
from .permissions import require

ISSUER = "Twinning Tracker"
STEP_SECONDS = 30


def new_secret() -> str:
    return pyotp.random_base32()


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an authenticator app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, one before or one after) whose code equals ``code``."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = int(clock.utcnow().timestamp())
    current = now // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def verify(user: User, code: str) -> bool:
    """Check a login code; a code, once accepted, never works again (no replay)."""
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def enable(user: User, secret: str, code: str) -> User:
    """Turn the second factor on once the user proves their app produces the right codes."""
    if user.totp_secret:
        raise Refused([Reason("totp_enabled")])
    step = _matching_step(secret, code)
    if step is None:
        raise Invalid(fields={"code": [Reason("totp_wrong")]})
    user.totp_secret = secret
    user.totp_last_step = step
    audit.record("totp.enable", user, obj=user)
    return user


def disable(user: User, actor: User) -> User:
    """Turn it off: the owner (after confirming the password) or an administrator (lost phone)."""
    if actor.id != user.id:
        require(actor, "user.manage")
    user.totp_secret = None
    user.totp_last_step = None
    audit.record("totp.disable", actor, obj=user, data={"email": user.email})
    return user


def required_for(user: User, require_admin_totp: bool) -> bool:
    """Administrators must have a second factor when the configuration says so."""
    return require_admin_totp and user.has_role("admin") and not user.totp_secret
