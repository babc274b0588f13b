"""The append-only history: every change, login and refusal, with who and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from .base import Base, now
from .users import User


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_process_created", "process_id", "created_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(default=now)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    process_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process.id"))
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    object_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str] = mapped_column(sa.String(64), default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class AuditImmutable(RuntimeError):
    """Raised when code tries to change or delete a history row."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, context: Any, instances: Any) -> None:
    """History is append-only in the application (PostgreSQL also has a trigger)."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditLog) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditImmutable("audit log rows cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    """``update(AuditLog)`` / ``delete(AuditLog)`` statements bypass the flush guard above."""
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) == AuditLog.__tablename__:
            raise AuditImmutable("audit log rows cannot be changed or deleted")


class LoginAttempt(Base):
    """Login attempts, counted in the database so every worker shares the limit."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_email_created", "email", "created_dt"),
        sa.Index("ix_login_attempt_ip_created", "ip", "created_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip: Mapped[str] = mapped_column(sa.String(64))
    success: Mapped[bool]
    # "password", "totp" (second-factor code) or "reset" (reset-link request).
    kind: Mapped[str] = mapped_column(sa.String(10), default="password", server_default="password")
    created_dt: Mapped[datetime] = mapped_column(default=now)
