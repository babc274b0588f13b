"""Reminder rows and the email outbox: the database is the scheduler's truth."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, now
from .processes import Deadline
from .users import _in

REMINDER_STATUS = ("pending", "claimed", "sent", "cancelled")


class Reminder(Base):
    """One rung of a deadline's ladder at one moment; sent exactly once."""

    __tablename__ = "reminder"
    __table_args__ = (
        sa.CheckConstraint(_in("status", REMINDER_STATUS), name="status"),
        sa.UniqueConstraint(
            "deadline_id", "rung", "fire_dt", name="uq_reminder_deadline_rung_fire"
        ),
        sa.Index("ix_reminder_due", "status", "fire_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(sa.ForeignKey("deadline.id"), index=True)
    rung: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(20))
    fire_dt: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    claimed_dt: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    sent_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=now)

    deadline: Mapped[Deadline] = relationship()


OUTBOX_STATUS = ("pending", "sending", "sent", "failed", "digested")


class OutboxMessage(Base):
    """An email written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.CheckConstraint(_in("status", OUTBOX_STATUS), name="status"),
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        sa.Index("ix_outbox_due", "status", "digest", "next_attempt_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    to_name: Mapped[str] = mapped_column(sa.String(120), default="")
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text, default="")
    ics: Mapped[str | None] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(30), default="notice")
    digest: Mapped[str] = mapped_column(sa.String(10), default="immediate")
    process_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_dt: Mapped[datetime] = mapped_column(default=now)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_dt: Mapped[datetime] = mapped_column(default=now)
    sent_dt: Mapped[datetime | None]
    #: The digest message that carried this one (status "digested").
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox.id"))
    #: A failed message the administrator has dealt with (it stays failed, off the alarm).
    dismissed_dt: Mapped[datetime | None]


class CalendarFeed(Base):
    """A user's secret calendar-feed key: the signed URL is valid while this nonce stands.

    Revoking deletes the row (or a new link replaces the nonce), so every old URL dies.
    """

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(sa.String(64))
    created_dt: Mapped[datetime] = mapped_column(default=now)


class SchedulerLease(Base):
    """Who runs the scheduler now (SQLite; PostgreSQL uses an advisory lock instead)."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    acquired_dt: Mapped[datetime]
    expires_dt: Mapped[datetime]
