"""Whole agreements through the service layer, from idea to active, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import authority
from tracker import clock
from tracker.extensions import db
from tracker.models import AuditLog, Authority, Deadline, ExternalEvent, Process, Step, User
from tracker.services import processes
from tracker.services.errors import Refused

from .support import act, approve_all, council, external, pass_time, states, today


def transitions(process: Process) -> list[tuple[str, bool]]:
    """(transition, automatic) in the order the history recorded them."""
    rows = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.process_id == process.id, AuditLog.action == "process.transition")
        .order_by(AuditLog.id)
    )
    return [(r.data["transition"], r.data["auto"]) for r in rows]


def to_council_decision(process: Process, team: dict[str, User]) -> None:
    """Idea → contact → letter → drafting → agenda → council decision, approvals included."""
    assert states(process) == {"idea"}
    approve_all(process)  # the head approves opening contact
    assert states(process) == {"exploratory_contact"}
    external(process, team["staff"], "partner_reply", "positive")
    assert states(process) == {"letter_of_intent"}
    approve_all(process)  # the mayor signs the letter; the partner's reply is still awaited
    assert states(process) == {"letter_of_intent"}
    external(process, team["staff"], "partner_loi_reply", "positive")
    assert states(process) == {"drafting"}
    approve_all(process)  # head, then deputy mayor, then the committee's majority
    assert states(process) == {"council_agenda"}
    approve_all(process)  # the council president puts it on the agenda
    assert states(process) == {"council_decision"}


def voted(process: Process, team: dict[str, User]) -> None:
    """Carried to the council decision, and the council approves."""
    to_council_decision(process, team)
    council(process, team["staff"])


def agreed(process: Process, team: dict[str, User]) -> None:
    """Voted, approved by the partner, final text agreed (a Greek partner: no ministry)."""
    voted(process, team)
    external(process, team["staff"], "partner_decision", "approved")
    act(processes.set_flag, process.id, "final_text_agreed", True, team["staff"])


def signed_jointly(process: Process, team: dict[str, User]) -> None:
    """``agreed``, the appeal window run out, and signed at home in one ceremony."""
    agreed(process, team)
    pass_time(16)
    act(
        processes.transition,
        process.id,
        "sign_jointly",
        team["staff"],
        payload={"date": today().isoformat(), "place": "home"},
    )


def test_a_twinning_with_umea_from_idea_to_active(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    voted(process, team)
    assert states(process) == {"ministry_review", "partner_approval"}  # abroad: the ministry too
    external(process, team["staff"], "ministry_decision", "consent")
    assert states(process) == {"ministry_consented", "partner_approval"}
    external(process, team["staff"], "partner_decision", "approved")
    assert states(process) == {"ministry_consented", "partner_approved"}
    act(processes.set_flag, process.id, "final_text_agreed", True, team["staff"])
    assert states(process) == {"ministry_consented", "partner_approved"}  # appeal window open
    pass_time(16)
    assert states(process) == {"ready_to_sign"}
    act(
        processes.transition,
        process.id,
        "sign_phase_a",
        team["staff"],
        payload={"date": today().isoformat(), "place": "home"},
    )
    council(process, team["staff"], purpose="travel", phase="B")
    act(
        processes.transition,
        process.id,
        "sign_phase_b",
        team["staff"],
        payload={"date": today().isoformat(), "place": "partner"},
    )
    assert states(process) == {"active"}
    db.session.refresh(process)
    assert process.signed_on == today()
    assert transitions(process) == [
        ("open_contact", True),
        ("send_letter_of_intent", True),
        ("start_drafting", True),
        ("submit_to_council", True),
        ("put_on_agenda", True),
        ("council_approves", True),
        ("ministry_consents", True),
        ("partner_approves", True),
        ("ready", True),
        ("sign_phase_a", False),
        ("sign_phase_b", False),
    ]
    signings = db.session.scalars(
        sa.select(ExternalEvent.outcome).where(
            ExternalEvent.process_id == process.id, ExternalEvent.kind == "signing"
        )
    ).all()
    assert signings == ["A", "B"]


def test_nea_ionia_needs_no_ministry_consent(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """A Greek–Greek twinning skips the ministry (configurable: ministry_exempt_countries)."""
    process = make_process("nea_ionia")
    voted(process, team)
    assert states(process) == {"partner_approval"}
    external(process, team["staff"], "partner_decision", "approved")
    act(processes.set_flag, process.id, "final_text_agreed", True, team["staff"])
    pass_time(16)
    assert states(process) == {"ready_to_sign"}
    act(
        processes.transition,
        process.id,
        "sign_jointly",
        team["staff"],
        payload={"date": today().isoformat(), "place": "partner"},  # Volos is not abroad
    )
    assert states(process) == {"active"}


def test_ministry_refusal_rejects_the_whole_file(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("positano")
    voted(process, team)
    external(process, team["staff"], "partner_decision", "approved")
    external(process, team["staff"], "ministry_decision", "refusal")
    assert states(process) == {"rejected"}
    db.session.refresh(process)
    assert process.is_closed


def test_the_ministry_flag_can_require_consent_for_a_greek_partner(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("volos")
    act(processes.set_flag, process.id, "requires_ministry", True, team["staff"])
    voted(process, team)
    assert states(process) == {"ministry_review", "partner_approval"}


def test_a_memorandum_with_chaoyang(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("chaoyang", "memorandum")
    assert process.workflow.name == "memorandum"
    voted(process, team)
    external(process, team["staff"], "ministry_decision", "consent")
    external(process, team["staff"], "partner_decision", "approved")
    act(processes.set_flag, process.id, "final_text_agreed", True, team["staff"])
    pass_time(20)
    act(
        processes.transition,
        process.id,
        "sign_jointly",
        team["staff"],
        payload={"date": today().isoformat(), "place": "home"},
    )
    assert states(process) == {"active"}


@pytest.mark.parametrize(("flag", "expected"), [(False, {"active"}), (True, {"ministry_review"})])
def test_network_membership(
    team: dict[str, User],
    make_process: Callable[..., Process],
    flag: bool,
    expected: set[str],
) -> None:
    """Q-Cities: head and deputy sign off, the council decides, the appeal window runs out."""
    process = make_process("umea", "network")
    act(processes.set_flag, process.id, "requires_ministry", flag, team["staff"])
    approve_all(process)
    assert states(process) == {"drafting"}
    approve_all(process)
    assert states(process) == {"council_agenda"}
    approve_all(process)
    council(process, team["staff"])
    assert states(process) == {"council_decision"}  # the appeal window gates it here
    pass_time(16)
    assert states(process) == expected
    if flag:
        external(process, team["staff"], "ministry_decision", "consent")
        assert states(process) == {"active"}


def test_council_rejection_then_back_to_drafting_in_round_two(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("vilnius")
    to_council_decision(process, team)
    council(process, team["staff"], outcome="rejected")
    assert states(process) == {"council_decision"}
    reasons = processes.check(process, "council_approves", team["staff"])
    assert [r.code for r in reasons] == ["council_outcome"]
    act(processes.transition, process.id, "back_to_drafting", team["staff"])
    assert states(process) == {"drafting"}
    step = db.session.scalars(
        sa.select(Step).where(Step.process_id == process.id, Step.status == "open")
    ).one()
    assert step.round == 2
    approve_all(process)
    approve_all(process)
    assert states(process) == {"council_decision"}
    # The earlier "no" belongs to the first round: nothing is decided yet in this one.
    assert [r.code for r in processes.check(process, "back_to_drafting", team["staff"])] == [
        "council_missing"
    ]
    council(process, team["staff"])
    assert states(process) == {"ministry_review", "partner_approval"}


def test_council_rejection_then_abandon(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("vilnius")
    to_council_decision(process, team)
    council(process, team["staff"], outcome="rejected")
    with pytest.raises(Refused) as refused:
        act(processes.transition, process.id, "abandon", team["staff"])
    assert [r.code for r in refused.value.reasons] == ["not_permitted"]
    act(processes.transition, process.id, "abandon", team["head"])
    assert states(process) == {"abandoned"}
    with pytest.raises(Refused) as refused:
        act(processes.transition, process.id, "back_to_drafting", team["staff"])
    assert [r.code for r in refused.value.reasons] == ["terminal"]


def test_partner_reorganised_goes_to_review_with_the_successor(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Scenario 7: Nea Ionia is now part of Volos."""
    process = make_process("nea_ionia")
    signed_jointly(process, team)
    volos = authority("volos")
    with pytest.raises(Exception) as bad:
        act(
            processes.transition,
            process.id,
            "partner_reorganised",
            team["staff"],
            payload={"successor": str(authority("nea_ionia").id)},
        )
    assert "successor" in getattr(bad.value, "fields", {})
    act(
        processes.transition,
        process.id,
        "partner_reorganised",
        team["staff"],
        payload={"successor": str(volos.id)},
    )
    assert states(process) == {"under_review"}
    partner = db.session.get(Authority, authority("nea_ionia").id, populate_existing=True)
    assert partner is not None and partner.successor_id == volos.id
    event = db.session.scalars(
        sa.select(ExternalEvent).where(
            ExternalEvent.process_id == process.id, ExternalEvent.kind == "partner_reorganised"
        )
    ).one()
    assert event.data == {"successor": "volos"}
    assert transitions(process)[-1] == ("partner_reorganised", False)
    assert len(transitions(process)) == 10  # the history before the change is intact


def test_a_renewal_goes_back_through_the_council(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """The first council approval does not approve the renewed text."""
    process = make_process("nea_ionia")
    signed_jointly(process, team)
    pass_time(1)
    for key in ("start_review", "renew", "redraft"):
        act(processes.transition, process.id, key, team["staff"])
    assert states(process) == {"drafting"}
    approve_all(process)
    approve_all(process)
    assert states(process) == {"council_decision"}  # waits for a new vote
    council(process, team["staff"])
    assert states(process) == {"partner_approval"}  # the old partner decision is not reused


def test_timers_wait_for_the_clock_and_then_the_file_moves(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Scenario 2: signing is blocked until the appeal window closes, and says until when."""
    process = make_process("nea_ionia")
    agreed(process, team)
    reasons = processes.check(process, "ready", team["staff"])
    assert [r.code for r in reasons] == ["appeal_window_open"]
    assert "until" in reasons[0].text("en")
    assert pass_time(10) == []
    assert states(process) == {"partner_approved"}
    assert pass_time(6) == [process.id]
    assert states(process) == {"ready_to_sign"}


def test_an_appeal_lodged_blocks_signing_until_dismissed(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("nea_ionia")
    voted(process, team)
    external(process, team["staff"], "appeal", "lodged")
    external(process, team["staff"], "partner_decision", "approved")
    act(processes.set_flag, process.id, "final_text_agreed", True, team["staff"])
    pass_time(20)
    assert states(process) == {"partner_approved"}
    assert [r.code for r in processes.check(process, "ready", team["staff"])] == ["appeal_pending"]
    external(process, team["staff"], "appeal", "dismissed")
    assert states(process) == {"ready_to_sign"}


@pytest.mark.parametrize(
    ("partner", "place", "needs_trip"),
    [
        ("umea", "partner", True),  # scenario 8: the mayor flies to Umeå
        ("umea", "home", False),  # the ceremony is in Marousi
        ("nea_ionia", "partner", False),  # Volos is in Greece
    ],
)
def test_signing_abroad_needs_a_travel_decision(
    team: dict[str, User],
    make_process: Callable[..., Process],
    partner: str,
    place: str,
    needs_trip: bool,
) -> None:
    process = make_process(partner)
    voted(process, team)
    if "ministry_review" in states(process):
        external(process, team["staff"], "ministry_decision", "consent")
    external(process, team["staff"], "partner_decision", "approved")
    act(processes.set_flag, process.id, "final_text_agreed", True, team["staff"])
    pass_time(16)
    payload = {"date": today().isoformat(), "place": place}
    if needs_trip:
        with pytest.raises(Refused) as refused:
            act(processes.transition, process.id, "sign_phase_a", team["staff"], payload=payload)
        (reason,) = refused.value.reasons
        assert reason.code == "travel_missing"
        assert "φάση Α" in reason.text("el")
        assert states(process) == {"ready_to_sign"}
        council(process, team["staff"], purpose="travel", phase="A")
    act(processes.transition, process.id, "sign_phase_a", team["staff"], payload=payload)
    assert states(process) == {"signed_phase_a"}


def test_signing_inputs_are_checked_field_by_field(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("nea_ionia")
    agreed(process, team)
    pass_time(16)
    from tracker.services.errors import Invalid

    with pytest.raises(Invalid) as invalid:
        act(
            processes.transition,
            process.id,
            "sign_phase_a",
            team["staff"],
            payload={"date": "31/02/2026", "place": "moon"},
        )
    assert set(invalid.value.fields) == {"date", "place"}
    with pytest.raises(Invalid) as invalid:
        act(processes.transition, process.id, "sign_phase_a", team["staff"], payload={})
    assert set(invalid.value.fields) == {"date", "place"}
    assert states(process) == {"ready_to_sign"}


def test_a_step_deadline_counts_from_when_the_step_was_entered(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = make_process("umea")
    approve_all(process)
    pass_time(45)  # 16 April 2026
    external(process, team["staff"], "partner_reply", "positive")
    deadline = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.process_id == process.id, Deadline.state == "letter_of_intent"
        )
    ).one()
    assert deadline.start_dt == datetime(2026, 4, 16, 9, 0, tzinfo=UTC)
    # 60 calendar days later, a Monday; 23:59 in Athens (summer time) is 20:59 UTC.
    assert deadline.due_dt == datetime(2026, 6, 15, 20, 59, tzinfo=UTC)
    assert deadline.status == "open" and not deadline.is_statutory
