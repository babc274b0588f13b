"""Personal API tokens: only a SHA-256 of the secret is kept, never the secret."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, now
from .users import User


class ApiToken(Base):
    """A bearer token that acts exactly as its user; shown once, revocable, expiring.

    ``expires_at`` is set once, at creation (the owner's chosen lifetime); the
    rule that reads it is ``services.tokens.is_expired``.
    """

    __tablename__ = "api_token"
    __table_args__ = (
        sa.CheckConstraint("length(token_hash) = 64", name="token_hash"),
        sa.CheckConstraint("length(name) > 0", name="name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_dt: Mapped[datetime] = mapped_column(default=now)
    last_used_dt: Mapped[datetime | None]
    revoked_dt: Mapped[datetime | None]
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_dt is not None
