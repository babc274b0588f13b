"""Creating files and moving them through their workflow."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import aliased, defer
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..domain import engine
from ..domain.approvals import Vote
from ..domain.definitions import TransitionDef
from ..domain.roles import ROLE_KEYS
from ..domain.text import FLAG_TITLES, Reason
from ..extensions import db
from ..models import (
    ApprovalRequest,
    Authority,
    CouncilDecision,
    Deadline,
    ExternalEvent,
    Process,
    Step,
    User,
    WorkflowVersion,
)
from . import audit, deadlines, workflows
from .errors import Invalid, NotFound, Refused
from .locking import RELATED, lock_process
from .mailtext import default_title
from .permissions import require

log = logging.getLogger("tracker.workflow")

SYSTEM_ROLES = frozenset(ROLE_KEYS)
KIND_WORKFLOW = {"twinning": "twinning", "memorandum": "memorandum", "network": "network"}


def open_steps(process: Process) -> list[Step]:
    return list(
        db.session.scalars(
            sa.select(Step).where(Step.process_id == process.id, Step.status == "open")
        )
    )


def active_states(process: Process) -> frozenset[str]:
    return frozenset(s.state for s in open_steps(process))


def countries_for(partner: Authority) -> tuple[str, ...]:
    """Working days follow Greek holidays, and Cypriot ones too for Cypriot partners."""
    return ("GR", "CY") if partner.country == "CY" else ("GR",)


def flags_for(process: Process) -> dict[str, bool]:
    """Derived conditions, overridable per file in ``process.flags``."""
    settings = process.definition.settings
    country = process.partner.country
    exempt = set(settings.get("ministry_exempt_countries", ["GR"]))
    required = set(settings.get("ministry_required_countries", []))
    flags = {
        "requires_ministry": country in required or country not in exempt,
        "partner_abroad": country != "GR",
        "final_text_agreed": False,
    }
    flags.update({k: bool(v) for k, v in (process.flags or {}).items() if k in flags})
    return flags


def votes_for(step: Step) -> list[Vote]:
    rows = db.session.scalars(
        sa.select(ApprovalRequest).where(
            ApprovalRequest.step_id == step.id,
            ApprovalRequest.round == step.round,
            ApprovalRequest.status.in_(VOTING),
        )
    )
    return [Vote(r.approver_id, r.group_index, r.status) for r in rows]  # type: ignore[arg-type]


VOTING = ("pending", "approved", "rejected")


@dataclass
class Snapshot:
    """The file's steps as one use case sees them, read in one statement.

    Every step (for round numbers and the cycle start) and, for the open ones,
    their approval requests of every round and their open deadlines. Read after
    the lock, so nobody else changes them until commit; what this use case
    changes (steps left and entered, rounds opened, deadlines made) is written
    into it as well, so an automatic move after an approval reads nothing again.
    """

    steps: list[Step]
    requests: dict[int, list[ApprovalRequest]]
    deadlines: dict[int, list[Deadline]]

    def open_steps(self) -> list[Step]:
        return [s for s in self.steps if s.status == "open"]

    def active(self) -> frozenset[str]:
        return frozenset(s.state for s in self.steps if s.status == "open")

    def votes(self, step: Step) -> list[Vote]:
        return [
            Vote(r.approver_id, r.group_index, r.status)  # type: ignore[arg-type]
            for r in self.requests.get(step.id, ())
            if r.round == step.round and r.status in VOTING
        ]

    def last_round(self, state: str) -> int:
        return max((s.round for s in self.steps if s.state == state), default=0)

    def last_entered(self, state: str) -> datetime | None:
        return max((s.entered_dt for s in self.steps if s.state == state), default=None)

    def add(self, step: Step) -> None:
        self.steps.append(step)
        self.requests.setdefault(step.id, [])
        self.deadlines.setdefault(step.id, [])


def load_snapshot(process: Process) -> Snapshot:
    """Steps, their requests and open deadlines (open steps only), fresh, in one query.

    When the session does not hold the file's partner, workflow version or owner
    (the lock has just read the file by itself) they come in the same query: the
    workflow version without its JSON, as the definition is cached by version.
    """
    missing = [name for name, _ in RELATED if name not in process.__dict__]
    owner = aliased(User)
    stmt = (
        sa.select(Step, ApprovalRequest, Deadline)
        .select_from(Step)
        .outerjoin(
            ApprovalRequest, sa.and_(ApprovalRequest.step_id == Step.id, Step.status == "open")
        )
        .outerjoin(
            Deadline,
            sa.and_(Deadline.step_id == Step.id, Step.status == "open", Deadline.status == "open"),
        )
        .where(Step.process_id == process.id)
        .order_by(Step.id, ApprovalRequest.id, Deadline.due_dt, Deadline.id)
        .execution_options(populate_existing=True)
    )
    if missing:
        stmt = (
            stmt.add_columns(Authority, WorkflowVersion, owner)
            .join(Process, Process.id == Step.process_id)
            .join(Authority, Authority.id == Process.partner_id)
            .join(WorkflowVersion, WorkflowVersion.id == Process.workflow_id)
            .outerjoin(owner, owner.id == Process.owner_id)
            .options(defer(WorkflowVersion.data))
        )
    rows = db.session.execute(stmt).all()
    steps: dict[int, Step] = {}
    requests: dict[int, dict[int, ApprovalRequest]] = {}
    found: dict[int, dict[int, Deadline]] = {}
    for row in rows:
        step, request, deadline = row[:3]
        steps.setdefault(step.id, step)
        if request is not None:
            requests.setdefault(step.id, {})[request.id] = request
        if deadline is not None:
            found.setdefault(step.id, {})[deadline.id] = deadline
    if missing and rows:
        related = dict(zip([name for name, _ in RELATED], rows[0][3:], strict=True))
        for name in missing:  # held by the file now: the session holds rows only weakly
            set_committed_value(process, name, related[name])
    return Snapshot(
        list(steps.values()),
        {k: list(v.values()) for k, v in requests.items()},
        {k: list(v.values()) for k, v in found.items()},
    )


#: Which guards read which facts: a fact no guard in question reads is not loaded.
COUNCIL_GUARDS = frozenset({"council", "travel_if_abroad"})
EXTERNAL_GUARDS = frozenset({"external", "appeal_window_closed"})
APPEAL_GUARDS = frozenset({"appeal_window_closed"})
ALL_GUARDS = frozenset(engine.GUARD_FUNCTIONS)


def guards_of(transitions: Iterable[TransitionDef]) -> frozenset[str]:
    return frozenset(g.name for t in transitions for g in t.guards)


@dataclass(frozen=True)
class Records:
    """The file's council decisions, outside events and appeal window, already read.

    The file page shows all three; handed to ``facts_for`` they are not read again.
    """

    council: Sequence[CouncilDecision]
    external: Sequence[ExternalEvent]
    appeal: Deadline | None


def facts_for(
    process: Process,
    now: datetime | None = None,
    snapshot: Snapshot | None = None,
    guards: frozenset[str] = ALL_GUARDS,
    records: Records | None = None,
) -> engine.Facts:
    """Gather what the guards look at, from the database, in a handful of queries.

    With ``guards`` only the facts those guards read are loaded (the others stay
    empty): enough to check transitions whose guards are all among them. With
    ``records`` nothing but the steps and flags is read.
    """
    snap = snapshot or load_snapshot(process)
    steps = snap.open_steps()
    council: Iterable[CouncilDecision] = ()
    external: Iterable[ExternalEvent] = ()
    appeal = None
    if records is not None:
        council, external, appeal = records.council, records.external, records.appeal
    elif guards & COUNCIL_GUARDS:
        council = db.session.scalars(
            sa.select(CouncilDecision)
            .where(CouncilDecision.process_id == process.id)
            .order_by(CouncilDecision.id)
        )
    if records is None and guards & EXTERNAL_GUARDS:
        external = db.session.scalars(
            sa.select(ExternalEvent)
            .where(ExternalEvent.process_id == process.id)
            .order_by(ExternalEvent.id)
        )
    if records is None and guards & APPEAL_GUARDS:
        appeal = db.session.scalars(
            sa.select(Deadline)
            .where(
                Deadline.process_id == process.id,
                Deadline.kind == "appeal",
                Deadline.status != "cancelled",
            )
            .order_by(Deadline.id.desc())
            .limit(1)
        ).first()
    cycle = process.definition.cycle_start
    return engine.Facts(
        active=frozenset(s.state for s in steps),
        now=now or clock.utcnow(),
        flags=flags_for(process),
        votes={s.state: snap.votes(s) for s in steps},
        council=tuple(
            engine.CouncilFact(c.purpose, c.outcome, c.phase, c.created_dt) for c in council
        ),
        external=tuple(engine.ExternalFact(e.kind, e.outcome, e.created_dt) for e in external),
        appeal_until=appeal.due_dt if appeal else None,
        appeal_from=appeal.start_dt if appeal else None,
        cycle_start=snap.last_entered(cycle) if cycle else None,
    )


def _names(process: Process) -> dict[str, dict[str, Any]]:
    users = db.session.execute(
        sa.select(User.id, User.name)
        .join(ApprovalRequest, ApprovalRequest.approver_id == User.id)
        .where(ApprovalRequest.process_id == process.id)
    )
    return {"approvals": {"names": dict(users.tuples().all())}}


def check(
    process: Process, key: str, actor: User | None, payload: Mapping[str, Any] | None = None
) -> list[Reason]:
    """Every reason why ``actor`` cannot fire ``key`` now (empty: allowed)."""
    defn = process.definition
    if key not in defn.transitions:
        raise NotFound()
    roles = actor.role_keys if actor and actor.is_active else frozenset()
    return engine.check(defn, facts_for(process), key, roles, payload, _names(process))


@dataclass(frozen=True)
class Action:
    """A transition the process could take, with why it cannot (yet)."""

    transition: TransitionDef
    reasons: list[Reason]

    @property
    def allowed(self) -> bool:
        return not self.reasons


def available_actions(process: Process, actor: User) -> list[Action]:
    """Transitions starting where the process stands, for buttons and explanations."""
    defn = process.definition
    facts = facts_for(process)
    names = _names(process)
    return [
        Action(t, engine.check(defn, facts, t.key, actor.role_keys, None, names))
        for t in engine.candidates(defn, facts)
    ]


def create_process(
    kind: str,
    partner: Authority,
    actor: User,
    title: str = "",
    source: str = "",
    summary: str = "",
    owner: User | None = None,
) -> Process:
    """Open a new file at the start of the newest version of its workflow."""
    require(actor, "process.create")
    if kind not in KIND_WORKFLOW:
        raise Invalid(fields={"kind": [Reason("unknown_value")]})
    if partner.is_home:
        raise Invalid(fields={"partner": [Reason("unknown_value")]})
    wf = workflows.current(KIND_WORKFLOW[kind])
    defn = wf.definition
    process = Process(
        kind=kind,
        title=title.strip() or default_title(defn.title, partner.name_el),
        partner=partner,
        workflow=wf,
        owner=owner or actor,
        source=source.strip(),
        summary=summary.strip(),
        flags={},
    )
    db.session.add(process)
    db.session.flush()
    now = clock.utcnow()
    new = Snapshot([], {}, {})  # a new file has no steps yet: nothing to read
    for state in defn.initial:
        enter_state(process, state, actor, None, now, snapshot=new)
    audit.record("process.create", actor, process, data={"kind": kind, "partner": partner.key})
    db.session.flush()
    return process


def refuse_if_closed(process: Process) -> None:
    """A closed file (every state terminal) takes no further changes."""
    if process.is_closed:
        states = engine.titles(process.definition, active_states(process))
        raise Refused([Reason("terminal", {"states": states})])


def enter_state(
    process: Process,
    state: str,
    actor: User | None,
    via: str | None,
    now: datetime,
    requester: User | None = None,
    snapshot: Snapshot | None = None,
) -> Step:
    """Open a step: its deadline with reminders, and its first approval round.

    ``requester`` asks for the round's approvals and so gets none of them; by
    default whoever moved the file here. With a ``snapshot`` the round number
    comes from it and the new step, deadline and requests go into it.
    """
    from . import approvals

    sdef = process.definition.states[state]
    if snapshot is not None:
        previous: int | None = snapshot.last_round(state)
    else:
        previous = db.session.scalar(
            sa.select(sa.func.max(Step.round)).where(
                Step.process_id == process.id, Step.state == state
            )
        )
    step = Step(
        process_id=process.id,
        state=state,
        round=(previous or 0) + 1,
        entered_dt=now,
        entered_by_transition=via,
        actor_id=actor.id if actor else None,
    )
    db.session.add(step)
    db.session.flush()
    made: list[Deadline] = []
    if sdef.deadline is not None:
        made.append(deadlines.open_for_step(process, step, sdef.deadline, sdef.ladder, now))
    requests: list[ApprovalRequest] = []
    if sdef.approval is not None:
        requests = approvals.open_round(process, step, requester or actor, now, made)
    if snapshot is not None:
        snapshot.add(step)
        snapshot.deadlines[step.id] = made
        snapshot.requests[step.id] = requests
    return step


def leave_step(step: Step, via: str, now: datetime, snapshot: Snapshot | None = None) -> None:
    """Close a step: deadline met, reminders cancelled, undecided approvals void.

    With a ``snapshot`` its deadlines and requests are known: nothing is read,
    and nothing is written for what is not there.
    """
    step.status = "done"
    step.left_dt = now
    step.left_by_transition = via
    if snapshot is None:
        deadlines.close_for_step(step, now)
        db.session.execute(
            sa.update(ApprovalRequest)
            .where(ApprovalRequest.step_id == step.id, ApprovalRequest.status == "pending")
            .values(status="void")
            .execution_options(synchronize_session=False)
        )
        return
    for deadline in snapshot.deadlines.get(step.id, []):
        deadlines.close(deadline, now)
    for request in snapshot.requests.get(step.id, []):
        if request.status == "pending":
            request.status = "void"  # one executemany UPDATE at the next flush


def _parse_payload(
    process: Process, t: TransitionDef, payload: Mapping[str, Any]
) -> dict[str, Any]:
    """Turn raw inputs into typed values, with a reason per bad field."""
    out: dict[str, Any] = {}
    errors: dict[str, list[Reason]] = {}
    for name in t.inputs:
        raw = payload.get(name)
        if raw in (None, ""):
            errors[name] = [Reason("required")]
            continue
        if name == "date":
            try:
                out[name] = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
            except ValueError:
                errors[name] = [Reason("input_invalid", {"field": name})]
        elif name == "place":
            if raw not in ("home", "partner"):
                errors[name] = [Reason("unknown_value")]
            out[name] = raw
        elif name == "successor":
            successor = db.session.get(Authority, int(raw)) if str(raw).isdigit() else None
            if successor is None or successor.id == process.partner_id or successor.is_home:
                errors[name] = [Reason("unknown_value")]
            out[name] = successor
        else:
            out[name] = raw
    if errors:
        raise Invalid(fields=errors)
    return out


def _side_effects(
    process: Process, t: TransitionDef, values: Mapping[str, Any], actor: User | None
) -> None:
    """Record what a transition's inputs mean: signings and successor authorities."""
    if "place" in values and "date" in values:
        phase = {"sign_phase_a": "A", "sign_phase_b": "B"}.get(t.key, "joint")
        db.session.add(
            ExternalEvent(
                process_id=process.id,
                kind="signing",
                outcome=phase,
                event_date=values["date"],
                data={"place": values["place"], "transition": t.key},
                recorded_by_id=actor.id if actor else None,
            )
        )
        if phase != "A":
            process.signed_on = values["date"]
    successor = values.get("successor")
    if successor is not None:
        partner = process.partner
        partner.successor_id = successor.id
        partner.reorganised_on = clock.utcnow().date()
        db.session.add(
            ExternalEvent(
                process_id=process.id,
                kind="partner_reorganised",
                outcome="recorded",
                event_date=clock.utcnow().date(),
                data={"successor": successor.key},
                recorded_by_id=actor.id if actor else None,
            )
        )


def _apply(
    process: Process,
    t: TransitionDef,
    facts: engine.Facts,
    actor: User | None,
    auto: bool,
    snapshot: Snapshot,
) -> engine.Move:
    defn = process.definition
    now = clock.utcnow()
    move = engine.fire(defn, facts, t.key)
    for step in snapshot.open_steps():
        if step.state in move.left:
            leave_step(step, t.key, now, snapshot)
    db.session.flush()
    # An automatic move is the file's own next step: its owner asks for the approvals,
    # not whoever happened to give the last one (who could then never sign the next).
    requester = process.owner if auto and process.owner else actor
    entered = [
        enter_state(process, state, actor, t.key, now, requester, snapshot)
        for state in sorted(move.entered)
    ]
    process.is_closed = defn.is_terminal(move.active)
    audit.record(
        "process.transition",
        actor,
        process,
        data={
            "transition": t.key,
            "from": sorted(move.left),
            "to": sorted(move.entered),
            "auto": auto,
        },
    )
    log.info(
        "process=%s transition=%s actor=%s auto=%s",
        process.id,
        t.key,
        actor.id if actor else "-",
        auto,
    )
    from . import notifications

    made = [d for step in entered for d in snapshot.deadlines.get(step.id, [])]
    notifications.transitioned(process, t, move, actor, sorted(made, key=lambda d: d.due_dt))
    db.session.flush()
    return move


def transition(
    process_id: int,
    key: str,
    actor: User,
    seen_version: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Process:
    """Fire ``key`` for ``actor`` in one transaction, or refuse with every reason."""
    require(actor, "process.view")
    process = lock_process(process_id, seen_version)
    defn = process.definition
    if key not in defn.transitions:
        raise NotFound()
    t = defn.transitions[key]
    payload = payload or {}
    snapshot = load_snapshot(process)
    facts = facts_for(process, snapshot=snapshot, guards=guards_of([t]))
    reasons = engine.check(defn, facts, key, actor.role_keys, payload)
    refusals = [r for r in reasons if r.code != "input_missing"]
    if refusals:  # again with the approvers' names, for the message
        reasons = engine.check(defn, facts, key, actor.role_keys, payload, _names(process))
        raise Refused([r for r in reasons if r.code != "input_missing"])
    values = _parse_payload(process, t, payload)
    _side_effects(process, t, values, actor)
    _apply(process, t, facts, actor, auto=False, snapshot=snapshot)
    advance(process, actor, snapshot=snapshot)
    return process


def advance(
    process: Process, actor: User | None, limit: int = 10, snapshot: Snapshot | None = None
) -> list[str]:
    """Fire automatic transitions whose guards now pass (after an approval or event).

    Only when a state the file stands in has an automatic transition are the
    facts its guards read loaded; ``snapshot`` is the caller's, read after its lock.
    """
    fired: list[str] = []
    defn = process.definition
    snapshot = snapshot or load_snapshot(process)
    for _ in range(limit):
        now = clock.utcnow()
        where = engine.Facts(active=snapshot.active(), now=now, flags=flags_for(process))
        waiting = [t for t in engine.candidates(defn, where) if t.auto]
        if not waiting:
            break
        facts = facts_for(process, now, snapshot, guards_of(waiting))
        ready = [t for t in waiting if not engine.check(defn, facts, t.key, SYSTEM_ROLES)]
        if not ready:
            break
        _apply(process, ready[0], facts, actor, auto=True, snapshot=snapshot)
        fired.append(ready[0].key)
    return fired


def advance_process(process_id: int, actor: User | None = None) -> list[str]:
    """Take the file's lock, then let automatic transitions happen (timers, sweeps)."""
    process = lock_process(process_id)
    if process.is_closed:
        return []
    return advance(process, actor)


def get_process(process_id: int, actor: User) -> Process:
    """Load a file the actor may see, or raise."""
    require(actor, "process.view")
    process = db.session.get(Process, process_id)
    if process is None:
        raise NotFound()
    return process


def set_flag(
    process_id: int, flag: str, value: bool, actor: User, seen_version: int | None = None
) -> Process:
    """Confirm (or withdraw) a condition such as "final text agreed"."""
    require(actor, "process.flag")
    if flag not in ("final_text_agreed", "requires_ministry"):
        raise Invalid(fields={"flag": [Reason("unknown_value")]})
    process = lock_process(process_id, seen_version)
    refuse_if_closed(process)
    defn = process.definition
    snapshot = load_snapshot(process)
    active = snapshot.active()
    frozen = active & defn.flag_frozen_states(flag)
    if frozen and flags_for(process)[flag] != bool(value):
        title = FLAG_TITLES[flag]
        raise Refused(
            [Reason("flag_frozen", {"flag": title, "states": engine.titles(defn, frozen)})]
        )
    process.flags = {**(process.flags or {}), flag: bool(value)}
    audit.record("process.flag", actor, process, data={"flag": flag, "value": bool(value)})
    db.session.flush()
    advance(process, actor, snapshot=snapshot)
    return process
