"""Personal API tokens: create (secret shown once), revoke, authenticate.

A token acts exactly as its user: the API runs the same ``permissions.require``
checks against ``token.user``. Only a SHA-256 of the secret is stored (the
secret is 32 random bytes, so a fast hash is enough; nothing to brute-force).
A deactivated user's tokens and revoked tokens stop working at once.
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


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(actor: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``actor``; returns the row and the secret, which is never stored."""
    if not actor.is_active:
        raise Refused([Reason("forbidden")])
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(fields={"name": [Reason("required")]})
    if len(name) > NAME_MAX:
        raise Invalid(fields={"name": [Reason("too_long", {"max": NAME_MAX})]})
    secret = SCHEME + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        token_hash=digest(secret),
        prefix=secret[: len(SCHEME) + PREFIX_LEN],
    )
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", actor, obj=token, data={"name": name, "prefix": token.prefix})
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


def list_for(user: User) -> list[ApiToken]:
    """The user's tokens, live ones first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_dt.is_not(None), ApiToken.id.desc())
        )
    )


def authenticate(secret: str) -> ApiToken | None:
    """The live token for ``secret`` whose user is active, or None."""
    if not secret.startswith(SCHEME) or len(secret) > 200:
        return None
    token = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == digest(secret))
    ).first()
    if token is None or token.revoked_dt is not None or not token.user.is_active:
        return None
    return token


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
