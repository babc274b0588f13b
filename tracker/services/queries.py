"""Read models for screens and reports, built in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from .. import clock
from ..domain.engine import progress
from ..extensions import db
from ..models import ApprovalRequest, Deadline, Process, Step, User


@dataclass
class DashboardRow:
    process: Process
    states: list[str]
    progress: float
    next_due: datetime | None
    waiting_on_me: int = 0
    urgency: str = "none"
    extra: dict[str, object] = field(default_factory=dict)


def _urgency(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "none"
    if due < now:
        return "overdue"
    if (due - now).days < 7:
        return "soon"
    return "later"


def dashboard_rows(user: User) -> list[DashboardRow]:
    """Every file with states, progress and next deadline, most urgent first (4 queries)."""
    now = clock.utcnow()
    processes = list(db.session.scalars(sa.select(Process).order_by(Process.id)))
    states: dict[int, list[str]] = defaultdict(list)
    for pid, state in db.session.execute(
        sa.select(Step.process_id, Step.state).where(Step.status == "open").order_by(Step.id)
    ):
        states[pid].append(state)
    due = dict(
        db.session.execute(
            sa.select(Deadline.process_id, sa.func.min(Deadline.due_dt))
            .where(Deadline.status == "open")
            .group_by(Deadline.process_id)
        ).all()
    )
    mine = dict(
        db.session.execute(
            sa.select(ApprovalRequest.process_id, sa.func.count())
            .join(Step, Step.id == ApprovalRequest.step_id)
            .where(
                ApprovalRequest.approver_id == user.id,
                ApprovalRequest.status == "pending",
                Step.status == "open",
                Step.round == ApprovalRequest.round,
            )
            .group_by(ApprovalRequest.process_id)
        ).all()
    )
    rows = []
    for p in processes:
        active = frozenset(states.get(p.id, []))
        next_due = due.get(p.id)
        rows.append(
            DashboardRow(
                process=p,
                states=sorted(active),
                progress=progress(p.definition, active) if active else 0.0,
                next_due=next_due,
                waiting_on_me=int(mine.get(p.id, 0)),
                urgency=_urgency(next_due, now),
            )
        )
    order = {"overdue": 0, "soon": 1, "later": 2, "none": 3}
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(
        key=lambda r: (r.process.is_closed, order[r.urgency], r.next_due or far, r.process.id)
    )
    return rows


@dataclass
class ProcessPage:
    """Everything the file's page shows, loaded at once."""

    active: list[str]
    actions: list[object]
    requests: list[ApprovalRequest]
    deadlines: list[Deadline]
    steps: list[Step]
    council: list[object]
    events: list[object]
    history: list[object]
    comments: list[object]
    documents: list[object]
    progress: float
    signing_notes: dict[str, list[object]]


def process_page(process: Process, user: User) -> ProcessPage:
    from ..models import AuditLog, Comment, CouncilDecision, Document, ExternalEvent
    from . import processes as svc

    steps = list(
        db.session.scalars(sa.select(Step).where(Step.process_id == process.id).order_by(Step.id))
    )
    open_steps = [s for s in steps if s.status == "open"]
    active = [s.state for s in open_steps]
    rounds = {s.id: s.round for s in open_steps}
    requests = [
        r
        for r in db.session.scalars(
            sa.select(ApprovalRequest)
            .where(ApprovalRequest.process_id == process.id)
            .order_by(ApprovalRequest.id)
        )
        if rounds.get(r.step_id) == r.round
    ]
    actions = svc.available_actions(process, user)
    signing_notes = {
        a.transition.key: svc.check(
            process, a.transition.key, user, {"place": "partner", "date": "x"}
        )
        for a in actions
        if "place" in a.transition.inputs
    }

    def rows(model: type, order: object) -> list[object]:
        return list(
            db.session.scalars(
                sa.select(model).where(model.process_id == process.id).order_by(order)
            )  # type: ignore[attr-defined]
        )

    return ProcessPage(
        active=active,
        actions=list(actions),
        requests=requests,
        deadlines=list(
            db.session.scalars(
                sa.select(Deadline)
                .where(Deadline.process_id == process.id)
                .order_by(Deadline.status != "open", Deadline.due_dt)
            )
        ),
        steps=steps,
        council=rows(CouncilDecision, CouncilDecision.id),
        events=rows(ExternalEvent, ExternalEvent.id),
        history=rows(AuditLog, AuditLog.id.desc()),
        comments=rows(Comment, Comment.id),
        documents=rows(Document, Document.id),
        progress=progress(process.definition, frozenset(active)) if active else 0.0,
        signing_notes={k: v for k, v in signing_notes.items() if v},
    )
