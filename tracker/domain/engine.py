"""The workflow engine: which transitions are allowed, why not, and what they do.

Pure functions over a ``Facts`` snapshot that the service layer builds from the
database; nothing here reads a clock, a request or a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from .approvals import Vote, evaluate, needed, open_groups, understaffed
from .calendar import to_local
from .definitions import GuardRef, TransitionDef, WorkflowDef
from .roles import ROLES
from .text import (
    COUNCIL_PURPOSES,
    EXTERNAL_EVENTS,
    FLAG_TITLES,
    INPUT_TITLES,
    OUTCOMES,
    PHASES,
    Reason,
    Text,
    moment_text,
)


@dataclass(frozen=True)
class CouncilFact:
    """A recorded council decision as the guards see it."""

    purpose: str
    outcome: str
    phase: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class ExternalFact:
    """Something an outside actor did (ministry, partner, supervisor), in order of recording."""

    kind: str
    outcome: str
    at: datetime | None = None


def _since(at: datetime | None, start: datetime | None) -> bool:
    return at is None or start is None or at >= start


@dataclass(frozen=True)
class Facts:
    """Everything the guards may look at, gathered in one place.

    ``cycle_start`` is when the process last entered its definition's cycle
    state (see ``WorkflowDef.cycle_start``): older votes and events belong to
    an earlier round and are ignored. ``appeal_from`` is when the current
    appeal window opened: only appeals recorded since then count.
    """

    active: frozenset[str]
    now: datetime
    flags: Mapping[str, bool] = field(default_factory=dict)
    votes: Mapping[str, Sequence[Vote]] = field(default_factory=dict)
    council: Sequence[CouncilFact] = ()
    external: Sequence[ExternalFact] = ()
    appeal_until: datetime | None = None
    appeal_from: datetime | None = None
    cycle_start: datetime | None = None

    def latest_external(self, kind: str, since: datetime | None = None) -> str | None:
        outcomes = [
            e.outcome
            for e in self.external
            if e.kind == kind and _since(e.at, self.cycle_start) and _since(e.at, since)
        ]
        return outcomes[-1] if outcomes else None

    def latest_council(self, purpose: str, phase: str | None = None) -> CouncilFact | None:
        found = [
            c
            for c in self.council
            if c.purpose == purpose
            and (phase is None or c.phase == phase)
            and _since(c.at, self.cycle_start)
        ]
        return found[-1] if found else None


def titles(defn: WorkflowDef, states: frozenset[str] | set[str]) -> Text:
    """The titles of ``states`` joined, in both languages, for reasons."""
    ordered = sorted(states, key=lambda s: (defn.states[s].phase, s))
    return {lang: ", ".join(defn.states[s].title[lang] for s in ordered) for lang in ("el", "en")}


def role_titles(roles: Sequence[str]) -> Text:
    return {lang: ", ".join(ROLES[r][lang] for r in roles) for lang in ("el", "en")}


Guard = Callable[[WorkflowDef, TransitionDef, Facts, GuardRef, Mapping[str, Any]], list[Reason]]


def _approvals(
    defn: WorkflowDef, t: TransitionDef, facts: Facts, g: GuardRef, payload: Mapping[str, Any]
) -> list[Reason]:
    """The sign-off of every source step: approved, rejected, or who is still to act.

    A group with nobody assigned can never approve; it is named, so the office
    knows to assign the role (or a substitute) rather than wait.
    """
    reasons = []
    for place in t.source:
        state = defn.states[place.state]
        spec = state.approval
        if spec is None or place.state not in facts.active:
            continue
        votes = list(facts.votes.get(place.state, ()))
        outcome = evaluate(spec, votes)
        short = [
            (grp, n)
            for i, grp in enumerate(spec.groups)
            if understaffed(grp, n := sum(v.group == i for v in votes))
        ]
        if outcome == "rejected":
            reasons.append(Reason("approval_rejected", {"state": state.title}))
        elif short:
            for grp, n in short:
                params: dict[str, Any] = {"state": state.title, "roles": role_titles(grp.roles)}
                if n == 0:
                    reasons.append(Reason("no_approvers", params))
                else:
                    params.update(needed=needed(grp, n), assigned=n)
                    reasons.append(Reason("too_few_approvers", params))
        elif outcome == "pending":
            groups = open_groups(spec, votes)
            pending = [v for v in votes if v.decision == "pending" and v.group in groups]
            who = g.params.get("names", {}) if g.params else {}
            names = ", ".join(str(who.get(v.approver, v.approver)) for v in pending)
            reasons.append(
                Reason(
                    "approval_missing",
                    {"state": state.title, "pending": len(pending), "who": names},
                )
            )
    return reasons


def _council(
    defn: WorkflowDef, t: TransitionDef, facts: Facts, g: GuardRef, payload: Mapping[str, Any]
) -> list[Reason]:
    purpose = str(g.params.get("purpose", "approval"))
    wanted = str(g.params.get("outcome", "approved"))
    title = COUNCIL_PURPOSES.get(purpose, {"el": purpose, "en": purpose})
    latest = facts.latest_council(purpose)
    if latest is None:
        return [Reason("council_missing", {"purpose": title})]
    if latest.outcome != wanted:
        outcome = OUTCOMES.get(wanted, {"el": wanted, "en": wanted})
        return [Reason("council_outcome", {"purpose": title, "outcome": outcome})]
    return []


def _appeal_window_closed(
    defn: WorkflowDef, t: TransitionDef, facts: Facts, g: GuardRef, payload: Mapping[str, Any]
) -> list[Reason]:
    appeal = facts.latest_external("appeal", since=facts.appeal_from)
    if appeal == "lodged":
        return [Reason("appeal_pending")]
    if appeal == "upheld":
        return [Reason("appeal_upheld")]
    if facts.appeal_until is None:
        return [Reason("appeal_window_missing")]
    if facts.now < facts.appeal_until:
        until = moment_text(to_local(facts.appeal_until))
        return [Reason("appeal_window_open", {"until": until})]
    return []


def _external(
    defn: WorkflowDef, t: TransitionDef, facts: Facts, g: GuardRef, payload: Mapping[str, Any]
) -> list[Reason]:
    kind = str(g.params["event"])
    wanted = g.params.get("outcome")
    latest = facts.latest_external(kind)
    if latest is None or (wanted is not None and latest != wanted):
        outcome = (
            OUTCOMES.get(str(wanted), {"el": "—", "en": "—"}) if wanted else {"el": "—", "en": "—"}
        )
        event = EXTERNAL_EVENTS.get(kind, {"el": kind, "en": kind})
        return [Reason("external_missing", {"event": event, "outcome": outcome})]
    return []


def _flag(
    defn: WorkflowDef, t: TransitionDef, facts: Facts, g: GuardRef, payload: Mapping[str, Any]
) -> list[Reason]:
    name = str(g.params["flag"])
    if facts.flags.get(name):
        return []
    return [Reason("flag_missing", {"flag": FLAG_TITLES.get(name, {"el": name, "en": name})})]


def _travel_if_abroad(
    defn: WorkflowDef, t: TransitionDef, facts: Facts, g: GuardRef, payload: Mapping[str, Any]
) -> list[Reason]:
    """Law 3463/2006 art. 220 §3: each trip abroad needs its own council decision."""
    phase = str(g.params.get("phase", "A"))
    if payload.get("place") != "partner" or not facts.flags.get("partner_abroad"):
        return []
    decision = facts.latest_council("travel", phase)
    if decision is not None and decision.outcome == "approved":
        return []
    return [Reason("travel_missing", {"phase": PHASES.get(phase, {"el": phase, "en": phase})})]


GUARD_FUNCTIONS: dict[str, Guard] = {
    "approvals": _approvals,
    "council": _council,
    "appeal_window_closed": _appeal_window_closed,
    "external": _external,
    "flag": _flag,
    "travel_if_abroad": _travel_if_abroad,
}


def required_sources(t: TransitionDef, flags: Mapping[str, bool]) -> list[str]:
    return [p.state for p in t.source if p.applies(flags)]


def in_source(t: TransitionDef, facts: Facts) -> bool:
    """Whether the process stands where the transition starts."""
    needed = required_sources(t, facts.flags)
    if t.match == "any":
        return any(s in facts.active for s in needed)
    return bool(needed) and all(s in facts.active for s in needed)


def check(
    defn: WorkflowDef,
    facts: Facts,
    key: str,
    roles: set[str] | frozenset[str],
    payload: Mapping[str, Any] | None = None,
    guard_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Reason]:
    """Every reason why ``key`` cannot fire now; an empty list means it can.

    ``guard_params`` lets the caller enrich guards with display data (e.g.
    approver names) without the domain knowing about users. With ``payload``
    None the inputs are not checked: the question is then "could this be done
    once the form is filled in?", as for the buttons on the process page.
    """
    check_inputs = payload is not None
    payload = payload or {}
    t = defn.transitions[key]
    states = titles(defn, facts.active)
    if defn.is_terminal(facts.active):
        return [Reason("terminal", {"states": states})]
    if not in_source(t, facts):
        return [Reason("not_in_state", {"transition": t.title, "states": states})]
    reasons: list[Reason] = []
    if not roles & set(t.roles):
        reasons.append(Reason("not_permitted", {"transition": t.title}))
    for name in t.inputs if check_inputs else ():
        if payload.get(name) in (None, ""):
            title = INPUT_TITLES.get(name, {"el": name, "en": name})
            reasons.append(Reason("input_missing", {"field": title}))
    for g in t.guards:
        extra = (guard_params or {}).get(g.name)
        ref = GuardRef(g.name, {**g.params, **extra}) if extra else g
        reasons.extend(GUARD_FUNCTIONS[g.name](defn, t, facts, ref, payload))
    return reasons


@dataclass(frozen=True)
class Move:
    """The effect of a transition on the set of active states."""

    left: frozenset[str]
    entered: frozenset[str]
    active: frozenset[str]


def fire(defn: WorkflowDef, facts: Facts, key: str) -> Move:
    """Compute the new active states; the caller has already run ``check``."""
    t = defn.transitions[key]
    if t.match == "any":
        left = facts.active
    else:
        left = frozenset(p.state for p in t.source if p.state in facts.active)
    staying = facts.active - left
    entered = frozenset(p.state for p in t.target if p.applies(facts.flags)) - staying
    return Move(left, entered, staying | entered)


def awaited(defn: WorkflowDef, facts: Facts) -> tuple[frozenset[str], frozenset[str]]:
    """The outside events and council purposes the process is waiting for now.

    Read from the guards of the transitions that start where the process stands,
    so a ministry refusal typed in while the file is still being drafted cannot
    lie in wait and reject it the moment it reaches the ministry.
    """
    events: set[str] = set()
    purposes: set[str] = set()
    for t in candidates(defn, facts):
        for g in t.guards:
            if g.name == "external":
                events.add(str(g.params["event"]))
            elif g.name == "council":
                purposes.add(str(g.params["purpose"]))
    return frozenset(events), frozenset(purposes)


def guarded_purposes(defn: WorkflowDef) -> frozenset[str]:
    """Council purposes some guard of the workflow waits for."""
    return frozenset(
        str(g.params["purpose"])
        for t in defn.transitions.values()
        for g in t.guards
        if g.name == "council"
    )


def candidates(defn: WorkflowDef, facts: Facts) -> list[TransitionDef]:
    """Transitions that start where the process stands, whatever their guards say."""
    if defn.is_terminal(facts.active):
        return []
    return [t for t in defn.transitions.values() if in_source(t, facts)]


def progress(defn: WorkflowDef, active: frozenset[str]) -> float:
    """Share of the way through the workflow, for the dashboard's progress bar."""
    if defn.is_terminal(active):
        return 1.0
    phases = [defn.states[s].phase for s in active if not defn.states[s].terminal]
    top = defn.max_phase or 1
    return min(1.0, (min(phases) if phases else 0) / top)
