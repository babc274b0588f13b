"""Personal API tokens: create (secret shown once), revoke, authenticate.

A token acts exactly as its user: the API runs the same ``permissions.require``
checks against ``token.user``. Only a SHA-256 of the secret is stored (the
secret is 32 random bytes, so a fast hash is enough; nothing to brute-force).
A deactivated user's tokens and revoked tokens stop working at once.

Every token expires: its owner picks a lifetime from ``LIFETIMES`` when making
it, so a secret that leaked and was forgotten stops working by itself. Expired
rows stay (they name the token in the history); they only stop authenticating.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from .. import clock
from ..domain.text import Reason
from ..extensions import db
from ..models import ApiToken, User
from . import audit
from .errors import Forbidden, Invalid, NotFound, Refused

#: Every token starts with this, so secret scanners and people recognise one.
SCHEME = "tt_"
PREFIX_LEN = 8
NAME_MAX = 80
#: ``last_used_dt`` is refreshed at most this often, so reads do not all become writes.
TOUCH_EVERY = timedelta(minutes=5)
#: The lifetimes a token may be given, in days; the page and the command line offer these.
LIFETIMES = (30, 90, 365)
DEFAULT_LIFETIME = 90

#: Why ``check`` refused a secret: the API answers 401 with this code.
UNAUTHORIZED = "unauthorized"
EXPIRED = "token_expired"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(actor: User, name: str, lifetime: int = DEFAULT_LIFETIME) -> tuple[ApiToken, str]:
    """A new token for ``actor`` that works for ``lifetime`` days (one of ``LIFETIMES``).

    Returns the row and the secret, which is never stored.
    """
    if not actor.is_active:
        raise Refused([Reason("forbidden")])
    name = " ".join((name or "").split())
    errors: dict[str, list[Reason]] = {}
    if not name:
        errors["name"] = [Reason("required")]
    elif len(name) > NAME_MAX:
        errors["name"] = [Reason("too_long", {"max": NAME_MAX})]
    if isinstance(lifetime, bool) or lifetime not in LIFETIMES:
        errors["lifetime"] = [Reason("unknown_value")]
    if errors:
        raise Invalid(fields=errors)
    secret = SCHEME + secrets.token_urlsafe(32)
    created = clock.utcnow()
    token = ApiToken(
        user_id=actor.id,
        name=name,
        token_hash=digest(secret),
        prefix=secret[: len(SCHEME) + PREFIX_LEN],
        created_dt=created,
        expires_at=created + timedelta(days=lifetime),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "token.create",
        actor,
        obj=token,
        data={"name": name, "prefix": token.prefix, "lifetime_days": lifetime},
    )
    return token, secret


def revoke(token_id: int, actor: User) -> ApiToken:
    """Revoke one of the actor's own tokens (revoking twice changes nothing).

    Someone else's token is ``Forbidden``: the edge answers 403 and records it.
    """
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound()
    if token.user_id != actor.id:
        raise Forbidden()
    if token.revoked_dt is None:
        token.revoked_dt = clock.utcnow()
        audit.record("token.revoke", actor, obj=token, data={"prefix": token.prefix})
        db.session.flush()
    return token


def is_expired(token: ApiToken, now: datetime | None = None) -> bool:
    """The one expiry rule: a token works until, not at, its ``expires_at``."""
    return (now or clock.utcnow()) >= token.expires_at


def list_for(user: User, now: datetime | None = None) -> list[ApiToken]:
    """The user's tokens, live ones first (neither revoked nor expired), newest first."""
    now = now or clock.utcnow()
    dead = sa.or_(ApiToken.revoked_dt.is_not(None), ApiToken.expires_at <= now)
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(sa.case((dead, 1), else_=0), ApiToken.id.desc())
        )
    )


def check(secret: str, now: datetime | None = None) -> tuple[ApiToken | None, str]:
    """The live token for ``secret`` whose user is active, or None and why not.

    ``EXPIRED`` is said only of a token that is otherwise good (known, not
    revoked, its user active), so a script's owner learns to make a new one;
    anything else is ``UNAUTHORIZED``, as before expiry existed.
    """
    if not secret.startswith(SCHEME) or len(secret) > 200:
        return None, UNAUTHORIZED
    token = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == digest(secret))
    ).first()
    if token is None or token.revoked_dt is not None or not token.user.is_active:
        return None, UNAUTHORIZED
    if is_expired(token, now):
        return None, EXPIRED
    return token, ""


def authenticate(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token for ``secret`` (known, not revoked nor expired, user active), or None."""
    return check(secret, now)[0]


def needs_touch(token: ApiToken, now: datetime) -> bool:
    return token.last_used_dt is None or now - token.last_used_dt >= TOUCH_EVERY


def touch(token_id: int, now: datetime) -> None:
    """Record use; a plain UPDATE so concurrent requests never conflict."""
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id)
        .values(last_used_dt=now)
        .execution_options(synchronize_session=False)
    )
