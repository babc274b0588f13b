"""Who is told what when the workflow moves or a deadline comes; every message goes through
the outbox, worded by ``templates/email/<kind>`` in the recipient's own language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from .. import clock
from ..domain.calendar import to_local
from ..domain.definitions import TransitionDef
from ..domain.engine import Move
from ..domain.text import pick
from ..extensions import db
from ..models import ApprovalRequest, Deadline, OutboxMessage, Process, Reminder, Step, User
from . import ical
from .mailtext import deadline_title, lang_of, render
from .outbox import enqueue
from .urls import external_url

#: Reminder kinds that go out at once whatever the user's digest preference.
URGENT_KINDS = frozenset({"due", "overdue", "escalation"})


def _owner(process: Process) -> User | None:
    return db.session.get(User, process.owner_id) if process.owner_id else None


def _state(process: Process, state: str, lang: str) -> str:
    states = process.definition.states
    return pick(states[state].title, lang) if state in states else state


def _open_deadlines(step_ids: Iterable[int]) -> list[Deadline]:
    ids = list(step_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Deadline)
            .where(Deadline.step_id.in_(ids), Deadline.status == "open")
            .order_by(Deadline.due_dt)
        )
    )


def _ics(deadlines: list[Deadline], lang: str) -> str | None:
    """The calendar attachment for these deadlines (none: no attachment)."""
    if not deadlines:
        return None
    now = clock.utcnow()
    return ical.merge([ical.deadline_ics(d, lang, now) for d in deadlines])


def _send(
    user: User,
    key: str,
    template: str,
    process: Process | None,
    /,
    *,
    category: str = "notice",
    urgent: bool = False,
    deadlines: list[Deadline] | None = None,
    **context: object,
) -> OutboxMessage | None:
    lang = lang_of(user)
    message = render(template, lang, user=user, process=process, **context)
    return enqueue(
        user,
        key,
        message.subject,
        message.text,
        message.html,
        category=category,
        process=process,
        ics=_ics(deadlines or [], lang),
        urgent=urgent,
    )


def approval_requested(
    process: Process, request: ApprovalRequest, deadlines: list[Deadline] | None = None
) -> None:
    """Approvers always get their request at once, with a link straight to the decision.

    ``deadlines``: the step's open deadlines if the caller has them (else read).
    """
    user = db.session.get(User, request.approver_id)
    if user is None:
        return
    behalf = db.session.get(User, request.on_behalf_of_id) if request.on_behalf_of_id else None
    lang = lang_of(user)
    if deadlines is None:
        deadlines = _open_deadlines([request.step_id])
    _send(
        user,
        f"approval:{request.id}",
        "approval_requested",
        process,
        category="approval",
        urgent=True,
        deadlines=deadlines,
        state=_state(process, request.state, lang),
        partner=process.partner.name(lang),
        link=external_url("approvals.decide", request_id=request.id),
        behalf=behalf,
        due=deadlines[0].due_dt if deadlines else None,
    )


def _decided(kind: str, process: Process, request: ApprovalRequest, actor: User) -> None:
    """The drafter learns why the draft came back or was rejected."""
    owner = _owner(process)
    if owner is None or owner.id == actor.id:
        return
    lang = lang_of(owner)
    _send(
        owner,
        f"{kind.replace('_', '')}:{request.id}",
        kind,
        process,
        category="approval",
        urgent=True,
        state=_state(process, request.state, lang),
        partner=process.partner.name(lang),
        actor=actor,
        comment=request.comment,
        link=external_url("processes.detail", process_id=process.id),
    )


def sent_back(process: Process, request: ApprovalRequest, actor: User) -> None:
    """The drafter learns why the draft came back; a new round has opened."""
    _decided("sent_back", process, request, actor)


def rejected(process: Process, request: ApprovalRequest, actor: User) -> None:
    """The drafter learns that an approver rejected the step, and why."""
    _decided("rejected", process, request, actor)


def transitioned(
    process: Process,
    t: TransitionDef,
    move: Move,
    actor: User | None,
    deadlines: list[Deadline] | None = None,
) -> None:
    """The file's owner hears of moves made by someone else, with the new deadlines.

    ``deadlines``: those of the states just entered, by due date, if the caller
    has them (it just made them); else read.
    """
    owner = _owner(process)
    if owner is None or (actor is not None and owner.id == actor.id):
        return
    lang = lang_of(owner)
    if deadlines is None:
        steps = db.session.scalars(
            sa.select(Step.id).where(
                Step.process_id == process.id, Step.status == "open", Step.state.in_(move.entered)
            )
        )
        deadlines = _open_deadlines(steps)
    _send(
        owner,
        f"moved:{process.id}:{process.version}:{t.key}",
        "transitioned",
        process,
        deadlines=deadlines,
        transition=pick(t.title, lang),
        states=[_state(process, s, lang) for s in sorted(move.entered)],
        actor=actor,
        due=deadlines,
        link=external_url("processes.detail", process_id=process.id),
    )


def _concerned(deadline: Deadline) -> list[User]:
    """Who keeps this deadline in a calendar: the owner and the step's pending approvers."""
    people: dict[int, User] = {}
    owner = _owner(deadline.process)
    if owner is not None:
        people[owner.id] = owner
    if deadline.step_id is not None:
        step = db.session.get(Step, deadline.step_id)
        requests = db.session.scalars(
            sa.select(ApprovalRequest).where(
                ApprovalRequest.step_id == deadline.step_id,
                ApprovalRequest.round == (step.round if step else 0),
                ApprovalRequest.status == "pending",
            )
        )
        for request in requests:
            people.setdefault(request.approver_id, request.approver)
    return list(people.values())


def deadline_moved(process: Process, deadline: Deadline, old_due: datetime, actor: User) -> None:
    """Everyone concerned gets the new date and the updated calendar entry (same UID).

    The person who moved it too, when they keep the deadline in their calendar
    (the owner, a pending approver): without the higher SEQUENCE their calendar
    would keep the old date.
    """
    for user in _concerned(deadline):
        lang = lang_of(user)
        _send(
            user,
            f"moved-deadline:{deadline.id}:{deadline.sequence}",
            "deadline_moved",
            process,
            deadlines=[deadline],
            what=deadline_title(deadline, lang),
            partner=process.partner.name(lang),
            old_due=old_due,
            new_due=deadline.due_dt,
            actor=actor,
            reason=deadline.extensions[-1].reason if deadline.extensions else "",
            link=external_url("processes.detail", process_id=process.id),
        )


def reminder(
    user: User,
    row: Reminder,
    deadline: Deadline,
    waiting_on: list[User],
    now: datetime,
) -> OutboxMessage | None:
    """One rung of a deadline's ladder for one recipient; the key makes it once only."""
    process = deadline.process
    lang = lang_of(user)
    owner = _owner(process)
    return _send(
        user,
        f"reminder:{row.id}",
        "reminder",
        process,
        category="escalation" if row.kind == "escalation" else "reminder",
        urgent=row.kind in URGENT_KINDS,
        deadlines=[deadline] if deadline.status == "open" else [],
        kind=row.kind,
        what=deadline_title(deadline, lang),
        partner=process.partner.name(lang),
        deadline=deadline,
        days=_days_between(now, deadline.due_dt),
        now=now,
        waiting_on=waiting_on,
        owner=owner,
        link=external_url("processes.detail", process_id=process.id),
    )


def _days_between(now: datetime, due: datetime) -> int:
    """Calendar days from today to the due date, in Athens (negative: overdue)."""
    return (to_local(due).date() - to_local(now).date()).days
