"""Driving files with the real services, for the reminder tests."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from tests.services.support import vote
from tracker import clock, seed
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import ApprovalRequest, Deadline, OutboxMessage, Process, Reminder
from tracker.services import approvals, records
from tracker.services.errors import ServiceError


def today() -> date:
    return to_local(clock.utcnow()).date()


def _decide_and_commit(request: ApprovalRequest) -> None:
    try:
        approvals.decide(request.id, request.approver, "approved")
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()


def approve_all(process: Process) -> None:
    """Every pending approver of the open steps approves, group after group; commits."""
    seed.approve_all(process, decide=_decide_and_commit)


def external(process: Process, kind: str, outcome: str, staff: object) -> None:
    records.record_external(process.id, kind, outcome, today(), staff)  # type: ignore[arg-type]
    db.session.commit()


def to_drafting(process: Process, staff: object) -> None:
    approve_all(process)  # head opens contact
    external(process, "partner_reply", "positive", staff)
    approve_all(process)  # mayor signs the letter
    external(process, "partner_loi_reply", "positive", staff)


def open_deadline(process: Process, state: str | None = None) -> Deadline:
    stmt = sa.select(Deadline).where(Deadline.process_id == process.id, Deadline.status == "open")
    if state is not None:
        stmt = stmt.where(Deadline.state == state)
    return db.session.scalars(stmt.order_by(Deadline.id.desc())).first()  # type: ignore[return-value]


def reminders_of(deadline: Deadline, status: str | None = None) -> list[Reminder]:
    stmt = sa.select(Reminder).where(Reminder.deadline_id == deadline.id)
    if status is not None:
        stmt = stmt.where(Reminder.status == status)
    return list(db.session.scalars(stmt.order_by(Reminder.fire_dt, Reminder.id)))


def outbox(prefix: str = "") -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.idempotency_key.startswith(prefix))
            .order_by(OutboxMessage.id)
        )
    )


def to_council(process: Process, staff: object) -> None:
    """Through drafting sign-offs and the agenda, to the council's vote."""
    to_drafting(process, staff)
    approve_all(process)


def council_approves(
    process: Process, staff: object, posted: date, number: str = "214/2027"
) -> None:
    records.record_council_decision(
        process.id,
        vote(session_date=posted - timedelta(days=2), decision_number=number, posted_on=posted),
        staff,  # type: ignore[arg-type]
    )
    db.session.commit()
