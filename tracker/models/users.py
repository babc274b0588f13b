"""People who log in, their roles and their stand-ins."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

from ..domain.roles import ROLE_KEYS
from .base import Base, now

NOTIFY = ("immediate", "daily", "weekly")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class role_list(GenericFunction[str]):  # noqa: N801 - a SQL function name
    """The role keys of a group joined by commas (role keys never contain one)."""

    type = sa.String()
    inherit_cache = True


@compiles(role_list, "postgresql")
def _role_list_pg(element: role_list, compiler: SQLCompiler, **kw: object) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


@compiles(role_list)
def _role_list_default(element: role_list, compiler: SQLCompiler, **kw: object) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (sa.CheckConstraint(_in("role", ROLE_KEYS), name="role"),)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(_in("language", ("el", "en")), name="language"),
        sa.CheckConstraint(_in("notify", NOTIFY), name="notify"),
        sa.CheckConstraint("session_version >= 1", name="session_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    language: Mapped[str] = mapped_column(sa.String(2), default="el")
    notify: Mapped[str] = mapped_column(sa.String(10), default="immediate")
    is_active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    session_version: Mapped[int] = mapped_column(default=1)
    created_dt: Mapped[datetime] = mapped_column(default=now)
    last_login_dt: Mapped[datetime | None]
    password_changed_dt: Mapped[datetime | None]
    # Optional second factor: base32 TOTP secret, and the last time step accepted
    # (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None]
    # The roles as one column of the user's own SELECT (a correlated subquery), so a
    # permission check needs no second query; see ``role_keys``.
    _role_list: Mapped[str | None] = column_property(
        sa.select(role_list(UserRole.role))
        .where(UserRole.user_id == id)
        .correlate_except(UserRole)
        .scalar_subquery()
    )

    # Loaded only when code touches the rows (editing roles); permission checks read
    # ``role_keys``, which comes with the user's own SELECT (``_role_list`` below), so
    # loading an actor, an approver or an owner is one statement, not two.
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select"
    )

    # Flask-Login protocol. The id carries the session version, so bumping the
    # version (logout, password change, deactivation) ends every session at once.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_keys(self) -> frozenset[str]:
        """The user's roles: from the loaded rows when code has them (and may have
        changed them), else from the value read with the user's own row."""
        if "roles" in self.__dict__:
            return frozenset(r.role for r in self.roles)
        return frozenset(self._role_list.split(",")) if self._role_list else frozenset()

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_keys & set(roles))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Delegation(Base):
    """An approver's substitute for a date range (Europe/Athens dates, inclusive)."""

    __tablename__ = "delegation"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="range"),
        sa.CheckConstraint("user_id <> substitute_id", name="not_self"),
        sa.Index("ix_delegation_user_dates", "user_id", "start_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    substitute_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    start_date: Mapped[date]
    end_date: Mapped[date]
    created_dt: Mapped[datetime] = mapped_column(default=now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    is_cancelled: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id])
