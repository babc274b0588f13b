"""Workflow definitions: every way a bad edit is refused, and the shipped three are sound."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain import engine
from tracker.domain.builtin import BUILTIN, TWINNING, builtin
from tracker.domain.definitions import FLAGS, WorkflowDef, load_definition
from tracker.domain.errors import DefinitionError

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def T(text: str) -> dict[str, str]:
    return {"el": text, "en": text}


def minimal() -> dict[str, Any]:
    """The smallest valid workflow: a start, an approval step, an end."""
    return {
        "name": "mini",
        "version": 1,
        "kind": "twinning",
        "title": T("Mini"),
        "initial": ["start"],
        "states": {
            "start": {
                "title": T("Start"),
                "phase": 0,
                "approval": {"groups": [{"roles": ["head"]}]},
            },
            "middle": {
                "title": T("Middle"),
                "phase": 1,
                "deadline": {"amount": 5, "unit": "working"},
            },
            "end": {"title": T("End"), "phase": 0, "terminal": True},
        },
        "transitions": {
            "go": {
                "title": T("Go"),
                "source": ["start"],
                "target": ["middle"],
                "roles": ["staff"],
                "auto": True,
                "guards": ["approvals"],
            },
            "finish": {
                "title": T("Finish"),
                "source": ["middle"],
                "target": ["end"],
                "roles": ["staff"],
            },
        },
    }


def edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = minimal()
    change(data)
    return data


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def _del(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[key]
        del node[last]

    return change


def _add_state(key: str, state: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return _set(f"states.{key}", state)


def test_minimal_is_valid() -> None:
    defn = load_definition(minimal())
    assert defn.initial == ("start",)
    assert defn.transitions["go"].auto
    assert load_definition(defn.to_dict()) == defn


INVALID = [
    ("nothing but junk", lambda d: d.clear() or d.update({"x": 1}), "name"),
    ("name not an identifier", _set("name", "two words"), "name"),
    ("version zero", _set("version", 0), "version"),
    ("version a bool", _set("version", True), "version"),
    ("unknown kind", _set("kind", "friendship"), "kind"),
    ("no states", _set("states", {}), "states"),
    ("state not an object", _set("states.middle", "oops"), "expected an object"),
    ("state title in one language", _set("states.middle.title", {"el": "Μέση"}), "title"),
    ("negative phase", _set("states.middle.phase", -1), "phase"),
    ("phase a bool", _set("states.middle.phase", True), "phase"),
    ("unknown state in a target", _set("transitions.go.target", ["nowhere"]), "unknown state"),
    ("unknown state in a source", _set("transitions.go.source", ["nowhere"]), "unknown state"),
    (
        "unreachable state",
        _add_state("island", {"title": T("Island"), "phase": 2, "terminal": True}),
        "unreachable",
    ),
    (
        "stuck state",
        lambda d: (
            _add_state("limbo", {"title": T("Limbo"), "phase": 2})(d),
            _set("transitions.finish.target", ["end", "limbo"])(d),
        ),
        "no way out",
    ),
    ("leaving a terminal state", _set("transitions.finish.source", ["end"]), "terminal state"),
    (
        "terminal with a deadline",
        _set("states.end.deadline", {"amount": 3, "unit": "calendar"}),
        "terminal",
    ),
    (
        "terminal with an approval",
        _set("states.end.approval", {"groups": [{"roles": ["head"]}]}),
        "terminal",
    ),
    ("initial terminal", _set("initial", ["end"]), "initial"),
    ("initial unknown", _set("initial", ["nowhere"]), "initial"),
    ("initial a string", _set("initial", "start"), "expected a list"),
    ("no source", _set("transitions.finish.source", []), "source"),
    ("unknown role", _set("transitions.finish.roles", ["pope"]), "roles"),
    ("no roles", _set("transitions.finish.roles", []), "roles"),
    ("roles a string", _set("transitions.finish.roles", "staff"), "expected a list"),
    ("bad match", _set("transitions.finish.match", "some"), "match"),
    ("bad style", _set("transitions.finish.style", "blinking"), "style"),
    ("unknown guard", _set("transitions.finish.guards", ["luck"]), "unknown guard"),
    ("guard not named", _set("transitions.finish.guards", [{"event": "appeal"}]), "unknown guard"),
    ("flag guard without a flag", _set("transitions.finish.guards", [{"name": "flag"}]), "needs"),
    (
        "flag guard with an unknown flag",
        _set("transitions.finish.guards", [{"name": "flag", "flag": "moon_full"}]),
        "flag",
    ),
    (
        "external guard with an unknown event",
        _set("transitions.finish.guards", [{"name": "external", "event": "alien_visit"}]),
        "external event",
    ),
    (
        "external guard with an unknown outcome",
        _set(
            "transitions.finish.guards",
            [{"name": "external", "event": "appeal", "outcome": "shrug"}],
        ),
        "outcome",
    ),
    (
        "council guard with an unknown purpose",
        _set("transitions.finish.guards", [{"name": "council", "purpose": "party"}]),
        "purpose",
    ),
    (
        "council guard with an unknown parameter",
        _set("transitions.finish.guards", [{"name": "council", "purpose": "approval", "x": 1}]),
        "accepts",
    ),
    (
        "travel guard with an unknown phase",
        _set("transitions.finish.guards", [{"name": "travel_if_abroad", "phase": "C"}]),
        "phase",
    ),
    (
        "unknown flag in a place",
        _set("transitions.finish.target", [{"state": "end", "when": "moon_full"}]),
        "unknown flag",
    ),
    ("place of the wrong shape", _set("transitions.finish.target", [42]), "place"),
    ("auto with inputs", _set("transitions.go.inputs", ["date"]), "automatic"),
    ("auto without a guard", _set("transitions.go.guards", []), "automatic"),
    ("unknown input", _set("transitions.finish.inputs", ["shoe_size"]), "input"),
    ("bad policy", _set("states.start.approval.groups.0.policy", "dictator"), "policy"),
    ("at_least without n", _set("states.start.approval.groups.0.policy", "at_least"), "at_least"),
    (
        "n without at_least",
        _set("states.start.approval.groups.0", {"roles": ["head"], "policy": "all", "n": 2}),
        "only for",
    ),
    (
        "at_least with n zero",
        _set("states.start.approval.groups.0", {"roles": ["head"], "policy": "at_least", "n": 0}),
        "at_least",
    ),
    (
        "approval without groups",
        _set("states.start.approval", {"groups": []}),
        "at least one group",
    ),
    ("approver role unknown", _set("states.start.approval.groups.0.roles", ["pope"]), "roles"),
    ("approval group not an object", _set("states.start.approval.groups.0", "head"), "object"),
    ("deadline in weeks", _set("states.middle.deadline", {"amount": 2, "unit": "weeks"}), "unit"),
    (
        "negative deadline",
        _set("states.middle.deadline", {"amount": -2, "unit": "calendar"}),
        "amount",
    ),
    (
        "ladder without a deadline",
        _set("states.start.ladder", {"rungs": []}),
        "deadline",
    ),
    ("settings not an object", _set("settings", ["x"]), "object"),
    ("appeal window shorter than the law", _set("settings", {"appeal_days": 10}), "statutory"),
    ("council quorum rule unknown", _set("settings", {"council": {"quorum": "vibes"}}), "council"),
    (
        "country list not codes",
        _set("settings", {"ministry_exempt_countries": ["Greece"]}),
        "country",
    ),
    ("cycle start unknown", _set("settings", {"cycle_start": "nowhere"}), "cycle_start"),
    ("cycle start terminal", _set("settings", {"cycle_start": "end"}), "cycle_start"),
    ("transitions not an object", _set("transitions", ["go"]), "object"),
    ("hint in one language", _set("states.middle.hint", {"en": "Hint"}), "title"),
]


@pytest.mark.parametrize(
    ("change", "message"), [(c, m) for _, c, m in INVALID], ids=[n for n, _, _ in INVALID]
)
def test_invalid_definitions_are_refused(change: Callable[..., Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        load_definition(edit(change))


def test_a_definition_must_be_a_mapping() -> None:
    with pytest.raises(DefinitionError):
        load_definition(["not", "a", "mapping"])  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_definitions_load_and_round_trip(name: str) -> None:
    defn = builtin(name)
    assert defn.name == name
    assert defn.version == 1
    assert load_definition(defn.to_dict()) == defn
    assert defn.cycle_start == "drafting"
    assert any(s.terminal for s in defn.states.values())


def _explore(defn: WorkflowDef) -> tuple[set[str], set[frozenset[str]]]:
    """Every transition that can fire from a reachable configuration, ignoring guards.

    Walks the engine itself (``candidates`` and ``fire``) under every combination
    of flags, so joins, conditional branches and "any"-transitions are all honoured.
    """
    fired: set[str] = set()
    seen: set[tuple[frozenset[str], tuple[bool, ...]]] = set()
    for values in itertools.product([False, True], repeat=len(FLAGS)):
        flags = dict(zip(FLAGS, values, strict=True))
        todo = [frozenset(defn.initial)]
        while todo:
            active = todo.pop()
            if (active, values) in seen:
                continue
            seen.add((active, values))
            facts = engine.Facts(active=active, now=NOW, flags=flags)
            for t in engine.candidates(defn, facts):
                fired.add(t.key)
                todo.append(engine.fire(defn, facts, t.key).active)
    return fired, {active for active, _ in seen}


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_builtin_transition_can_fire(name: str) -> None:
    defn = builtin(name)
    fired, configurations = _explore(defn)
    assert fired == set(defn.transitions)
    states = {s for c in configurations for s in c}
    assert states == set(defn.states)
    for active in configurations:
        assert active, "a process always stands somewhere"
        if any(defn.states[s].terminal for s in active):
            assert defn.is_terminal(active), f"terminal mixed with open states: {active}"
        phases = {defn.states[s].phase for s in active if not defn.states[s].terminal}
        assert len(phases) <= 1, f"parallel steps from different phases: {sorted(active)}"


def test_twinning_forks_and_joins_on_the_ministry_flag() -> None:
    defn = builtin("twinning")
    facts = engine.Facts(
        active=frozenset({"council_decision"}), now=NOW, flags={"requires_ministry": True}
    )
    assert engine.fire(defn, facts, "council_approves").active == {
        "ministry_review",
        "partner_approval",
    }
    facts = engine.Facts(active=frozenset({"council_decision"}), now=NOW, flags={})
    assert engine.fire(defn, facts, "council_approves").active == {"partner_approval"}
    join = engine.Facts(
        active=frozenset({"partner_approved"}), now=NOW, flags={"requires_ministry": True}
    )
    assert "ready" not in {t.key for t in engine.candidates(defn, join)}
    both = engine.Facts(
        active=frozenset({"partner_approved", "ministry_consented"}),
        now=NOW,
        flags={"requires_ministry": True},
    )
    assert engine.fire(defn, both, "ready").active == {"ready_to_sign"}


def test_abandon_closes_every_parallel_branch() -> None:
    defn = builtin("twinning")
    facts = engine.Facts(active=frozenset({"ministry_review", "partner_approved"}), now=NOW)
    move = engine.fire(defn, facts, "abandon")
    assert move.active == {"abandoned"}
    assert move.left == {"ministry_review", "partner_approved"}


@pytest.mark.parametrize(
    ("name", "flag", "frozen"),
    [
        (
            "twinning",
            "requires_ministry",
            {"ministry_review", "ministry_consented", "partner_approval", "partner_approved"},
        ),
        (
            "memorandum",
            "requires_ministry",
            {"ministry_review", "ministry_consented", "partner_approval", "partner_approved"},
        ),
        ("network", "requires_ministry", set()),  # a fork without a join: nothing to break
        ("twinning", "final_text_agreed", set()),  # only a guard reads it
    ],
)
def test_flags_freeze_between_fork_and_join(name: str, flag: str, frozen: set[str]) -> None:
    assert builtin(name).flag_frozen_states(flag) == frozen


# Random damage to a real definition: whatever the edit, load_definition answers
# with a valid workflow or a DefinitionError, never a crash deeper down.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 400),
    st.text(max_size=8),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _paths(v, (*prefix, i))
    return found


PATHS = _paths(TWINNING)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), JUNK), min_size=1, max_size=3))
def test_damaged_definitions_fail_only_with_definition_error(
    edits: list[tuple[tuple[Any, ...], Any]],
) -> None:
    data = copy.deepcopy(TWINNING)
    for path, value in edits:
        node: Any = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed the way there
    try:
        defn = load_definition(data)
    except DefinitionError:
        return
    assert isinstance(defn, WorkflowDef)


def test_the_phase_b_signing_deadline_is_named_after_what_it_waits_for() -> None:
    """The step after phase A waits for phase B: its deadline (named after the state) says so."""
    from tracker.domain.builtin import builtin

    state = builtin("twinning").states["signed_phase_a"]
    assert state.deadline is not None
    assert "φάσης Β" in state.title["el"] and "phase B" in state.title["en"]
