"""A file (agreement process) and everything that happens to it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.definitions import KINDS, WorkflowDef, load_definition
from .base import Base, now
from .partners import Authority
from .users import User, _in


class WorkflowVersion(Base):
    """One version of a workflow definition, stored as validated JSON data."""

    __tablename__ = "workflow_version"
    __table_args__ = (
        sa.UniqueConstraint("name", "version", name="uq_workflow_version_name_version"),
        sa.CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_dt: Mapped[datetime] = mapped_column(default=now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    _cache: ClassVar[dict[tuple[Any, ...], WorkflowDef]] = {}

    @property
    def definition(self) -> WorkflowDef:
        """Validated definition; a stored version never changes, so it is cached.

        The key is more than the row id: ids restart after a database is emptied
        (tests, a restore), and a different version must never be served.
        """
        if self.id is None:
            return load_definition(self.data)
        key = (self.id, self.name, self.version, self.created_dt)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = load_definition(self.data)
        return found


class Process(Base):
    """A file: one agreement with one partner, moving through one workflow version."""

    __tablename__ = "process"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("authority.id"), index=True)
    workflow_id: Mapped[int] = mapped_column(sa.ForeignKey("workflow_version.id"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)
    is_closed: Mapped[bool] = mapped_column(default=False, index=True)
    flags: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    signed_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    created_dt: Mapped[datetime] = mapped_column(default=now)
    updated_dt: Mapped[datetime] = mapped_column(default=now)

    partner: Mapped[Authority] = relationship(lazy="joined")
    workflow: Mapped[WorkflowVersion] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship()
    steps: Mapped[list[Step]] = relationship(
        back_populates="process", order_by="Step.id", cascade="all, delete-orphan"
    )

    @property
    def definition(self) -> WorkflowDef:
        return self.workflow.definition


STEP_STATUS = ("open", "done", "cancelled")


class Step(Base):
    """One stay of a process in one state; the open ones are its current states."""

    __tablename__ = "step"
    __table_args__ = (
        sa.CheckConstraint(_in("status", STEP_STATUS), name="status"),
        sa.CheckConstraint("(status = 'open') = (left_dt IS NULL)", name="open_has_no_end"),
        sa.CheckConstraint("round >= 1", name="round"),
        sa.Index(
            "uq_step_open_state",
            "process_id",
            "state",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    round: Mapped[int] = mapped_column(default=1)
    entered_dt: Mapped[datetime] = mapped_column(default=now)
    left_dt: Mapped[datetime | None]
    entered_by_transition: Mapped[str | None] = mapped_column(sa.String(40))
    left_by_transition: Mapped[str | None] = mapped_column(sa.String(40))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    process: Mapped[Process] = relationship(back_populates="steps")


DEADLINE_KINDS = ("step", "appeal", "expiry", "review", "report")
DEADLINE_STATUS = ("open", "met", "cancelled")


class Deadline(Base):
    """A due moment with its reminder ladder: a step's deadline or a statutory timer."""

    __tablename__ = "deadline"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", DEADLINE_KINDS), name="kind"),
        sa.CheckConstraint(_in("status", DEADLINE_STATUS), name="status"),
        sa.CheckConstraint("due_dt >= start_dt", name="after_start"),
        sa.CheckConstraint("sequence >= 0", name="sequence"),
        sa.CheckConstraint(
            "NOT is_statutory OR due_dt >= original_due_dt", name="statutory_not_shortened"
        ),
        sa.Index("ix_deadline_open_due", "status", "due_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("step.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    state: Mapped[str | None] = mapped_column(sa.String(40))
    start_dt: Mapped[datetime]
    due_dt: Mapped[datetime]
    original_due_dt: Mapped[datetime]
    unit: Mapped[str] = mapped_column(sa.String(10), default="calendar")
    is_statutory: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    closed_dt: Mapped[datetime | None]
    ladder: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    countries: Mapped[str] = mapped_column(sa.String(20), default="GR")
    sequence: Mapped[int] = mapped_column(default=0)
    uid: Mapped[str] = mapped_column(sa.String(80), unique=True)

    process: Mapped[Process] = relationship()
    step: Mapped[Step | None] = relationship()
    extensions: Mapped[list[DeadlineExtension]] = relationship(
        back_populates="deadline", order_by="DeadlineExtension.id"
    )


class DeadlineExtension(Base):
    __tablename__ = "deadline_extension"
    __table_args__ = (sa.CheckConstraint("length(reason) > 0", name="reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(sa.ForeignKey("deadline.id"), index=True)
    old_due_dt: Mapped[datetime]
    new_due_dt: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_dt: Mapped[datetime] = mapped_column(default=now)

    deadline: Mapped[Deadline] = relationship(back_populates="extensions")
    actor: Mapped[User | None] = relationship()


APPROVAL_STATUS = ("pending", "approved", "rejected", "sent_back", "void")


class ApprovalRequest(Base):
    """One approver's part in one round of a step's sign-off."""

    __tablename__ = "approval_request"
    __table_args__ = (
        sa.CheckConstraint(_in("status", APPROVAL_STATUS), name="status"),
        sa.CheckConstraint("round >= 1", name="round"),
        sa.CheckConstraint("group_index >= 0", name="group_index"),
        sa.CheckConstraint(
            "requester_id IS NULL OR requester_id <> approver_id", name="not_own_request"
        ),
        sa.CheckConstraint("status <> 'pending' OR decided_dt IS NULL", name="pending_undecided"),
        sa.CheckConstraint(
            "status NOT IN ('approved', 'rejected', 'sent_back') OR decided_dt IS NOT NULL",
            name="decided_has_time",
        ),
        sa.UniqueConstraint(
            "step_id", "round", "approver_id", name="uq_approval_request_step_round_approver"
        ),
        sa.Index("ix_approval_request_approver_status", "approver_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id"), index=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("step.id"))
    state: Mapped[str] = mapped_column(sa.String(40))
    round: Mapped[int] = mapped_column(default=1)
    group_index: Mapped[int] = mapped_column(default=0)
    approver_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    requester_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_dt: Mapped[datetime] = mapped_column(default=now)
    decided_dt: Mapped[datetime | None]

    process: Mapped[Process] = relationship()
    step: Mapped[Step] = relationship()
    approver: Mapped[User] = relationship(foreign_keys=[approver_id], lazy="joined")
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id])


COUNCIL_PURPOSES = ("start", "approval", "travel", "termination", "renewal")


class CouncilDecision(Base):
    """A municipal council vote as recorded from the minutes and Diavgeia."""

    __tablename__ = "council_decision"
    __table_args__ = (
        sa.CheckConstraint(_in("purpose", COUNCIL_PURPOSES), name="purpose"),
        sa.CheckConstraint(_in("outcome", ("approved", "rejected")), name="outcome"),
        sa.CheckConstraint("phase IS NULL OR phase IN ('A', 'B', 'joint')", name="phase"),
        sa.CheckConstraint(
            "members >= 1 AND present >= 0 AND votes_for >= 0 AND against >= 0 AND abstain >= 0",
            name="non_negative",
        ),
        sa.CheckConstraint("present <= members", name="present_le_members"),
        sa.CheckConstraint("votes_for + against + abstain <= present", name="votes_le_present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    phase: Mapped[str | None] = mapped_column(sa.String(5))
    session_date: Mapped[date]
    session_number: Mapped[str] = mapped_column(sa.String(40), default="")
    decision_number: Mapped[str] = mapped_column(sa.String(40))
    ada: Mapped[str] = mapped_column(sa.String(40), default="")
    posted_on: Mapped[date | None]
    members: Mapped[int]
    present: Mapped[int]
    votes_for: Mapped[int]
    against: Mapped[int]
    abstain: Mapped[int]
    outcome: Mapped[str] = mapped_column(sa.String(10))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_dt: Mapped[datetime] = mapped_column(default=now)


EXTERNAL_KINDS = (
    "partner_reply",
    "partner_loi_reply",
    "partner_decision",
    "ministry_decision",
    "appeal",
    "signing",
    "partner_reorganised",
)


class ExternalEvent(Base):
    """What someone outside the system did, as recorded by staff."""

    __tablename__ = "external_event"
    __table_args__ = (sa.CheckConstraint(_in("kind", EXTERNAL_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    outcome: Mapped[str] = mapped_column(sa.String(20), default="")
    event_date: Mapped[date]
    reference: Mapped[str] = mapped_column(sa.String(120), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_dt: Mapped[datetime] = mapped_column(default=now)


class Document(Base):
    """Metadata of an uploaded file; the bytes live outside the web root."""

    __tablename__ = "document"
    __table_args__ = (
        sa.CheckConstraint("size >= 0", name="size"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(30), default="other")
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100), default="")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_dt: Mapped[datetime] = mapped_column(default=now)

    uploaded_by: Mapped[User | None] = relationship()


class Comment(Base):
    __tablename__ = "comment"
    __table_args__ = (sa.CheckConstraint("length(body) > 0", name="body"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("process.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(default=now)

    author: Mapped[User] = relationship(lazy="joined")
