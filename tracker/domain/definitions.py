"""Workflow definitions as validated, versioned data.

A definition is plain JSON-friendly data (stored per version in the database);
``load_definition`` turns it into frozen objects and refuses anything the
engine could not run, so a bad edit by an administrator never reaches a live
process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from .calendar import DeadlineSpec
from .council import CouncilRule
from .errors import DefinitionError
from .ladders import Ladder
from .roles import ROLE_KEYS
from .text import COUNCIL_PURPOSES, EXTERNAL_EVENTS, LANGUAGES, OUTCOMES, PHASES, Text

POLICIES = ("any", "all", "majority", "at_least")
GUARDS = ("approvals", "council", "appeal_window_closed", "external", "flag", "travel_if_abroad")
FLAGS = ("requires_ministry", "partner_abroad", "final_text_agreed")
KINDS = ("twinning", "memorandum", "network")
#: What a transition may ask for when it fires (the services know how to read each).
INPUTS = ("date", "place", "successor")
#: Law 3463/2006: anyone with a legal interest may appeal within 15 days of posting.
STATUTORY_APPEAL_DAYS = 15


def _mapping(data: Any, where: str) -> Mapping[str, Any]:
    """Refuse non-objects with a DefinitionError (never an AttributeError further down)."""
    if not isinstance(data, Mapping):
        raise DefinitionError(f"{where}: expected an object, got {type(data).__name__}")
    return data


def _list(data: Any, where: str) -> list[Any]:
    """Refuse anything but a list (a bare string would otherwise split into letters)."""
    if data is None:
        return []
    if not isinstance(data, list | tuple):
        raise DefinitionError(f"{where}: expected a list, got {type(data).__name__}")
    return list(data)


def _text(data: Any, where: str) -> dict[str, str]:
    if not isinstance(data, Mapping) or not all(data.get(lang) for lang in LANGUAGES):
        raise DefinitionError(f"{where}: needs a title in {', '.join(LANGUAGES)}")
    return {lang: str(data[lang]) for lang in LANGUAGES}


@dataclass(frozen=True)
class ApprovalGroup:
    """Approvers holding ``roles`` and the policy that decides for the group."""

    roles: tuple[str, ...]
    policy: Literal["any", "all", "majority", "at_least"] = "any"
    n: int | None = None
    veto: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> ApprovalGroup:
        data = _mapping(data, where)
        roles = tuple(_list(data.get("roles"), f"{where}.roles"))
        policy = data.get("policy", "any")
        n = data.get("n")
        if not roles or any(r not in ROLE_KEYS for r in roles):
            raise DefinitionError(f"{where}: approver roles must be among {ROLE_KEYS}")
        if policy not in POLICIES:
            raise DefinitionError(f"{where}: unknown approval policy {policy!r}")
        if policy == "at_least" and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
            raise DefinitionError(f"{where}: policy 'at_least' needs n >= 1")
        if policy != "at_least" and n is not None:
            raise DefinitionError(f"{where}: n is only for policy 'at_least'")
        return cls(roles, policy, n, bool(data.get("veto", False)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"roles": list(self.roles), "policy": self.policy}
        if self.n is not None:
            out["n"] = self.n
        if self.veto:
            out["veto"] = True
        return out


@dataclass(frozen=True)
class ApprovalSpec:
    """Who must sign off a step; groups decide one after another when ``ordered``."""

    groups: tuple[ApprovalGroup, ...]
    ordered: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> ApprovalSpec:
        groups = _mapping(data, where).get("groups")
        if not isinstance(groups, list) or not groups:
            raise DefinitionError(f"{where}: approval needs at least one group")
        return cls(
            tuple(ApprovalGroup.from_dict(g, f"{where}.groups[{i}]") for i, g in enumerate(groups)),
            bool(data.get("ordered", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"groups": [g.to_dict() for g in self.groups], "ordered": self.ordered}


@dataclass(frozen=True)
class StateDef:
    """One step of a workflow."""

    key: str
    title: Text
    phase: int
    terminal: bool = False
    deadline: DeadlineSpec | None = None
    ladder: Ladder | None = None
    approval: ApprovalSpec | None = None
    hint: Text | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": dict(self.title), "phase": self.phase}
        if self.terminal:
            out["terminal"] = True
        if self.deadline:
            out["deadline"] = self.deadline.to_dict()
        if self.ladder:
            out["ladder"] = self.ladder.to_dict()
        if self.approval:
            out["approval"] = self.approval.to_dict()
        if self.hint:
            out["hint"] = dict(self.hint)
        return out


@dataclass(frozen=True)
class Place:
    """A state in a transition's source or target, present only ``when`` a flag holds.

    ``when`` is a flag name, or ``!flag`` for its negation; None means always.
    """

    state: str
    when: str | None = None

    @classmethod
    def parse(cls, data: Any, where: str) -> Place:
        if isinstance(data, str):
            return cls(data)
        if isinstance(data, Mapping) and isinstance(data.get("state"), str):
            when = data.get("when")
            if when is not None and (not isinstance(when, str) or when.lstrip("!") not in FLAGS):
                raise DefinitionError(f"{where}: unknown flag {when!r}")
            return cls(data["state"], when)
        raise DefinitionError(f"{where}: a place is a state name or {{state, when}}")

    def applies(self, flags: Mapping[str, bool]) -> bool:
        if self.when is None:
            return True
        negate = self.when.startswith("!")
        value = bool(flags.get(self.when.lstrip("!"), False))
        return not value if negate else value

    def to_data(self) -> Any:
        return self.state if self.when is None else {"state": self.state, "when": self.when}


@dataclass(frozen=True)
class GuardRef:
    """A named guard with its parameters, e.g. council(purpose=approval)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **dict(self.params)}


@dataclass(frozen=True)
class TransitionDef:
    """A move between states.

    ``match="all"`` is a join: every applicable source must be active and only
    the sources are left. ``match="any"`` fires from any one source and leaves
    every active state (abandoning a file closes all its parallel branches).
    """

    key: str
    title: Text
    source: tuple[Place, ...]
    target: tuple[Place, ...]
    roles: tuple[str, ...]
    guards: tuple[GuardRef, ...] = ()
    inputs: tuple[str, ...] = ()
    match: Literal["all", "any"] = "all"
    style: Literal["primary", "secondary", "danger"] = "primary"
    auto: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": dict(self.title),
            "source": [p.to_data() for p in self.source],
            "target": [p.to_data() for p in self.target],
            "roles": list(self.roles),
            "guards": [g.to_dict() for g in self.guards],
            "inputs": list(self.inputs),
            "match": self.match,
            "style": self.style,
            "auto": self.auto,
        }


@dataclass(frozen=True)
class WorkflowDef:
    """A whole, validated workflow at one version."""

    name: str
    version: int
    kind: str
    title: Text
    initial: tuple[str, ...]
    states: Mapping[str, StateDef]
    transitions: Mapping[str, TransitionDef]
    settings: Mapping[str, Any] = field(default_factory=dict)

    def state(self, key: str) -> StateDef:
        return self.states[key]

    def is_terminal(self, active: frozenset[str] | set[str]) -> bool:
        """A process is closed when every active state is terminal."""
        return bool(active) and all(self.states[s].terminal for s in active)

    @property
    def max_phase(self) -> int:
        return max(s.phase for s in self.states.values() if not s.terminal)

    @property
    def cycle_start(self) -> str | None:
        """The state where a new round of the agreement begins (e.g. a renewal's redraft).

        Council votes and outside events recorded before the process last entered
        it belong to an earlier round and no longer satisfy guards.
        """
        value = self.settings.get("cycle_start")
        return str(value) if value else None

    def flag_frozen_states(self, flag: str) -> frozenset[str]:
        """States during which ``flag`` must not change.

        A flag that decides both where a fork goes (``council_approves`` opens
        ministry review only when required) and what a join waits for (``ready``
        needs the ministry's consent only when required) must hold still while
        the branches between them are open, or the join would wait for a branch
        that never opened, or leave one dangling.
        """

        def conditioned(places: tuple[Place, ...]) -> bool:
            return any(p.when is not None and p.when.lstrip("!") == flag for p in places)

        forks = [t for t in self.transitions.values() if conditioned(t.target)]
        joins = {k for k, t in self.transitions.items() if conditioned(t.source)}
        if not forks or not joins:
            return frozenset()
        forward = {p.state for t in forks for p in t.target}
        backward = {p.state for k in joins for p in self.transitions[k].source}
        edges = [
            (k, s.state, d.state)
            for k, t in self.transitions.items()
            for s in t.source
            for d in t.target
        ]
        changed = True
        while changed:
            before = len(forward) + len(backward)
            forward |= {d for k, s, d in edges if s in forward and k not in joins}
            backward |= {s for _, s, d in edges if d in backward}
            changed = len(forward) + len(backward) != before
        return frozenset(s for s in forward & backward if not self.states[s].terminal)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "title": dict(self.title),
            "initial": list(self.initial),
            "states": {k: s.to_dict() for k, s in self.states.items()},
            "transitions": {k: t.to_dict() for k, t in self.transitions.items()},
            "settings": dict(self.settings),
        }


def _state(key: str, data: Any) -> StateDef:
    where = f"states.{key}"
    data = _mapping(data, where)
    deadline = DeadlineSpec.from_dict(data["deadline"]) if data.get("deadline") else None
    ladder = Ladder.from_dict(data["ladder"]) if data.get("ladder") else None
    approval = ApprovalSpec.from_dict(data["approval"], where) if data.get("approval") else None
    phase = data.get("phase", 0)
    if not isinstance(phase, int) or isinstance(phase, bool) or phase < 0:
        raise DefinitionError(f"{where}: phase must be a whole number >= 0")
    terminal = bool(data.get("terminal", False))
    if terminal and (deadline or approval or ladder):
        raise DefinitionError(f"{where}: a terminal state has no deadline, reminders or approval")
    if ladder and not deadline:
        raise DefinitionError(f"{where}: reminders need a deadline to count from")
    hint = _text(data["hint"], f"{where}.hint") if data.get("hint") else None
    return StateDef(
        key, _text(data.get("title"), where), phase, terminal, deadline, ladder, approval, hint
    )


def _one_of(value: Any, allowed: Mapping[str, Any] | tuple[str, ...], what: str) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise DefinitionError(f"{what} must be one of {sorted(allowed)}, got {value!r}")


#: Parameters each guard accepts: name -> (required, optional).
GUARD_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "approvals": ((), ()),
    "council": (("purpose",), ("outcome",)),
    "appeal_window_closed": ((), ()),
    "external": (("event",), ("outcome",)),
    "flag": (("flag",), ()),
    "travel_if_abroad": ((), ("phase",)),
}


def _guard(data: Any, where: str) -> GuardRef:
    if isinstance(data, str):
        data = {"name": data}
    if not isinstance(data, Mapping) or data.get("name") not in GUARDS:
        raise DefinitionError(f"{where}: unknown guard {data!r}")
    name = str(data["name"])
    params = {str(k): v for k, v in data.items() if k != "name"}
    required, optional = GUARD_PARAMS[name]
    missing = [k for k in required if k not in params]
    unknown = sorted(set(params) - set(required) - set(optional))
    if missing or unknown:
        raise DefinitionError(f"{where}: guard {name!r} needs {required}, accepts {optional}")
    if name == "council":
        _one_of(params["purpose"], COUNCIL_PURPOSES, f"{where}: council purpose")
        _one_of(params.get("outcome", "approved"), ("approved", "rejected"), f"{where}: outcome")
    elif name == "external":
        _one_of(params["event"], EXTERNAL_EVENTS, f"{where}: external event")
        if "outcome" in params:
            _one_of(params["outcome"], OUTCOMES, f"{where}: outcome")
    elif name == "flag":
        _one_of(params["flag"], FLAGS, f"{where}: flag")
    elif name == "travel_if_abroad":
        _one_of(params.get("phase", "A"), PHASES, f"{where}: phase")
    return GuardRef(name, params)


def _transition(key: str, data: Any, states: Mapping[str, StateDef]) -> TransitionDef:
    where = f"transitions.{key}"
    data = _mapping(data, where)
    source = tuple(Place.parse(p, f"{where}.source") for p in _list(data.get("source"), where))
    target = tuple(Place.parse(p, f"{where}.target") for p in _list(data.get("target"), where))
    if not source or not target:
        raise DefinitionError(f"{where}: needs a source and a target")
    for place in source + target:
        if place.state not in states:
            raise DefinitionError(f"{where}: unknown state {place.state!r}")
    for place in source:
        if states[place.state].terminal:
            raise DefinitionError(f"{where}: terminal state {place.state!r} cannot be left")
    roles = tuple(_list(data.get("roles"), f"{where}.roles"))
    if not roles or any(r not in ROLE_KEYS for r in roles):
        raise DefinitionError(f"{where}: roles must be among {ROLE_KEYS}")
    match = data.get("match", "all")
    if match not in ("all", "any"):
        raise DefinitionError(f"{where}: match is 'all' or 'any'")
    style = data.get("style", "primary")
    if style not in ("primary", "secondary", "danger"):
        raise DefinitionError(f"{where}: unknown style {style!r}")
    guards = tuple(_guard(g, f"{where}.guards") for g in _list(data.get("guards"), where))
    inputs = tuple(str(i) for i in _list(data.get("inputs"), f"{where}.inputs"))
    unknown_inputs = sorted(set(inputs) - set(INPUTS))
    if unknown_inputs:
        raise DefinitionError(f"{where}: unknown input(s) {unknown_inputs}; known: {INPUTS}")
    auto = bool(data.get("auto", False))
    if auto and inputs:
        raise DefinitionError(f"{where}: an automatic transition cannot ask for inputs")
    if auto and not guards:
        raise DefinitionError(f"{where}: an automatic transition needs a guard to wait on")
    return TransitionDef(
        key,
        _text(data.get("title"), where),
        source,
        target,
        roles,
        guards,
        inputs,
        match,
        style,
        auto,
    )


def _check_graph(defn: WorkflowDef) -> None:
    """Every state is reachable from the start, and every open state can be left."""
    reachable = set(defn.initial)
    changed = True
    while changed:
        changed = False
        for t in defn.transitions.values():
            if any(p.state in reachable for p in t.source):
                new = {p.state for p in t.target} - reachable
                if new:
                    reachable |= new
                    changed = True
    unreachable = set(defn.states) - reachable
    if unreachable:
        raise DefinitionError(f"unreachable states: {sorted(unreachable)}")
    leavable = {p.state for t in defn.transitions.values() for p in t.source}
    stuck = {k for k, s in defn.states.items() if not s.terminal} - leavable
    if stuck:
        raise DefinitionError(f"non-terminal states with no way out: {sorted(stuck)}")


def _countries(value: Any, where: str) -> None:
    codes = _list(value, where)
    if any(not isinstance(c, str) or len(c) != 2 or not c.isupper() for c in codes):
        raise DefinitionError(f"{where}: a list of two-letter country codes")


def _check_settings(settings: Mapping[str, Any], states: Mapping[str, StateDef]) -> None:
    """Settings the services rely on: refuse a bad value here, not in a live process."""
    CouncilRule.from_dict(_mapping(settings.get("council") or {}, "settings.council"))
    for key in ("ministry_exempt_countries", "ministry_required_countries"):
        _countries(settings.get(key), f"settings.{key}")
    appeal = settings.get("appeal_days", STATUTORY_APPEAL_DAYS)
    if not isinstance(appeal, int) or isinstance(appeal, bool) or appeal < STATUTORY_APPEAL_DAYS:
        raise DefinitionError(
            f"settings.appeal_days: at least the statutory {STATUTORY_APPEAL_DAYS} days"
        )
    cycle = settings.get("cycle_start")
    if cycle is not None and (
        not isinstance(cycle, str) or cycle not in states or states[cycle].terminal
    ):
        raise DefinitionError("settings.cycle_start: must name a non-terminal state")


def load_definition(data: Mapping[str, Any]) -> WorkflowDef:
    """Validate definition data and build the immutable workflow."""
    if not isinstance(data, Mapping):
        raise DefinitionError("a definition is a mapping")
    name, version, kind = data.get("name"), data.get("version"), data.get("kind")
    if not isinstance(name, str) or not name.isidentifier():
        raise DefinitionError("name must be an identifier")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DefinitionError("version must be a whole number >= 1")
    if kind not in KINDS:
        raise DefinitionError(f"kind must be one of {KINDS}")
    raw_states = data.get("states")
    if not isinstance(raw_states, Mapping) or not raw_states:
        raise DefinitionError("states must be a non-empty mapping")
    states = {str(k): _state(str(k), v) for k, v in raw_states.items()}
    raw_transitions = _mapping(data.get("transitions") or {}, "transitions")
    transitions = {str(k): _transition(str(k), v, states) for k, v in raw_transitions.items()}
    initial = tuple(_list(data.get("initial"), "initial"))
    if not initial or any(
        not isinstance(s, str) or s not in states or states[s].terminal for s in initial
    ):
        raise DefinitionError("initial must name existing, non-terminal states")
    settings = _mapping(data.get("settings") or {}, "settings")
    _check_settings(settings, states)
    defn = WorkflowDef(
        name,
        version,
        kind,
        _text(data.get("title"), "title"),
        initial,
        states,
        transitions,
        dict(settings),
    )
    _check_graph(defn)
    return defn
