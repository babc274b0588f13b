"""Sign-offs: rounds of approval requests, decisions, send-back and delegation."""

from __future__ import annotations

from datetime import date, datetime
from typing import NoReturn, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import clock
from ..domain import approvals as policy
from ..domain.calendar import to_local
from ..domain.definitions import ApprovalSpec
from ..domain.text import Reason
from ..extensions import db
from ..models import ApprovalRequest, Deadline, Delegation, Process, Step, User, UserRole
from . import audit
from .errors import Forbidden, Invalid, NotFound, Refused
from .locking import try_lock
from .permissions import can, require

DECISIONS = ("approved", "rejected", "sent_back")


def substitute_for(user: User, day: date) -> User | None:
    """The stand-in named by ``user`` for ``day`` (one level: no chains)."""
    return db.session.scalars(
        sa.select(User)
        .join(Delegation, Delegation.substitute_id == User.id)
        .where(
            Delegation.user_id == user.id,
            Delegation.is_cancelled.is_(False),
            Delegation.start_date <= day,
            Delegation.end_date >= day,
            User.is_active.is_(True),
        )
        .order_by(Delegation.id.desc())
        .limit(1)
    ).first()


def substitutes(users: list[User], day: date) -> dict[int, User]:
    """``substitute_for`` of several users in one query: user id -> stand-in."""
    if not users:
        return {}
    rows = db.session.execute(
        sa.select(Delegation.user_id, User)
        .join(User, Delegation.substitute_id == User.id)
        .where(
            Delegation.user_id.in_([u.id for u in users]),
            Delegation.is_cancelled.is_(False),
            Delegation.start_date <= day,
            Delegation.end_date >= day,
            User.is_active.is_(True),
        )
        .order_by(Delegation.id.desc())
    )
    found: dict[int, User] = {}
    for user_id, stand_in in rows:
        found.setdefault(user_id, stand_in)  # the newest delegation wins, as in substitute_for
    return found


def holders(roles: tuple[str, ...]) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role.in_(roles), User.is_active.is_(True))
            .order_by(User.id)
            .distinct()
        )
    )


def open_round(
    process: Process,
    step: Step,
    requester: User | None,
    now: datetime,
    deadlines: list[Deadline] | None = None,
) -> list[ApprovalRequest]:
    """Create one request per approver of each group; stand-ins receive them when on leave.

    ``deadlines``: the step's open deadlines when the caller has them (it just made
    them), for the approvers' emails.
    """
    spec = process.definition.states[step.state].approval
    if spec is None:
        return []
    today = to_local(now).date()
    created: list[ApprovalRequest] = []
    taken: set[int] = set()
    # Every group's holders and their stand-ins in two queries, not one per person.
    everyone = holders(tuple(sorted({r for group in spec.groups for r in group.roles})))
    away = substitutes(everyone, today)
    for index, group in enumerate(spec.groups):
        for user in [u for u in everyone if u.role_keys & set(group.roles)]:
            stand_in = away.get(user.id)
            if stand_in is not None and requester is not None and stand_in.id == requester.id:
                stand_in = None  # the stand-in asked for it: the request stays with the holder
            approver = stand_in or user
            if requester is not None and approver.id == requester.id:
                continue  # nobody approves their own request
            if approver.id in taken:
                continue  # one vote per person per round, even with two roles
            taken.add(approver.id)
            request = ApprovalRequest(
                process_id=process.id,
                step_id=step.id,
                state=step.state,
                round=step.round,
                group_index=index,
                approver_id=approver.id,
                on_behalf_of_id=user.id if stand_in else None,
                requester_id=requester.id if requester else None,
                created_dt=now,
            )
            db.session.add(request)
            created.append(request)
    db.session.flush()
    # Ordered groups are asked in turn: only the first group hears of it now, the
    # next when the earlier group's policy is met (``decide``).
    votes = [policy.Vote(r.approver_id, r.group_index, "pending") for r in created]
    _ask(process, created, policy.open_groups(spec, votes), deadlines)
    return created


def _ask(
    process: Process,
    requests: list[ApprovalRequest],
    groups: set[int],
    deadlines: list[Deadline] | None,
) -> None:
    """Email the pending approvers of ``groups``: their decision may be given now."""
    from . import notifications

    for request in requests:
        if request.group_index in groups and request.status == "pending":
            notifications.approval_requested(process, request, deadlines)


def _round_votes(keys: set[tuple[int, int]]) -> dict[tuple[int, int], list[policy.Vote]]:
    """The votes of several (step, round) pairs in one query."""
    found: dict[tuple[int, int], list[policy.Vote]] = {k: [] for k in keys}
    rows = db.session.execute(
        sa.select(
            ApprovalRequest.step_id,
            ApprovalRequest.round,
            ApprovalRequest.approver_id,
            ApprovalRequest.group_index,
            ApprovalRequest.status,
        ).where(
            ApprovalRequest.step_id.in_({step for step, _ in keys}),
            ApprovalRequest.status.in_(VOTING),
        )
    )
    for step_id, number, approver, group, status in rows:
        if (step_id, number) in found:
            found[(step_id, number)].append(policy.Vote(approver, group, status))
    return found


VOTING = ("pending", "approved", "rejected")


def awaited(request: ApprovalRequest) -> tuple[str, ...] | None:
    """The roles of the earlier group this pending request waits for (None: may decide now)."""
    spec = request.process.definition.states[request.state].approval
    if spec is None or not spec.ordered or request.status != "pending":
        return None
    votes = _round_votes({(request.step_id, request.round)})[(request.step_id, request.round)]
    earlier = policy.awaited_group(spec, votes, request.group_index)
    return None if earlier is None else spec.groups[earlier].roles


S = TypeVar("S", bound=sa.Select)  # type: ignore[type-arg]


def undecided(stmt: S) -> S:
    """``stmt`` (over approval requests) narrowed to the ones that still wait for a decision:
    pending, in the current round of a step that is open. The one place that says it."""
    return stmt.join(Step, Step.id == ApprovalRequest.step_id).where(
        ApprovalRequest.status == "pending",
        Step.status == "open",
        Step.round == ApprovalRequest.round,
    )


def pending_for(user: User) -> list[ApprovalRequest]:
    """The user's inbox: requests they may decide now, oldest first.

    Under an ``ordered`` policy a later group's requests exist from the start of
    the round (the policy counts them) but are not the approver's to act on until
    the earlier groups have approved, so they are left out until then.
    """
    rows = db.session.scalars(
        undecided(sa.select(ApprovalRequest))
        .where(ApprovalRequest.approver_id == user.id)
        .options(selectinload(ApprovalRequest.process), selectinload(ApprovalRequest.step))
        .order_by(ApprovalRequest.created_dt, ApprovalRequest.id)
    )
    mine = list(rows)
    specs = {r.id: spec for r in mine if (spec := _spec(r)) is not None and spec.ordered}
    if not specs:
        return mine
    votes = _round_votes({(r.step_id, r.round) for r in mine if r.id in specs})
    return [
        r
        for r in mine
        if r.id not in specs
        or policy.awaited_group(specs[r.id], votes[(r.step_id, r.round)], r.group_index) is None
    ]


def _spec(request: ApprovalRequest) -> ApprovalSpec | None:
    states = request.process.definition.states
    return states[request.state].approval if request.state in states else None


def round_requests(step: Step) -> list[ApprovalRequest]:
    return list(
        db.session.scalars(
            sa.select(ApprovalRequest)
            .where(ApprovalRequest.step_id == step.id, ApprovalRequest.round == step.round)
            .order_by(ApprovalRequest.group_index, ApprovalRequest.id)
        )
    )


def decide(request_id: int, actor: User, decision: str, comment: str = "") -> ApprovalRequest:
    """Approve, reject or send back; the last needed approval moves the file on.

    Runs under the file's lock, so of many simultaneous clicks exactly one
    completes the step and the others are told it has been decided. The lock is
    taken through the request, only if it is the actor's to decide (one
    statement); then one more reads the file's steps, requests and deadlines.
    Anything else goes the slow way, ``_refuse``, which says what is wrong.
    """
    comment = (comment or "").strip()
    fits = decision in DECISIONS and len(comment) <= 4000
    if not (fits and (decision == "approved" or comment)):
        _refuse(request_id, actor, decision, comment)
    mine = sa.select(ApprovalRequest.process_id).where(
        ApprovalRequest.id == request_id, ApprovalRequest.approver_id == actor.id
    )
    if not can(actor, "approval.decide"):  # a stand-in may hold no approving role of their own
        if not actor.is_active:
            _refuse(request_id, actor, decision, comment)
        mine = mine.where(ApprovalRequest.on_behalf_of_id.is_not(None))
    process = try_lock(Process.id == mine.scalar_subquery())
    if process is None:
        _refuse(request_id, actor, decision, comment)
    from . import processes

    snapshot = processes.load_snapshot(process)
    request = db.session.get(ApprovalRequest, request_id)  # in the snapshot if its step is open
    assert request is not None
    step = next((s for s in snapshot.open_steps() if s.id == request.step_id), None)
    if step is None:
        db.session.refresh(request)  # not read with the open steps: its own status, fresh
    if step is None or request.status != "pending" or step.round != request.round:
        raise Refused([Reason("approval_decided", {"status": request.status})])
    spec = process.definition.states[step.state].approval
    assert spec is not None
    votes = snapshot.votes(step)
    if not policy.may_decide(spec, votes, actor.id, request.group_index):
        if policy.evaluate(spec, votes) != "pending":
            raise Refused([Reason("approval_round_closed")])
        raise Refused([Reason("approval_not_open")])
    now = clock.utcnow()
    request.status = decision
    request.comment = comment
    request.decided_dt = now
    audit.record(
        f"approval.{decision}",
        actor,
        process,
        request,
        data={"state": step.state, "round": step.round, "comment": comment},
        on_behalf_of=request.on_behalf_of,
    )
    db.session.flush()
    if decision == "approved" and spec.ordered:
        # The group's policy may now be met: the next group is asked, in this transaction.
        after = snapshot.votes(step)
        if policy.evaluate(spec, after) == "pending":
            opened = policy.open_groups(spec, after) - policy.open_groups(spec, votes)
            this_round = [r for r in snapshot.requests.get(step.id, []) if r.round == step.round]
            _ask(process, this_round, opened, snapshot.deadlines.get(step.id))
    from . import notifications

    if decision == "sent_back":
        _send_back(process, step, actor, now)
        notifications.sent_back(process, request, actor)
    elif decision == "rejected":
        notifications.rejected(process, request, actor)
    # After a send-back the round was voided in bulk: advance reads the steps again.
    processes.advance(process, actor, snapshot=None if decision == "sent_back" else snapshot)
    return request


def _refuse(request_id: int, actor: User, decision: str, comment: str) -> NoReturn:
    """Why ``actor`` may not decide this request as asked, in the order a user expects."""
    request = db.session.get(ApprovalRequest, request_id)
    standing_in = (
        request is not None
        and request.on_behalf_of_id is not None
        and request.approver_id == actor.id
    )
    if not (standing_in and actor.is_active):
        require(actor, "approval.decide")
    if request is None:
        raise NotFound()
    if decision not in DECISIONS:
        raise Invalid(fields={"decision": [Reason("unknown_value")]})
    if decision != "approved" and not comment:
        raise Invalid(fields={"comment": [Reason("comment_required")]})
    if len(comment) > 4000:
        raise Invalid(fields={"comment": [Reason("too_long", {"max": 4000})]})
    if request.approver_id != actor.id:
        audit.record("approval.denied", actor, request.process, request)
        raise Forbidden([Reason("approval_not_yours")])
    raise NotFound()  # the request is the actor's, yet its file could not be locked


def _send_back(process: Process, step: Step, actor: User, now: datetime) -> None:
    """Void this round and open the next: earlier approvals no longer count."""
    db.session.execute(
        sa.update(ApprovalRequest)
        .where(
            ApprovalRequest.step_id == step.id,
            ApprovalRequest.round == step.round,
            ApprovalRequest.status.in_(("pending", "approved", "rejected")),
        )
        .values(status="void")
        .execution_options(synchronize_session=False)
    )
    asked_by = db.session.scalar(
        sa.select(ApprovalRequest.requester_id).where(
            ApprovalRequest.step_id == step.id, ApprovalRequest.round == step.round
        )
    )
    step.round += 1
    db.session.flush()
    requester = db.session.get(User, asked_by) if asked_by else None
    open_round(process, step, requester, now)
    audit.record(
        "approval.round", actor, process, step, data={"state": step.state, "round": step.round}
    )
