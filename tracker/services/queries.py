"""Read models for screens and reports, each built in a fixed number of queries.

The dashboard, the calendar and the status report load every file at once
with a handful of set-based queries (never one per file), so the page costs
the same with ten files or five hundred.
"""

from __future__ import annotations

import calendar as cal
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..domain import approvals as policy
from ..domain import engine
from ..domain.calendar import local_to_utc, to_local
from ..domain.definitions import TransitionDef, WorkflowDef
from ..domain.diagram import Diagram, layout
from ..domain.text import Reason, pick
from ..extensions import db
from ..models import (
    ApprovalRequest,
    AuditLog,
    Authority,
    Comment,
    CouncilDecision,
    Deadline,
    DeadlineExtension,
    Document,
    ExternalEvent,
    Process,
    Reminder,
    Step,
    User,
    WorkflowVersion,
)

T = Mapping[str, str]

MINISTRY: T = {"el": "Υπουργείο Εσωτερικών", "en": "Ministry of Interior"}
COUNCIL: T = {"el": "Δημοτικό Συμβούλιο", "en": "Municipal council"}
SUPERVISOR: T = {"el": "Εποπτεύουσα αρχή", "en": "Supervising authority"}

#: Reasons that mean "stuck until something changes", not just "waiting for the next step".
BLOCKING = frozenset(
    {
        "approval_rejected",
        "no_approvers",
        "appeal_window_open",
        "appeal_window_missing",
        "appeal_pending",
        "appeal_upheld",
        "council_outcome",
    }
)
SOON_DAYS = 7
URGENCY_ORDER = {"overdue": 0, "soon": 1, "later": 2, "none": 3}


def urgency(due: datetime | None, now: datetime) -> str:
    """overdue / soon (within a week) / later / none — the deadline chip's colour."""
    if due is None:
        return "none"
    if due < now:
        return "overdue"
    if due - now < timedelta(days=SOON_DAYS):
        return "soon"
    return "later"


# --------------------------------------------------------------------------- dashboard


@dataclass
class Filters:
    """The dashboard's GET form, already validated."""

    kind: str = ""
    state: str = ""
    country: str = ""
    overdue: bool = False
    mine: bool = False


@dataclass(frozen=True, slots=True)
class PartnerRef:
    """The partner columns a dashboard row shows, read as plain values (no ORM object)."""

    id: int
    name_el: str
    name_en: str
    country: str

    def name(self, lang: str) -> str:
        return self.name_el if lang == "el" else self.name_en


@dataclass(slots=True)
class FileRef:
    """One file as the dashboard and ``tracker list`` need it, read as plain columns.

    It answers the same attributes as a ``Process`` for what a row shows (``id``,
    ``kind``, ``is_closed``, ``partner``, ``definition``): building a thousand ORM
    objects (and their partners and owners) cost more than the rest of the page.
    """

    id: int
    kind: str
    is_closed: bool
    workflow_id: int
    definition: WorkflowDef
    partner: PartnerRef
    owner_name: str | None


@dataclass(slots=True)
class DashboardRow:
    process: FileRef
    states: list[str]
    progress: float
    next_due: datetime | None
    due_state: str | None = None
    waiting_on_me: int = 0
    urgency: str = "none"
    since: datetime | None = None
    who: tuple[str, ...] = ()


@dataclass
class Dashboard:
    rows: list[DashboardRow]
    total: int
    overdue: int
    soon: int
    mine: int
    kinds: list[tuple[str, str]]
    states: list[tuple[str, str]]
    countries: list[str]
    filters: Filters

    @property
    def filtered(self) -> bool:
        return self.filters != Filters()


class _Ask(NamedTuple):
    """An approval request of a current round, as the dashboard needs it (a plain tuple)."""

    process_id: int
    state: str
    group: int
    status: str
    approver_id: int
    name: str


def _columns(stmt: sa.Select[Any]) -> sa.CursorResult[Any]:
    """Run a select of plain columns on the session's connection, without the ORM's
    result machinery (a thousand rows of columns need none of it)."""
    return db.session.connection().execute(stmt)


def _current_asks() -> list[_Ask]:
    rows = _columns(
        sa.select(
            ApprovalRequest.process_id,
            ApprovalRequest.state,
            ApprovalRequest.group_index,
            ApprovalRequest.status,
            ApprovalRequest.approver_id,
            User.name,
        )
        .join(Step, Step.id == ApprovalRequest.step_id)
        .join(User, User.id == ApprovalRequest.approver_id)
        .where(
            Step.status == "open",
            Step.round == ApprovalRequest.round,
            ApprovalRequest.status != "void",
        )
        .order_by(ApprovalRequest.id)
    )
    return [_Ask._make(r) for r in rows]


def waiting_approvers(
    defn: WorkflowDef,
    state: str,
    asks: list[_Ask],
    memo: dict[tuple[Any, ...], set[int] | None] | None = None,
) -> list[_Ask]:
    """Pending approvers of ``state`` whose group may decide now (ordered groups wait).

    ``memo`` keeps the policy's answer per workflow, state and set of votes: the
    dashboard asks it of every file, and most files stand at the same few votes.
    """
    spec = defn.states[state].approval
    if spec is None or not asks:
        return []
    key = (id(defn), state, *((a.approver_id, a.group, a.status) for a in asks))
    if memo is not None and key in memo:
        groups = memo[key]
    else:
        votes = [policy.Vote(a.approver_id, a.group, a.status) for a in asks]  # type: ignore[arg-type]
        pending = policy.evaluate(spec, votes) == "pending"
        groups = policy.open_groups(spec, votes) if pending else None
        if memo is not None:
            memo[key] = groups
    if groups is None:
        return []
    return [a for a in asks if a.status == "pending" and a.group in groups]


#: Stands for the partner's name among the outside actors of a state (filled per file).
PARTNER = object()


def _outside_actors(defn: WorkflowDef, state: str, lang: str) -> list[object]:
    """Who outside the system must act for the file to leave ``state``.

    Only transitions that start from ``state`` alone count: a join (such as
    "ready to sign", waiting on two branches) says nothing about who acts here.
    The partner is the ``PARTNER`` marker, so the answer is the same for every
    file in ``state`` and the dashboard works it out once per state.
    """
    found: list[object] = []
    for t in defn.transitions.values():
        if t.style != "primary" or [p.state for p in t.source] != [state]:
            continue
        for g in t.guards:
            if g.name == "external":
                event = str(g.params.get("event", ""))
                if event.startswith("partner"):
                    found.append(PARTNER)
                elif event == "ministry_decision":
                    found.append(pick(MINISTRY, lang))
                elif event == "appeal":
                    found.append(pick(SUPERVISOR, lang))
            elif g.name == "council":
                found.append(pick(COUNCIL, lang))
    return list(dict.fromkeys(found))


def _joins_only(defn: WorkflowDef, state: str) -> bool:
    """Whether ``state`` is only left together with other states (it waits for a branch)."""
    ways = [t for t in defn.transitions.values() if any(p.state == state for p in t.source)]
    primary = [t for t in ways if t.style == "primary"]
    return bool(primary) and all(len(t.source) > 1 and t.match == "all" for t in primary)


_Outside = tuple[bool, list[object]]


def _who(
    defn: WorkflowDef,
    state: str,
    approvers: list[str],
    partner: str,
    owner: str | None,
    lang: str,
    memo: dict[tuple[int, str], _Outside] | None = None,
) -> list[str]:
    """Names of whoever a file waits on in ``state``: approvers, outsiders, or its owner.

    ``memo`` keeps what depends on the workflow and state only (a page asks the
    same question of many files).
    """
    key = (id(defn), state)
    known = memo.get(key) if memo is not None else None
    if known is None:
        known = (
            defn.states[state].terminal or _joins_only(defn, state),
            _outside_actors(defn, state, lang),
        )
        if memo is not None:
            memo[key] = known
    silent, outside = known
    if silent:
        return []
    names = list(approvers)
    names += [partner if o is PARTNER else cast(str, o) for o in outside]
    if not names and owner is not None:
        names.append(owner)
    return list(dict.fromkeys(names))


def who_acts(
    process: Process, state: str, asks: list[_Ask], lang: str, owner: User | None
) -> list[str]:
    """Names of whoever the file waits on in ``state``: approvers, outsiders, or its owner."""
    waiting = waiting_approvers(process.definition, state, asks)
    return _who(
        process.definition,
        state,
        [a.name for a in waiting],
        process.partner.name(lang),
        owner.name if owner is not None else None,
        lang,
    )


def _files() -> list[FileRef]:
    """Every file with its partner and owner's name, as plain columns (2 queries)."""
    rows = _columns(
        sa.select(
            Process.id,
            Process.kind,
            Process.is_closed,
            Process.workflow_id,
            User.name,
            Authority.id,
            Authority.name_el,
            Authority.name_en,
            Authority.country,
        )
        .join(Authority, Authority.id == Process.partner_id)
        .outerjoin(User, User.id == Process.owner_id)
        .order_by(Process.id)
    ).all()
    # The workflow versions (large JSON) are loaded once each; their definitions are cached.
    wanted = {r[3] for r in rows}
    versions: Iterable[WorkflowVersion] = (
        db.session.scalars(sa.select(WorkflowVersion).where(WorkflowVersion.id.in_(wanted)))
        if wanted
        else []
    )
    definitions = {v.id: v.definition for v in versions}
    partners: dict[int, PartnerRef] = {}
    files = []
    for pid, kind, closed, wid, owner, aid, name_el, name_en, country in rows:
        partner = partners.get(aid)
        if partner is None:
            partner = partners[aid] = PartnerRef(aid, name_el, name_en, country)
        files.append(FileRef(pid, kind, closed, wid, definitions[wid], partner, owner))
    return files


def _waiting_on(
    p: FileRef,
    states: list[str],
    asks: list[list[_Ask] | None],
    me: int,
    lang: str,
    memos: tuple[dict[Any, Any], dict[Any, Any]],
) -> tuple[tuple[str, ...], int]:
    """Who a file waits on (names, each once) and how many of its votes are ``me``'s."""
    defn, partner = p.definition, p.partner.name(lang)
    policy_memo, outside = memos
    who: list[str] = []
    mine = 0
    for state, here in zip(states, asks, strict=True):
        waiting = waiting_approvers(defn, state, here, policy_memo) if here else []
        names = [a.name for a in waiting]
        who += _who(defn, state, names, partner, p.owner_name, lang, outside)
        mine += sum(a.approver_id == me for a in waiting)
    if not who and states and not p.is_closed and p.owner_name is not None:
        who = [p.owner_name]  # branches all waiting on each other: the owner is to look
    return tuple(dict.fromkeys(who)), mine


def dashboard(user: User, filters: Filters, lang: str) -> Dashboard:
    """Every file with its states, progress, next deadline and who must act (5 queries).

    Plain columns, no ORM object per file, and whatever depends only on the
    workflow and its states (who acts outside, progress) worked out once per page:
    a thousand files cost milliseconds (docs/performance.md, figure 1).
    """
    now = clock.utcnow()
    files = _files()
    steps: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for pid, state, entered in _columns(
        sa.select(Step.process_id, Step.state, Step.entered_dt)
        .where(Step.status == "open")
        .order_by(Step.id)
    ).all():
        steps[pid].append((state, entered))
    deadlines: dict[int, tuple[datetime, str]] = {}
    for pid, due_dt, state, kind in _columns(
        sa.select(Deadline.process_id, Deadline.due_dt, Deadline.state, Deadline.kind)
        .where(Deadline.status == "open")
        .order_by(Deadline.due_dt)
    ).all():
        deadlines.setdefault(pid, (due_dt, state or kind))
    asks: dict[tuple[int, str], list[_Ask]] = defaultdict(list)
    for ask in _current_asks():
        asks[(ask.process_id, ask.state)].append(ask)

    me = user.id  # once: ``user`` may be Flask-Login's proxy, costly to read a thousand times
    memos: tuple[dict[Any, Any], dict[Any, Any]] = ({}, {})
    situations: dict[tuple[Any, ...], tuple[tuple[str, ...], int]] = {}
    progress: dict[tuple[int, frozenset[str]], float] = {}
    rows: list[DashboardRow] = []
    for p in files:
        defn = p.definition
        open_steps = steps.get(p.id, [])
        current = [state for state, _entered in open_steps]
        active = frozenset(current)
        due = deadlines.get(p.id)
        # Files in the same situation (workflow, states, votes, partner, owner) wait on
        # the same people: worked out once for all of them.
        here = [asks.get((p.id, state)) for state in current]
        situation = (
            p.workflow_id,
            p.is_closed,
            p.partner.id,
            p.owner_name,
            *current,
            *(tuple(a[1:] for a in found) if found else None for found in here),
        )
        known = situations.get(situation)
        if known is None:
            known = situations[situation] = _waiting_on(p, current, here, me, lang, memos)
        who, mine = known
        share = progress.get((p.workflow_id, active))
        if share is None:
            share = progress[(p.workflow_id, active)] = (
                engine.progress(defn, active) if active else 0.0
            )
        rows.append(
            DashboardRow(
                process=p,
                states=current,
                progress=share,
                next_due=due[0] if due else None,
                due_state=due[1] if due else None,
                waiting_on_me=mine,
                urgency=urgency(due[0] if due else None, now),
                since=min((entered for _state, entered in open_steps), default=None),
                who=who,
            )
        )
    never = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(
        key=lambda r: (
            r.process.is_closed,
            URGENCY_ORDER[r.urgency],
            -r.waiting_on_me,
            r.next_due or never,
            r.process.id,
        )
    )
    kinds, states = _kinds(files, lang), _states(files, lang)
    countries = sorted({p.partner.country for p in files})
    filters = Filters(  # only offered values count; anything else is ignored, never an error
        kind=filters.kind if filters.kind in dict(kinds) else "",
        state=filters.state if filters.state in dict(states) else "",
        country=filters.country if filters.country in countries else "",
        overdue=filters.overdue,
        mine=filters.mine,
    )
    return Dashboard(
        rows=[r for r in rows if _matches(r, filters)],
        total=len(rows),
        overdue=sum(r.urgency == "overdue" for r in rows),
        soon=sum(r.urgency == "soon" for r in rows),
        mine=sum(1 for r in rows if r.waiting_on_me),
        kinds=kinds,
        states=states,
        countries=countries,
        filters=filters,
    )


def dashboard_rows(user: User) -> list[DashboardRow]:
    """Every file, most urgent first (the command line's ``list``)."""
    return dashboard(user, Filters(), "en").rows


def _matches(row: DashboardRow, f: Filters) -> bool:
    p = row.process
    return (
        (not f.kind or p.kind == f.kind)
        and (not f.state or f.state in row.states)
        and (not f.country or p.partner.country == f.country)
        and (not f.overdue or row.urgency == "overdue")
        and (not f.mine or row.waiting_on_me > 0)
    )


def _kinds(files: list[FileRef], lang: str) -> list[tuple[str, str]]:
    found = {
        kind: pick(defn.title, lang) for kind, defn in {p.kind: p.definition for p in files}.items()
    }
    return sorted(found.items(), key=lambda kv: kv[1])


def _states(files: list[FileRef], lang: str) -> list[tuple[str, str]]:
    """Every state of the workflows in use, in workflow order, each once."""
    seen: dict[str, str] = {}
    for defn in {p.workflow_id: p.definition for p in files}.values():
        for key, sdef in defn.states.items():
            seen.setdefault(key, pick(sdef.title, lang))
    return list(seen.items())


# --------------------------------------------------------------------------- process page


@dataclass
class Need:
    """One way forward from a current state and what it still waits for."""

    state: str
    transition: TransitionDef
    reasons: list[Reason]
    records: list[dict[str, str]]

    @property
    def ready(self) -> bool:
        return not self.reasons


@dataclass
class Check:
    """One condition of the road to signing: met or not, and why not."""

    label: T
    met: bool
    reasons: list[Reason]


@dataclass
class RequestRound:
    """One round of a step's approvals; ``superseded`` when sent back and voted again."""

    state: str
    round: int
    current: bool
    superseded: bool
    requests: list[ApprovalRequest]
    #: Group indices whose turn has not come (ordered approvals): shown without a form.
    not_yet: frozenset[int] = frozenset()


@dataclass
class DeadlineView:
    deadline: Deadline
    urgency: str
    reminders: list[Reminder]


@dataclass
class ProcessPage:
    """Everything the file's page shows, loaded at once."""

    active: list[str]
    actions: list[Any]
    needs: list[Need]
    checklist: list[Check]
    rounds: list[RequestRound]
    deadlines: list[DeadlineView]
    steps: list[Step]
    council: list[CouncilDecision]
    appeal: Deadline | None
    events: list[ExternalEvent]
    history: list[AuditLog]
    comments: list[Comment]
    documents: list[Document]
    progress: float
    signing_notes: dict[str, list[Reason]]
    diagram: Diagram
    status: dict[str, str]
    taken: set[str]
    who: list[str]
    flags: dict[str, bool]


def _records_for(t: TransitionDef, flags: Mapping[str, bool]) -> list[dict[str, str]]:
    """Which record form would satisfy each guard of ``t`` (links next to the reasons)."""
    out: list[dict[str, str]] = []
    for g in t.guards:
        if g.name == "external":
            out.append({"form": "external", "kind": str(g.params["event"])})
        elif g.name == "council":
            out.append({"form": "council", "purpose": str(g.params.get("purpose", "approval"))})
        elif g.name == "flag" and g.params.get("flag") == "final_text_agreed":
            out.append({"form": "flag", "flag": "final_text_agreed"})
        elif g.name == "appeal_window_closed":
            out.append({"form": "external", "kind": "appeal"})
        elif g.name == "travel_if_abroad" and flags.get("partner_abroad"):
            out.append({"form": "council", "purpose": "travel", "phase": str(g.params["phase"])})
    return out


def _needs(process: Process, facts: engine.Facts, names: Mapping[str, Any]) -> list[Need]:
    """For each current state, its forward ways out with what each still needs."""
    from .processes import SYSTEM_ROLES

    defn = process.definition
    needs = []
    for t in engine.candidates(defn, facts):
        if t.style != "primary":
            continue
        reasons = engine.check(defn, facts, t.key, SYSTEM_ROLES, None, names)
        state = next(p.state for p in t.source if p.state in facts.active)
        needs.append(Need(state, t, reasons, _records_for(t, facts.flags)))
    return needs


def _checklist(process: Process, facts: engine.Facts, entered: set[str]) -> list[Check]:
    """The conditions of the move into "ready to sign", each on its own, until it happens."""
    defn = process.definition
    into = [
        t for t in defn.transitions.values() if any(p.state == "ready_to_sign" for p in t.target)
    ]
    if not into or "ready_to_sign" in entered or process.is_closed:
        return []
    t = into[0]
    checks: list[Check] = []
    for place in t.source:
        if place.applies(facts.flags):
            done = place.state in entered
            checks.append(Check(defn.states[place.state].title, done, []))
    for g in t.guards:
        reasons = engine.GUARD_FUNCTIONS[g.name](defn, t, facts, g, {})
        checks.append(Check(_guard_label(g.name, g.params), not reasons, reasons))
    return checks


GUARD_LABELS: dict[str, T] = {
    "appeal_window_closed": {
        "el": "Η προθεσμία προσφυγής έληξε χωρίς προσφυγή",
        "en": "Appeal window closed with no appeal",
    },
    "council": {"el": "Απόφαση Δημοτικού Συμβουλίου", "en": "Council decision"},
    "approvals": {"el": "Εγκρίσεις", "en": "Approvals"},
    "travel_if_abroad": {"el": "Απόφαση μετάβασης", "en": "Travel decision"},
}


def _guard_label(name: str, params: Mapping[str, Any]) -> T:
    from ..domain.text import COUNCIL_PURPOSES, EXTERNAL_EVENTS, FLAG_TITLES

    if name == "flag":
        return FLAG_TITLES.get(str(params.get("flag")), {"el": name, "en": name})
    if name == "external":
        return EXTERNAL_EVENTS.get(str(params.get("event")), {"el": name, "en": name})
    if name == "council":
        purpose = COUNCIL_PURPOSES.get(str(params.get("purpose")), {"el": "", "en": ""})
        return {lang: f"{GUARD_LABELS['council'][lang]}: {purpose[lang]}" for lang in ("el", "en")}
    return GUARD_LABELS.get(name, {"el": name, "en": name})


def _status(
    defn: WorkflowDef, steps: list[Step], needs: list[Need], active: set[str]
) -> dict[str, str]:
    """done / current / blocked / future per state, for the diagram and its text list."""
    done = {s.state for s in steps if s.status != "open"}
    status = {}
    for key in defn.states:
        if key in active:
            ways = [n for n in needs if n.state == key and n.transition.style == "primary"]
            stuck = bool(ways) and all(any(r.code in BLOCKING for r in n.reasons) for n in ways)
            status[key] = "blocked" if stuck else "current"
        elif key in done:
            status[key] = "done"
        else:
            status[key] = "future"
    return status


_LAYOUTS: dict[tuple[int, str], Diagram] = {}


def diagram_for(workflow: WorkflowVersion, lang: str) -> Diagram:
    """Layouts never change for a stored version: compute once per version and language."""
    key = (workflow.id, lang)
    if key not in _LAYOUTS:
        _LAYOUTS[key] = layout(workflow.definition, lang)
    return _LAYOUTS[key]


def process_page(process: Process, user: User, lang: str = "el") -> ProcessPage:
    """The file with its workflow picture, what it waits for, and its whole record."""
    from . import processes as svc

    pid = process.id
    # One statement for every step (and the owner, which the page shows), shared with the facts.
    snapshot = svc.load_snapshot(process)
    steps = snapshot.steps
    open_steps = [s for s in steps if s.status == "open"]
    active = [s.state for s in open_steps]
    # The decisions, outside events and deadlines the page shows are read first, and the
    # guards' facts are built from them; the facts and the approvers' names are read once
    # and every check below uses them (``processes.available_actions`` and ``check`` would
    # each read them again).
    council = _rows(CouncilDecision, pid)
    events = _rows(ExternalEvent, pid)
    deadlines = list(
        db.session.scalars(
            sa.select(Deadline)
            .where(Deadline.process_id == pid, Deadline.status != "cancelled")
            .options(selectinload(Deadline.extensions).joinedload(DeadlineExtension.actor))
            .order_by(Deadline.status != "open", Deadline.due_dt)
        )
    )
    latest_appeal = max(
        (d for d in deadlines if d.kind == "appeal"), key=lambda d: d.id, default=None
    )
    facts = svc.facts_for(
        process, snapshot=snapshot, records=svc.Records(council, events, latest_appeal)
    )
    names = cast(Mapping[str, Mapping[str, Any]], svc._names(process))
    defn = process.definition
    actions = [
        a
        for a in (
            svc.Action(t, engine.check(defn, facts, t.key, user.role_keys, None, names))
            for t in engine.candidates(defn, facts)
        )
        if not a.transition.auto and not any(r.code == "not_permitted" for r in a.reasons)
    ]
    roles = user.role_keys if user.is_active else frozenset()
    signing_notes = {
        a.transition.key: engine.check(
            defn, facts, a.transition.key, roles, {"place": "partner", "date": "x"}, names
        )
        for a in actions
        if "place" in a.transition.inputs
    }
    needs = _needs(process, facts, names)
    entered = {s.state for s in steps}
    requests = list(
        db.session.scalars(
            sa.select(ApprovalRequest)
            .where(ApprovalRequest.process_id == pid)
            .options(joinedload(ApprovalRequest.on_behalf_of))
            .order_by(ApprovalRequest.step_id, ApprovalRequest.round, ApprovalRequest.id)
        ).unique()
    )
    reminders: dict[int, list[Reminder]] = defaultdict(list)
    for r in db.session.scalars(
        sa.select(Reminder)
        .join(Deadline, Deadline.id == Reminder.deadline_id)
        .where(Deadline.process_id == pid, Reminder.status != "cancelled")
        .order_by(Reminder.fire_dt)
    ):
        reminders[r.deadline_id].append(r)
    now = clock.utcnow()
    appeal = next((d for d in deadlines if d.kind == "appeal"), None)
    owner = process.owner  # the relationship, so the page's own `p.owner` reads it again free
    all_asks = [
        _Ask(r.process_id, r.state, r.group_index, r.status, r.approver_id, r.approver.name)
        for r in requests
        if r.status != "void" and any(s.id == r.step_id and s.round == r.round for s in open_steps)
    ]
    who: list[str] = []
    for state in active:
        who += who_acts(process, state, [a for a in all_asks if a.state == state], lang, owner)
    if not who and owner is not None and not process.is_closed:
        who = [owner.name]
    return ProcessPage(
        active=active,
        actions=actions,
        needs=needs,
        checklist=_checklist(process, facts, entered),
        rounds=_rounds(requests, steps, process.definition),
        deadlines=[
            DeadlineView(
                d, urgency(d.due_dt, now) if d.status == "open" else "none", reminders[d.id]
            )
            for d in deadlines
        ],
        steps=steps,
        council=council,
        appeal=appeal,
        events=events,
        history=list(
            db.session.scalars(
                sa.select(AuditLog)
                .where(AuditLog.process_id == pid)
                .options(joinedload(AuditLog.on_behalf_of))
                .order_by(AuditLog.id.desc())
            ).unique()
        ),
        comments=_rows(Comment, pid),
        documents=list(
            db.session.scalars(
                sa.select(Document)
                .where(Document.process_id == pid)
                .options(joinedload(Document.uploaded_by))
                .order_by(Document.id.desc())
            ).unique()
        ),
        progress=engine.progress(process.definition, frozenset(active)) if active else 0.0,
        signing_notes={k: v for k, v in signing_notes.items() if v},
        diagram=diagram_for(process.workflow, lang),
        status=_status(process.definition, steps, needs, set(active)),
        taken={s.entered_by_transition for s in steps if s.entered_by_transition},
        who=list(dict.fromkeys(who)),
        flags=dict(facts.flags),
    )


def _rows(model: Any, process_id: int) -> list[Any]:
    return list(
        db.session.scalars(
            sa.select(model).where(model.process_id == process_id).order_by(model.id)
        ).unique()
    )


def _rounds(
    requests: list[ApprovalRequest], steps: list[Step], defn: WorkflowDef
) -> list[RequestRound]:
    """Requests grouped by step and round, newest first; only open steps' last round is live."""
    by_step = {s.id: s for s in steps}
    grouped: dict[tuple[int, int], list[ApprovalRequest]] = defaultdict(list)
    for r in requests:
        grouped[(r.step_id, r.round)].append(r)
    rounds = []
    for (step_id, number), rows in grouped.items():
        step = by_step[step_id]
        live = step.status == "open" and step.round == number
        later = any(k[0] == step_id and k[1] > number for k in grouped)
        spec = defn.states[rows[0].state].approval if rows[0].state in defn.states else None
        not_yet: frozenset[int] = frozenset()
        if live and spec is not None and spec.ordered:
            votes = [
                policy.Vote(r.approver_id, r.group_index, r.status)  # type: ignore[arg-type]
                for r in rows
                if r.status in ("pending", "approved", "rejected")
            ]
            not_yet = frozenset(
                r.group_index
                for r in rows
                if policy.awaited_group(spec, votes, r.group_index) is not None
            )
        rounds.append(RequestRound(rows[0].state, number, live, later, rows, not_yet))
    rounds.sort(key=lambda rr: (not rr.current, -min(r.id for r in rr.requests)))
    return rounds


# --------------------------------------------------------------------------- calendar


@dataclass
class CalendarItem:
    when: datetime | date
    kind: str  # "deadline" | "ceremony"
    process: Process
    label: T
    urgency: str = "none"
    status: str = ""


@dataclass
class Month:
    year: int
    month: int
    weeks: list[list[date | None]]
    items: dict[date, list[CalendarItem]]
    previous: date
    next: date
    today: date


def month(year: int, month_: int) -> Month:
    """Deadlines and signing ceremonies of one Europe/Athens month (2 queries)."""
    first = date(year, month_, 1)
    last = date(year, month_, cal.monthrange(year, month_)[1])
    start = local_to_utc(first, time(0, 0))
    end = local_to_utc(last + timedelta(days=1), time(0, 0))
    now = clock.utcnow()
    items: dict[date, list[CalendarItem]] = defaultdict(list)
    for d in db.session.scalars(
        sa.select(Deadline)
        .join(Process, Process.id == Deadline.process_id)
        .where(Deadline.status != "cancelled", Deadline.due_dt >= start, Deadline.due_dt < end)
        .options(joinedload(Deadline.process))
        .order_by(Deadline.due_dt)
    ).unique():
        defn = d.process.definition
        label = (
            defn.states[d.state].title
            if d.state is not None and d.state in defn.states
            else DEADLINE_KINDS[d.kind]
        )
        items[to_local(d.due_dt).date()].append(
            CalendarItem(
                d.due_dt,
                "deadline",
                d.process,
                label,
                urgency(d.due_dt, now) if d.status == "open" else "none",
                d.status,
            )
        )
    for e in db.session.scalars(
        sa.select(ExternalEvent)
        .where(
            ExternalEvent.kind == "signing",
            ExternalEvent.event_date >= first,
            ExternalEvent.event_date <= last,
        )
        .order_by(ExternalEvent.event_date, ExternalEvent.id)
    ):
        process = db.session.get(Process, e.process_id)
        assert process is not None
        items[e.event_date].append(
            CalendarItem(e.event_date, "ceremony", process, SIGNING_TITLES.get(e.outcome, SIGN))
        )
    weeks = [
        [d if d.month == month_ else None for d in week]
        for week in cal.Calendar(firstweekday=0).monthdatescalendar(year, month_)
    ]
    return Month(
        year,
        month_,
        weeks,
        dict(items),
        (first - timedelta(days=1)).replace(day=1),
        last + timedelta(days=1),
        to_local(now).date(),
    )


SIGN: T = {"el": "Τελετή υπογραφής", "en": "Signing ceremony"}
SIGNING_TITLES: dict[str, T] = {
    "A": {"el": "Τελετή υπογραφής (φάση Α)", "en": "Signing ceremony (phase A)"},
    "B": {"el": "Τελετή υπογραφής (φάση Β)", "en": "Signing ceremony (phase B)"},
    "joint": {"el": "Κοινή τελετή υπογραφής", "en": "Joint signing ceremony"},
}
DEADLINE_KINDS: dict[str, T] = {
    "step": {"el": "Προθεσμία βήματος", "en": "Step deadline"},
    "appeal": {"el": "Λήξη προθεσμίας προσφυγής", "en": "Appeal window closes"},
    "expiry": {"el": "Λήξη ισχύος", "en": "Expiry"},
    "review": {"el": "Επανεξέταση", "en": "Review"},
    "report": {"el": "Έκθεση", "en": "Report"},
}


# --------------------------------------------------------------------------- reports


@dataclass
class StatusRow:
    process: Process
    states: list[str]
    progress: float
    next_due: datetime | None
    urgency: str
    last_activity: datetime | None
    decision: CouncilDecision | None


def sort_key(name: str) -> str:
    """Alphabetical as a reader expects: accents and case do not move a name
    (Python alone puts «Ά» before «Α» and every capital before lower case)."""
    decomposed = unicodedata.normalize("NFD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def status_report(lang: str = "el") -> list[StatusRow]:
    """Every agreement with where it stands, for the council (5 queries): open ones first,
    then by partner in the reader's language."""
    now = clock.utcnow()
    processes = list(
        db.session.scalars(
            sa.select(Process).options(joinedload(Process.owner)).order_by(Process.id)
        ).unique()
    )
    states: dict[int, list[str]] = defaultdict(list)
    for pid, state in db.session.execute(
        sa.select(Step.process_id, Step.state).where(Step.status == "open").order_by(Step.id)
    ):
        states[pid].append(state)
    due: dict[int, datetime] = dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(Deadline.process_id, sa.func.min(Deadline.due_dt))
            .where(Deadline.status == "open")
            .group_by(Deadline.process_id)
        ).all()
    )
    last: dict[int, datetime] = dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(AuditLog.process_id, sa.func.max(AuditLog.created_dt))
            .where(AuditLog.process_id.is_not(None))
            .group_by(AuditLog.process_id)
        ).all()
    )
    decisions: dict[int, CouncilDecision] = {}
    for d in db.session.scalars(
        sa.select(CouncilDecision)
        .where(CouncilDecision.purpose == "approval")
        .order_by(CouncilDecision.id)
    ):
        decisions[d.process_id] = d
    rows = []
    for p in processes:
        active = frozenset(states.get(p.id, []))
        rows.append(
            StatusRow(
                p,
                states.get(p.id, []),
                engine.progress(p.definition, active) if active else 0.0,
                _aware(due.get(p.id)),
                urgency(_aware(due.get(p.id)), now) if not p.is_closed else "none",
                _aware(last.get(p.id)),
                decisions.get(p.id),
            )
        )
    rows.sort(
        key=lambda r: (r.process.is_closed, sort_key(r.process.partner.name(lang)), r.process.id)
    )
    return rows


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates bypass the column type on SQLite: give them back their UTC zone."""
    from datetime import UTC

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def file_history(process: Process) -> list[AuditLog]:
    """The whole history of one file, oldest first (for the minutes)."""
    return list(
        db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.process_id == process.id)
            .options(joinedload(AuditLog.on_behalf_of))
            .order_by(AuditLog.id)
        ).unique()
    )


# --------------------------------------------------------------------------- partners


@dataclass
class PartnerRow:
    authority: Authority
    agreements: list[Process]
    states: dict[int, list[str]]


def partners() -> list[PartnerRow]:
    """Every partner authority with its agreements (3 queries)."""
    authorities = list(
        db.session.scalars(
            sa.select(Authority)
            .where(Authority.is_home.is_(False))
            .options(joinedload(Authority.successor))
            .order_by(Authority.name_en)
        ).unique()
    )
    by_partner: dict[int, list[Process]] = defaultdict(list)
    for p in db.session.scalars(sa.select(Process).order_by(Process.id)).unique():
        by_partner[p.partner_id].append(p)
    states: dict[int, list[str]] = defaultdict(list)
    for pid, state in db.session.execute(
        sa.select(Step.process_id, Step.state).where(Step.status == "open").order_by(Step.id)
    ):
        states[pid].append(state)
    return [PartnerRow(a, by_partner.get(a.id, []), states) for a in authorities]


def partner_profile(authority: Authority) -> PartnerRow:
    """One authority with all its agreements and their current states."""
    agreements = list(
        db.session.scalars(
            sa.select(Process).where(Process.partner_id == authority.id).order_by(Process.id)
        ).unique()
    )
    states: dict[int, list[str]] = defaultdict(list)
    ids = [p.id for p in agreements]
    if ids:
        for pid, state in db.session.execute(
            sa.select(Step.process_id, Step.state)
            .where(Step.status == "open", Step.process_id.in_(ids))
            .order_by(Step.id)
        ):
            states[pid].append(state)
    return PartnerRow(authority, agreements, states)


def predecessors(authority: Authority) -> list[Authority]:
    """Authorities that were merged into this one."""
    return list(
        db.session.scalars(
            sa.select(Authority)
            .where(Authority.successor_id == authority.id)
            .order_by(Authority.id)
        )
    )
