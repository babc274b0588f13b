"""Refusals change nothing: stale pages, guards, bad input, events out of turn, closed files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import CouncilDecision, Process, User
from tracker.services import processes, records
from tracker.services.errors import Forbidden, Invalid, NotFound, Refused, Stale

from .support import act, approve_all, council, external, snapshot, states, to_council, today, vote


def test_a_stale_page_is_refused_and_nothing_changes(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    seen = process.version
    act(processes.set_flag, process.id, "final_text_agreed", True, team["staff"], seen)
    before = snapshot()
    for call in (
        lambda: processes.set_flag(process.id, "final_text_agreed", False, team["staff"], seen),
        lambda: processes.transition(process.id, "abandon", team["head"], seen),
        lambda: records.record_external(
            process.id, "partner_reply", "positive", today(), team["staff"], seen_version=seen
        ),
        lambda: records.record_council_decision(process.id, vote(), team["staff"], seen),
    ):
        with pytest.raises(Stale) as stale:
            act(call)
        assert stale.value.reasons[0].text("el").startswith("Ο φάκελος άλλαξε στο μεταξύ")
    assert snapshot() == before
    db.session.refresh(process)
    act(processes.transition, process.id, "abandon", team["head"], process.version)
    assert states(process) == {"abandoned"}


def test_a_refused_transition_leaves_the_database_unchanged(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    before = snapshot()
    cases = [
        (Refused, lambda: processes.transition(process.id, "sign_phase_a", team["staff"])),
        (Refused, lambda: processes.transition(process.id, "abandon", team["staff"])),
        (Refused, lambda: processes.transition(process.id, "open_contact", team["staff"])),
        (Refused, lambda: processes.transition(process.id, "abandon", team["viewer"])),
        (NotFound, lambda: processes.transition(process.id, "fly_to_the_moon", team["staff"])),
        (NotFound, lambda: processes.transition(999_999, "abandon", team["head"])),
    ]
    for error, call in cases:
        with pytest.raises(error):
            act(call)
    assert snapshot() == before


def test_an_inactive_user_can_do_nothing(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    head = team["head"]
    head.is_active = False
    db.session.commit()
    before = snapshot()
    with pytest.raises(Forbidden):
        act(processes.transition, process.id, "abandon", head)
    assert processes.check(process, "abandon", head)[0].code == "not_permitted"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"present": 20, "votes_for": 17}, {"present"}),  # no quorum
        ({"votes_for": 25, "against": 2, "abstain": 1}, {"votes_for"}),
        ({"present": 42}, {"present"}),
        ({"ada": "not-an-ada!"}, {"ada"}),
        ({"decision_number": " "}, {"decision_number"}),
        ({"posted_on": today() - timedelta(days=3)}, {"posted_on"}),
        ({"purpose": "party"}, {"purpose"}),
        ({"purpose": "travel", "phase": None}, {"phase"}),
        ({"present": 20, "votes_for": 17, "ada": "x"}, {"present", "ada"}),
    ],
)
def test_an_impossible_vote_is_refused_field_by_field(
    team: dict[str, User],
    make_process: Callable[..., Process],
    changes: dict[str, object],
    fields: set[str],
) -> None:
    """Scenario 12: a typo in the ΑΔΑ, a count that cannot add up; nothing half-saved."""
    process = make_process("umea")
    to_council(process, team)
    before = snapshot()
    with pytest.raises(Invalid) as invalid:
        act(records.record_council_decision, process.id, vote(**changes), team["staff"])
    assert set(invalid.value.fields) == fields
    assert snapshot() == before


def test_the_ada_is_stored_normalised(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    to_council(process, team)
    act(records.record_council_decision, process.id, vote(ada=" 6ξαζ46μτλη – ρσκ "), team["staff"])
    stored = db.session.scalars(sa.select(CouncilDecision.ada)).one()
    assert stored == "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("ministry_decision", "refusal"),  # would lie in wait and reject the file later
        ("partner_decision", "approved"),
        ("partner_loi_reply", "positive"),
        ("appeal", "lodged"),  # no decision has been posted: no window to appeal in
    ],
)
def test_an_event_the_file_is_not_waiting_for_is_refused(
    team: dict[str, User], make_process: Callable[..., Process], kind: str, outcome: str
) -> None:
    process = make_process("umea")
    approve_all(process)
    assert states(process) == {"exploratory_contact"}
    before = snapshot()
    with pytest.raises(Refused) as refused:
        external(process, team["staff"], kind, outcome)
    (reason,) = refused.value.reasons
    assert reason.code == "not_expected"
    assert "Διερευνητική επαφή" in reason.text("el")
    assert snapshot() == before


def test_a_council_approval_out_of_turn_is_refused(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """A vote typed in while drafting would wave the file through the council later."""
    process = make_process("umea")
    before = snapshot()
    with pytest.raises(Refused) as refused:
        council(process, team["staff"])
    assert refused.value.reasons[0].code == "not_expected"
    assert snapshot() == before
    council(process, team["staff"], purpose="start")  # informative decisions are welcome


def test_unknown_events_and_outcomes(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    with pytest.raises(Invalid) as invalid:
        external(process, team["staff"], "alien_visit", "positive")
    assert list(invalid.value.fields) == ["kind"]
    with pytest.raises(Invalid) as invalid:
        external(process, team["staff"], "partner_reply", "meh")
    assert list(invalid.value.fields) == ["outcome"]
    with pytest.raises(Forbidden):
        external(process, team["viewer"], "partner_reply", "positive")
    with pytest.raises(Forbidden):
        council(process, team["mayor"], purpose="start")


def test_the_ministry_flag_is_frozen_between_fork_and_join(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    act(processes.set_flag, process.id, "requires_ministry", True, team["staff"])
    act(processes.set_flag, process.id, "requires_ministry", False, team["staff"])
    act(processes.set_flag, process.id, "requires_ministry", True, team["staff"])
    to_council(process, team)
    council(process, team["staff"])
    assert states(process) == {"ministry_review", "partner_approval"}
    before = snapshot()
    with pytest.raises(Refused) as refused:
        act(processes.set_flag, process.id, "requires_ministry", False, team["staff"])
    (reason,) = refused.value.reasons
    assert reason.code == "flag_frozen"
    assert "ministry consent required" in reason.text("en")
    assert snapshot() == before
    act(processes.set_flag, process.id, "requires_ministry", True, team["staff"])  # no change
    act(processes.set_flag, process.id, "final_text_agreed", True, team["staff"])
    with pytest.raises(Invalid):
        act(processes.set_flag, process.id, "partner_abroad", False, team["staff"])
    with pytest.raises(Forbidden):
        act(processes.set_flag, process.id, "final_text_agreed", True, team["mayor"])


def test_a_closed_file_takes_no_more_changes(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    act(processes.transition, process.id, "abandon", team["head"])
    db.session.refresh(process)
    assert process.is_closed
    before = snapshot()
    for call in (
        lambda: processes.set_flag(process.id, "final_text_agreed", True, team["staff"]),
        lambda: records.record_external(
            process.id, "partner_reply", "positive", today(), team["staff"]
        ),
        lambda: records.record_council_decision(process.id, vote(purpose="start"), team["staff"]),
        lambda: processes.transition(process.id, "abandon", team["head"]),
    ):
        with pytest.raises(Refused) as refused:
            act(call)
        assert refused.value.reasons[0].code == "terminal"
    assert act(processes.advance_process, process.id) == []
    assert snapshot()["counts"] == before["counts"]


def test_a_home_authority_is_never_a_partner(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    from tests.conftest import authority

    before = snapshot()
    with pytest.raises(Invalid) as invalid:
        act(processes.create_process, "twinning", authority("amarousion"), team["staff"])
    assert list(invalid.value.fields) == ["partner"]
    with pytest.raises(Invalid):
        act(processes.create_process, "alliance", authority("umea"), team["staff"])
    with pytest.raises(Forbidden):
        act(processes.create_process, "twinning", authority("umea"), team["mayor"])
    assert snapshot() == before
