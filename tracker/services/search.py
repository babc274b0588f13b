"""Filtered, paginated lists of files and partners, in a fixed number of queries.

The API's list endpoints read through here; the filters are plain SQL so a page
costs the same at ten files as at ten thousand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

import sqlalchemy as sa

from .. import clock
from ..domain.engine import progress
from ..extensions import db
from ..models import (
    ApprovalRequest,
    AuditLog,
    Authority,
    CouncilDecision,
    Deadline,
    DeadlineExtension,
    ExternalEvent,
    Process,
    Step,
    User,
)
from .approvals import undecided
from .permissions import require
from .processes import Action, available_actions

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results and how many there are in all."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


@dataclass
class ProcessFilters:
    kind: str | None = None
    state: str | None = None
    country: str | None = None
    overdue: bool | None = None
    waiting_on_me: bool | None = None
    closed: bool | None = None


@dataclass
class ProcessRow:
    """A file as a list shows it: where it stands and what is due next."""

    process: Process
    states: list[str]
    progress: float
    next_due: datetime | None
    urgency: str
    waiting_on_me: int
    extra: dict[str, object] = field(default_factory=dict)


def urgency(due: datetime | None, now: datetime) -> str:
    """overdue / soon (within a week) / later / none: the dashboard's colours."""
    if due is None:
        return "none"
    if due < now:
        return "overdue"
    return "soon" if (due - now).days < 7 else "later"


def _mine(user: User) -> sa.Select[tuple[int]]:
    """Files where ``user`` has an undecided request in a current round."""
    return undecided(sa.select(ApprovalRequest.process_id)).where(
        ApprovalRequest.approver_id == user.id
    )


def _overdue(now: datetime) -> sa.Select[tuple[int]]:
    return sa.select(Deadline.process_id).where(Deadline.status == "open", Deadline.due_dt < now)


def _filtered(user: User, f: ProcessFilters, now: datetime) -> sa.Select[tuple[Process]]:
    stmt = sa.select(Process)
    if f.kind:
        stmt = stmt.where(Process.kind == f.kind)
    if f.country:
        stmt = stmt.join(Authority, Authority.id == Process.partner_id).where(
            Authority.country == f.country.upper()
        )
    if f.state:
        stmt = stmt.where(
            Process.id.in_(
                sa.select(Step.process_id).where(Step.status == "open", Step.state == f.state)
            )
        )
    if f.overdue is not None:
        test = Process.id.in_(_overdue(now))
        stmt = stmt.where(test if f.overdue else sa.not_(test))
    if f.waiting_on_me is not None:
        test = Process.id.in_(_mine(user))
        stmt = stmt.where(test if f.waiting_on_me else sa.not_(test))
    if f.closed is not None:
        stmt = stmt.where(Process.is_closed.is_(f.closed))
    return stmt


def rows_for(processes: list[Process], user: User, now: datetime) -> list[ProcessRow]:
    """States, next deadline and the user's pending approvals for many files: 3 queries."""
    ids = [p.id for p in processes]
    if not ids:
        return []
    states: dict[int, list[str]] = defaultdict(list)
    for pid, state in db.session.execute(
        sa.select(Step.process_id, Step.state)
        .where(Step.status == "open", Step.process_id.in_(ids))
        .order_by(Step.id)
    ):
        states[pid].append(state)
    due: dict[int, datetime] = dict(
        db.session.execute(
            sa.select(Deadline.process_id, sa.func.min(Deadline.due_dt))
            .where(Deadline.status == "open", Deadline.process_id.in_(ids))
            .group_by(Deadline.process_id)
        )
        .tuples()
        .all()
    )
    mine: dict[int, int] = dict(
        db.session.execute(
            sa.select(ApprovalRequest.process_id, sa.func.count())
            .where(ApprovalRequest.id.in_(_mine(user).with_only_columns(ApprovalRequest.id)))
            .where(ApprovalRequest.process_id.in_(ids))
            .group_by(ApprovalRequest.process_id)
        )
        .tuples()
        .all()
    )
    rows = []
    for p in processes:
        active = sorted(states.get(p.id, []))
        next_due = due.get(p.id)
        rows.append(
            ProcessRow(
                process=p,
                states=active,
                progress=progress(p.definition, frozenset(active)) if active else 0.0,
                next_due=next_due,
                urgency=urgency(next_due, now),
                waiting_on_me=int(mine.get(p.id, 0)),
            )
        )
    return rows


def processes(user: User, filters: ProcessFilters, page: int, per_page: int) -> Page[ProcessRow]:
    """Files matching ``filters``, oldest first, one page of them."""
    require(user, "process.view")
    now = clock.utcnow()
    stmt = _filtered(user, filters, now)
    total = int(db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)
    found = list(
        db.session.scalars(stmt.order_by(Process.id).limit(per_page).offset((page - 1) * per_page))
    )
    return Page(rows_for(found, user, now), page, per_page, total)


def partners(user: User, country: str | None, page: int, per_page: int) -> Page[Authority]:
    """Partner authorities (the home municipality too), by key."""
    require(user, "partner.view")
    stmt = sa.select(Authority)
    if country:
        stmt = stmt.where(Authority.country == country.upper())
    total = int(db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)
    found = list(
        db.session.scalars(
            stmt.order_by(Authority.key).limit(per_page).offset((page - 1) * per_page)
        )
    )
    return Page(found, page, per_page, total)


def partner_processes(user: User, partner: Authority) -> list[ProcessRow]:
    """Every file with one partner, for the partner's detail."""
    require(user, "partner.view")
    found = list(
        db.session.scalars(
            sa.select(Process).where(Process.partner_id == partner.id).order_by(Process.id)
        )
    )
    return rows_for(found, user, clock.utcnow())


@dataclass
class ProcessDetail:
    """Everything the API tells about one file, loaded in a fixed number of queries."""

    row: ProcessRow
    steps: list[Step]
    actions: list[Action]
    deadlines: list[Deadline]
    extensions: dict[int, list[DeadlineExtension]]
    approvals: list[ApprovalRequest]
    council: list[CouncilDecision]
    events: list[ExternalEvent]
    history: list[AuditLog]
    users: dict[int, User]


def process_detail(process: Process, user: User) -> ProcessDetail:
    """States, actions with reasons, deadlines, approvals, decisions, events and history."""
    require(user, "process.view")
    now = clock.utcnow()
    steps = list(
        db.session.scalars(
            sa.select(Step)
            .where(Step.process_id == process.id, Step.status == "open")
            .order_by(Step.id)
        )
    )
    rounds = {s.id: s.round for s in steps}
    approvals = [
        r
        for r in db.session.scalars(
            sa.select(ApprovalRequest)
            .where(ApprovalRequest.process_id == process.id, ApprovalRequest.status != "void")
            .order_by(ApprovalRequest.id)
        )
        if rounds.get(r.step_id) == r.round
    ]
    deadlines = list(
        db.session.scalars(
            sa.select(Deadline)
            .where(Deadline.process_id == process.id)
            .order_by(Deadline.status != "open", Deadline.due_dt, Deadline.id)
        )
    )
    extensions: dict[int, list[DeadlineExtension]] = defaultdict(list)
    if deadlines:
        for ext in db.session.scalars(
            sa.select(DeadlineExtension)
            .where(DeadlineExtension.deadline_id.in_([d.id for d in deadlines]))
            .order_by(DeadlineExtension.id)
        ):
            extensions[ext.deadline_id].append(ext)
    history = list(
        db.session.scalars(
            sa.select(AuditLog).where(AuditLog.process_id == process.id).order_by(AuditLog.id)
        )
    )
    wanted = {process.owner_id} | {a.on_behalf_of_id for a in approvals}
    wanted |= {h.on_behalf_of_id for h in history}
    wanted |= {e.actor_id for es in extensions.values() for e in es}
    ids = [i for i in wanted if i]
    users = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    return ProcessDetail(
        row=rows_for([process], user, now)[0],
        steps=steps,
        actions=available_actions(process, user),
        deadlines=deadlines,
        extensions=dict(extensions),
        approvals=approvals,
        council=list(
            db.session.scalars(
                sa.select(CouncilDecision)
                .where(CouncilDecision.process_id == process.id)
                .order_by(CouncilDecision.id)
            )
        ),
        events=list(
            db.session.scalars(
                sa.select(ExternalEvent)
                .where(ExternalEvent.process_id == process.id)
                .order_by(ExternalEvent.id)
            )
        ),
        history=history,
        users=users,
    )
