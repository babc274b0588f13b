"""The reminder sweep: due reminder rows become outbox messages, each exactly once.

Rows are created with their deadline (``services.deadlines.schedule``), so the
database always says what is due; the sweep only has to pick it up:

1. :func:`claim_due` marks due rows ``claimed`` by this worker. On PostgreSQL the
   candidate rows are locked with ``FOR UPDATE SKIP LOCKED`` so two schedulers never
   claim the same row; on SQLite the write transaction (``BEGIN IMMEDIATE``) makes
   the ``UPDATE … WHERE status = 'pending'`` claim atomic. Claims left by a worker
   that died are released after :data:`STALE_CLAIM`.
2. :func:`process` (one transaction per reminder) checks the reminder still belongs
   to the deadline as it stands now, resolves who receives it, writes one outbox
   row per person (unique idempotency key ``reminder:<id>:u<user>``) and marks the
   reminder ``sent``. If two workers ever process the same row, the unique key
   lets only one of them commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..domain.approvals import Vote, may_decide
from ..domain.calendar import calendar_for, to_local
from ..domain.ladders import DEFAULT_TO, fire_times, repeat_times
from ..domain.roles import ROLE_KEYS
from ..extensions import db
from ..models import ApprovalRequest, Deadline, Process, Reminder, Step, User
from . import notifications
from .approvals import holders, substitute_for
from .deadlines import ladder_of

log = logging.getLogger("tracker.reminders")

#: A claim older than this belongs to a worker that died; the row is swept again.
STALE_CLAIM = timedelta(minutes=10)
#: Repeating ladders (every N days while open) are kept materialised this far ahead.
TOP_UP_AHEAD = timedelta(days=120)


def _unindexed(column: Any) -> Any:
    """The column as an expression no index can serve.

    The claim's ``id IN (…) AND status = …`` must be answered by the primary key;
    without statistics SQLite would pick the (status, fire_dt) index and walk
    every pending row instead.
    """
    return sa.func.coalesce(column, "")


def claim_due(now: datetime, worker: str, limit: int = 200) -> list[int]:
    """Claim up to ``limit`` due reminders for ``worker``; returns their ids, oldest first."""
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.status == "claimed", Reminder.claimed_dt < now - STALE_CLAIM)
        .values(status="pending", claimed_dt=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    due = (
        sa.select(Reminder.id)
        .where(Reminder.status == "pending", Reminder.fire_dt <= now)
        .order_by(Reminder.fire_dt, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(due))
    if not ids:
        return []
    claimed = db.session.scalars(
        sa.update(Reminder)
        .where(Reminder.id.in_(ids), _unindexed(Reminder.status) == "pending")
        .values(status="claimed", claimed_dt=now, claimed_by=worker[:80])
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def is_current(reminder: Reminder, deadline: Deadline) -> bool:
    """Whether the reminder still belongs to the deadline as it stands.

    A step deadline that is met or cancelled reminds nobody; a timer (appeal
    window) that has elapsed still announces its closing. A reminder from before
    an extension no longer matches the recomputed ladder and is dropped.
    """
    if deadline.status == "cancelled" or (deadline.kind == "step" and deadline.status != "open"):
        return False
    ladder = ladder_of(deadline)
    if ladder is None:
        return False
    cal = calendar_for(deadline.countries.split(","))
    if reminder.rung == "repeat":
        if not ladder.repeat_every_days:
            return False
        moments = repeat_times(ladder, deadline.start_dt, reminder.fire_dt, cal=cal)
        return reminder.fire_dt in moments
    return any(
        rung.key == reminder.rung and moment == reminder.fire_dt
        for rung, moment in fire_times(ladder, deadline.start_dt, deadline.due_dt, cal)
    )


def _pending_approvers(step: Step) -> list[ApprovalRequest]:
    """Undecided requests of the step's current round whose group may decide now.

    With ordered groups (head, then deputy mayor, then the committee) only the
    group whose turn it is must act; the later ones are not reminded yet.
    """
    spec = step.process.definition.states[step.state].approval
    rows = list(
        db.session.scalars(
            sa.select(ApprovalRequest)
            .where(
                ApprovalRequest.step_id == step.id,
                ApprovalRequest.round == step.round,
                ApprovalRequest.status != "void",
            )
            .order_by(ApprovalRequest.group_index, ApprovalRequest.id)
        )
    )
    if spec is None:
        return []
    votes = [Vote(r.approver_id, r.group_index, r.status) for r in rows]  # type: ignore[arg-type]
    return [r for r in rows if may_decide(spec, votes, r.approver_id, r.group_index)]


def waiting_on(deadline: Deadline) -> list[User]:
    """Who must act now: the pending approvers of the step's current round, else the owner."""
    step = db.session.get(Step, deadline.step_id) if deadline.step_id else None
    if step is not None and step.status == "open":
        approvers = [r.approver for r in _pending_approvers(step)]
        if approvers:
            return approvers
    owner = deadline.process.owner
    return [owner] if owner is not None else []


def recipients(deadline: Deadline, groups: tuple[str, ...], now: datetime) -> list[User]:
    """Resolve recipient groups ("assignees", "approvers", "owner", role names) to people.

    Someone on leave today is replaced by their stand-in (one level, as for
    approvals); inactive accounts receive nothing; nobody is counted twice.
    """
    process: Process = deadline.process
    today = to_local(now).date()
    found: dict[int, User] = {}
    for group in groups:
        if group == "assignees":
            people = waiting_on(deadline)
        elif group == "approvers":
            step = db.session.get(Step, deadline.step_id) if deadline.step_id else None
            people = [r.approver for r in _pending_approvers(step)] if step else []
        elif group == "owner":
            people = [process.owner] if process.owner is not None else []
        elif group in ROLE_KEYS:
            people = holders((group,))
        else:
            log.warning("deadline %s: unknown recipient group %r ignored", deadline.id, group)
            continue
        for person in people:
            target = substitute_for(person, today) or person
            if target.is_active:
                found.setdefault(target.id, target)
    return list(found.values())


def _groups(deadline: Deadline, reminder: Reminder) -> tuple[str, ...]:
    ladder = ladder_of(deadline)
    if ladder is None or reminder.rung == "repeat":
        return DEFAULT_TO
    try:
        return ladder.rung(reminder.rung).to
    except KeyError:
        return DEFAULT_TO


def process(reminder_id: int, now: datetime, worker: str) -> int:
    """Turn one claimed reminder into outbox rows and mark it sent; returns messages queued.

    The deadline row is locked (PostgreSQL) so an extension cannot re-time it
    between the check and the commit.
    """
    reminder = db.session.get(Reminder, reminder_id, with_for_update=True, populate_existing=True)
    if reminder is None or reminder.status != "claimed" or reminder.claimed_by != worker[:80]:
        return 0  # another worker took it over, or it was already handled
    deadline = db.session.get(
        Deadline, reminder.deadline_id, with_for_update=True, populate_existing=True
    )
    assert deadline is not None
    if not is_current(reminder, deadline):
        reminder.status = "cancelled"
        db.session.flush()
        log.info("reminder %s dropped: deadline %s changed", reminder.id, deadline.id)
        return 0
    people = recipients(deadline, _groups(deadline, reminder), now)
    pending = waiting_on(deadline)
    queued = 0
    for person in people:
        if notifications.reminder(person, reminder, deadline, pending, now) is not None:
            queued += 1
    reminder.status = "sent"
    reminder.sent_dt = now
    db.session.flush()
    log.info(
        "reminder %s (%s/%s) of deadline %s: %d message(s) to %s",
        reminder.id,
        reminder.rung,
        reminder.kind,
        deadline.id,
        queued,
        [p.id for p in people],
    )
    return queued


def top_up(now: datetime) -> int:
    """Materialise further repeats of open repeating ladders; returns rows added.

    Only moments after the last one already stored (and not in the past) are
    added, so nothing is re-created after it was sent or cancelled.
    """
    added = 0
    deadlines = db.session.scalars(
        sa.select(Deadline).where(Deadline.status == "open", Deadline.ladder.is_not(None))
    )
    for deadline in deadlines:
        ladder = ladder_of(deadline)
        if ladder is None or not ladder.repeat_every_days:
            continue
        last = db.session.scalar(
            sa.select(sa.func.max(Reminder.fire_dt)).where(
                Reminder.deadline_id == deadline.id, Reminder.rung == "repeat"
            )
        )
        floor = max(last or deadline.start_dt, now - timedelta(days=1))
        cal = calendar_for(deadline.countries.split(","))
        for moment in repeat_times(ladder, deadline.start_dt, now + TOP_UP_AHEAD, cal=cal):
            if moment > floor:
                db.session.add(
                    Reminder(
                        deadline_id=deadline.id, rung="repeat", kind="reminder", fire_dt=moment
                    )
                )
                added += 1
    db.session.flush()
    return added
