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
from .errors import DefinitionError
from .ladders import Ladder
from .roles import ROLE_KEYS
from .text import LANGUAGES, Text

POLICIES = ("any", "all", "majority", "at_least")
GUARDS = ("approvals", "council", "appeal_window_closed", "external", "flag", "travel_if_abroad")
FLAGS = ("requires_ministry", "partner_abroad", "final_text_agreed")
KINDS = ("twinning", "memorandum", "network")


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
        roles = tuple(data.get("roles") or ())
        policy = data.get("policy", "any")
        n = data.get("n")
        if not roles or any(r not in ROLE_KEYS for r in roles):
            raise DefinitionError(f"{where}: approver roles must be among {ROLE_KEYS}")
        if policy not in POLICIES:
            raise DefinitionError(f"{where}: unknown approval policy {policy!r}")
        if policy == "at_least" and (not isinstance(n, int) or n < 1):
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
        groups = data.get("groups")
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
            if when is not None and str(when).lstrip("!") not in FLAGS:
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


def _state(key: str, data: Mapping[str, Any]) -> StateDef:
    where = f"states.{key}"
    deadline = DeadlineSpec.from_dict(data["deadline"]) if data.get("deadline") else None
    ladder = Ladder.from_dict(data["ladder"]) if data.get("ladder") else None
    approval = ApprovalSpec.from_dict(data["approval"], where) if data.get("approval") else None
    phase = data.get("phase", 0)
    if not isinstance(phase, int) or phase < 0:
        raise DefinitionError(f"{where}: phase must be a whole number >= 0")
    terminal = bool(data.get("terminal", False))
    if terminal and (deadline or approval):
        raise DefinitionError(f"{where}: a terminal state has no deadline or approval")
    hint = _text(data["hint"], f"{where}.hint") if data.get("hint") else None
    return StateDef(
        key, _text(data.get("title"), where), phase, terminal, deadline, ladder, approval, hint
    )


def _guard(data: Any, where: str) -> GuardRef:
    if isinstance(data, str):
        data = {"name": data}
    if not isinstance(data, Mapping) or data.get("name") not in GUARDS:
        raise DefinitionError(f"{where}: unknown guard {data!r}")
    params = {k: v for k, v in data.items() if k != "name"}
    if data["name"] == "flag" and params.get("flag") not in FLAGS:
        raise DefinitionError(f"{where}: guard 'flag' needs a known flag")
    return GuardRef(data["name"], params)


def _transition(key: str, data: Mapping[str, Any], states: Mapping[str, StateDef]) -> TransitionDef:
    where = f"transitions.{key}"
    source = tuple(Place.parse(p, f"{where}.source") for p in data.get("source") or ())
    target = tuple(Place.parse(p, f"{where}.target") for p in data.get("target") or ())
    if not source or not target:
        raise DefinitionError(f"{where}: needs a source and a target")
    for place in source + target:
        if place.state not in states:
            raise DefinitionError(f"{where}: unknown state {place.state!r}")
    for place in source:
        if states[place.state].terminal:
            raise DefinitionError(f"{where}: terminal state {place.state!r} cannot be left")
    roles = tuple(data.get("roles") or ())
    if not roles or any(r not in ROLE_KEYS for r in roles):
        raise DefinitionError(f"{where}: roles must be among {ROLE_KEYS}")
    match = data.get("match", "all")
    if match not in ("all", "any"):
        raise DefinitionError(f"{where}: match is 'all' or 'any'")
    style = data.get("style", "primary")
    if style not in ("primary", "secondary", "danger"):
        raise DefinitionError(f"{where}: unknown style {style!r}")
    guards = tuple(_guard(g, f"{where}.guards") for g in data.get("guards") or ())
    inputs = tuple(str(i) for i in data.get("inputs") or ())
    auto = bool(data.get("auto", False))
    if auto and inputs:
        raise DefinitionError(f"{where}: an automatic transition cannot ask for inputs")
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


def load_definition(data: Mapping[str, Any]) -> WorkflowDef:
    """Validate definition data and build the immutable workflow."""
    if not isinstance(data, Mapping):
        raise DefinitionError("a definition is a mapping")
    name, version, kind = data.get("name"), data.get("version"), data.get("kind")
    if not isinstance(name, str) or not name.isidentifier():
        raise DefinitionError("name must be an identifier")
    if not isinstance(version, int) or version < 1:
        raise DefinitionError("version must be a whole number >= 1")
    if kind not in KINDS:
        raise DefinitionError(f"kind must be one of {KINDS}")
    raw_states = data.get("states")
    if not isinstance(raw_states, Mapping) or not raw_states:
        raise DefinitionError("states must be a non-empty mapping")
    states = {str(k): _state(str(k), v) for k, v in raw_states.items()}
    raw_transitions = data.get("transitions") or {}
    transitions = {str(k): _transition(str(k), v, states) for k, v in raw_transitions.items()}
    initial = tuple(data.get("initial") or ())
    if not initial or any(s not in states or states[s].terminal for s in initial):
        raise DefinitionError("initial must name existing, non-terminal states")
    settings = data.get("settings") or {}
    if not isinstance(settings, Mapping):
        raise DefinitionError("settings must be a mapping")
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
