"""The engine on plain facts: guards explain every reason, moves are exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tracker.domain import engine
from tracker.domain.approvals import Vote
from tracker.domain.builtin import builtin
from tracker.domain.engine import CouncilFact, ExternalFact, Facts

TWINNING = builtin("twinning")
NETWORK = builtin("network")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
STAFF = frozenset({"staff"})


def facts(*active: str, **kw: Any) -> Facts:
    return Facts(active=frozenset(active), now=kw.pop("now", NOW), **kw)


def codes(reasons: list[Any]) -> list[str]:
    return [r.code for r in reasons]


def check(f: Facts, key: str, roles: frozenset[str] = STAFF, payload: Any = None) -> list[str]:
    return codes(engine.check(TWINNING, f, key, roles, payload))


APPROVED = CouncilFact("approval", "approved")
READY_FLAGS = {"final_text_agreed": True}
WINDOW_CLOSED = {"appeal_until": NOW - timedelta(days=1), "appeal_from": NOW - timedelta(days=16)}


CASES = [
    # name, facts, transition, roles, payload, reason codes
    ("allowed", facts("ready_to_sign"), "sign_phase_a", STAFF, None, []),
    ("wrong state", facts("idea"), "sign_phase_a", STAFF, None, ["not_in_state"]),
    ("closed file", facts("abandoned"), "abandon", frozenset({"head"}), None, ["terminal"]),
    ("role missing", facts("idea"), "abandon", STAFF, None, ["not_permitted"]),
    ("viewer", facts("active"), "start_review", frozenset({"viewer"}), None, ["not_permitted"]),
    (
        "inputs missing",
        facts("ready_to_sign"),
        "sign_phase_a",
        STAFF,
        {},
        ["input_missing", "input_missing"],
    ),
    ("inputs not asked yet", facts("ready_to_sign"), "sign_phase_a", STAFF, None, []),
    ("nobody to approve", facts("idea"), "open_contact", STAFF, None, ["no_approvers"]),
    (
        "approval pending",
        facts("idea", votes={"idea": [Vote(7, 0, "pending")]}),
        "open_contact",
        STAFF,
        None,
        ["approval_missing"],
    ),
    (
        "approval rejected",
        facts("idea", votes={"idea": [Vote(7, 0, "rejected")]}),
        "open_contact",
        STAFF,
        None,
        ["approval_rejected"],
    ),
    (
        "approved",
        facts("idea", votes={"idea": [Vote(7, 0, "approved"), Vote(8, 0, "pending")]}),
        "open_contact",
        STAFF,
        None,
        [],
    ),
    (
        "drafting: the committee has no members",
        facts("drafting", votes={"drafting": [Vote(1, 0, "approved"), Vote(2, 1, "approved")]}),
        "submit_to_council",
        STAFF,
        None,
        ["no_approvers"],
    ),
    (
        "no council decision",
        facts("council_decision"),
        "council_approves",
        STAFF,
        None,
        ["council_missing"],
    ),
    (
        "council said no",
        facts("council_decision", council=[CouncilFact("approval", "rejected")]),
        "council_approves",
        STAFF,
        None,
        ["council_outcome"],
    ),
    (
        "council said no: back to drafting",
        facts("council_decision", council=[CouncilFact("approval", "rejected")]),
        "back_to_drafting",
        STAFF,
        None,
        [],
    ),
    (
        "the latest decision counts",
        facts("council_decision", council=[CouncilFact("approval", "rejected"), APPROVED]),
        "council_approves",
        STAFF,
        None,
        [],
    ),
    (
        "ready: every missing thing at once",
        facts("partner_approved"),
        "ready",
        STAFF,
        None,
        ["council_missing", "appeal_window_missing", "flag_missing"],
    ),
    (
        "ready: appeal window still open",
        facts(
            "partner_approved",
            council=[APPROVED],
            flags=READY_FLAGS,
            appeal_until=NOW + timedelta(days=3),
            appeal_from=NOW - timedelta(days=12),
        ),
        "ready",
        STAFF,
        None,
        ["appeal_window_open"],
    ),
    (
        "ready: an appeal lodged",
        facts(
            "partner_approved",
            council=[APPROVED],
            flags=READY_FLAGS,
            external=[ExternalFact("appeal", "lodged", NOW - timedelta(days=2))],
            **WINDOW_CLOSED,
        ),
        "ready",
        STAFF,
        None,
        ["appeal_pending"],
    ),
    (
        "ready: the appeal upheld",
        facts(
            "partner_approved",
            council=[APPROVED],
            flags=READY_FLAGS,
            external=[ExternalFact("appeal", "upheld", NOW - timedelta(days=2))],
            **WINDOW_CLOSED,
        ),
        "ready",
        STAFF,
        None,
        ["appeal_upheld"],
    ),
    (
        "ready: the appeal dismissed",
        facts(
            "partner_approved",
            council=[APPROVED],
            flags=READY_FLAGS,
            external=[
                ExternalFact("appeal", "lodged", NOW - timedelta(days=5)),
                ExternalFact("appeal", "dismissed", NOW - timedelta(days=2)),
            ],
            **WINDOW_CLOSED,
        ),
        "ready",
        STAFF,
        None,
        [],
    ),
    (
        "ready: an appeal against an earlier decision does not count",
        facts(
            "partner_approved",
            council=[APPROVED],
            flags=READY_FLAGS,
            external=[ExternalFact("appeal", "lodged", NOW - timedelta(days=30))],
            **WINDOW_CLOSED,
        ),
        "ready",
        STAFF,
        None,
        [],
    ),
    (
        "ready: waiting for the ministry branch",
        facts("partner_approved", flags={"requires_ministry": True}),
        "ready",
        STAFF,
        None,
        ["not_in_state"],
    ),
    (
        "ministry has not answered",
        facts("ministry_review", "partner_approval"),
        "ministry_consents",
        STAFF,
        None,
        ["external_missing"],
    ),
    (
        "ministry refused, not consented",
        facts(
            "ministry_review",
            "partner_approval",
            external=[ExternalFact("ministry_decision", "refusal")],
        ),
        "ministry_consents",
        STAFF,
        None,
        ["external_missing"],
    ),
    (
        "signing abroad without the travel decision",
        facts("ready_to_sign", flags={"partner_abroad": True}),
        "sign_phase_a",
        STAFF,
        {"date": "2026-12-01", "place": "partner"},
        ["travel_missing"],
    ),
    (
        "signing abroad with it",
        facts(
            "ready_to_sign",
            flags={"partner_abroad": True},
            council=[CouncilFact("travel", "approved", "A")],
        ),
        "sign_phase_a",
        STAFF,
        {"date": "2026-12-01", "place": "partner"},
        [],
    ),
    (
        "a phase A trip does not cover phase B",
        facts(
            "signed_phase_a",
            flags={"partner_abroad": True},
            council=[CouncilFact("travel", "approved", "A")],
        ),
        "sign_phase_b",
        STAFF,
        {"date": "2027-05-01", "place": "partner"},
        ["travel_missing"],
    ),
    (
        "a refused trip",
        facts(
            "ready_to_sign",
            flags={"partner_abroad": True},
            council=[CouncilFact("travel", "rejected", "A")],
        ),
        "sign_phase_a",
        STAFF,
        {"date": "2026-12-01", "place": "partner"},
        ["travel_missing"],
    ),
    (
        "a home ceremony needs no trip",
        facts("ready_to_sign", flags={"partner_abroad": True}),
        "sign_phase_a",
        STAFF,
        {"date": "2026-12-01", "place": "home"},
        [],
    ),
    (
        "a Greek partner needs no trip decision",
        facts("ready_to_sign", flags={"partner_abroad": False}),
        "sign_jointly",
        STAFF,
        {"date": "2026-12-01", "place": "partner"},
        [],
    ),
    (
        "role and guard reasons together",
        facts("active"),
        "terminate",
        frozenset({"viewer"}),
        None,
        ["not_permitted", "council_missing"],
    ),
]


@pytest.mark.parametrize(
    ("f", "key", "roles", "payload", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_check(
    f: Facts, key: str, roles: frozenset[str], payload: Any, expected: list[str]
) -> None:
    assert check(f, key, roles, payload) == expected


def test_approval_reason_names_who_is_waiting_in_the_open_group_only() -> None:
    votes = {"drafting": [Vote(1, 0, "pending"), Vote(2, 1, "pending"), Vote(3, 2, "pending")]}
    f = facts("drafting", votes=votes)
    names = {"approvals": {"names": {1: "Μαρία", 2: "Νίκος", 3: "Σοφία"}}}
    (reason,) = engine.check(TWINNING, f, "submit_to_council", STAFF, None, names)
    assert reason.code == "approval_missing"
    assert reason.params["who"] == "Μαρία"
    assert "Μαρία" in reason.text("el")
    assert (
        reason.text("en")
        == "Approval for “Drafting the protocol” is still pending (1 waiting: Μαρία)."
    )


def test_too_few_approvers_for_at_least_n() -> None:
    data = TWINNING.to_dict()
    data["states"]["idea"]["approval"] = {
        "groups": [{"roles": ["council_member"], "policy": "at_least", "n": 3}]
    }
    from tracker.domain.definitions import load_definition

    defn = load_definition(data)
    f = facts("idea", votes={"idea": [Vote(1, 0, "approved"), Vote(2, 0, "approved")]})
    (reason,) = engine.check(defn, f, "open_contact", STAFF)
    assert reason.code == "too_few_approvers"
    assert reason.text("en") == (
        "“Idea” needs 3 approvals from “Council member”, but only 2 approvers are assigned."
    )
    assert "Δημοτικός/ή σύμβουλος" in reason.text("el")


def test_the_appeal_reason_gives_the_local_closing_time() -> None:
    f = facts(
        "partner_approved",
        council=[APPROVED],
        flags=READY_FLAGS,
        appeal_until=datetime(2026, 12, 10, 21, 59, tzinfo=UTC),
        appeal_from=NOW - timedelta(days=2),
    )
    (reason,) = engine.check(TWINNING, f, "ready", STAFF)
    assert reason.text("el") == "Η προθεσμία προσφυγής είναι ανοιχτή έως 10 Δεκ 2026, 23:59."


def test_a_new_cycle_ignores_earlier_votes_and_events() -> None:
    """After a renewal's redraft, the old council approval must not wave the new text through."""
    start = NOW - timedelta(days=30)
    old = facts(
        "council_decision",
        council=[CouncilFact("approval", "approved", at=start - timedelta(days=400))],
        cycle_start=start,
    )
    assert check(old, "council_approves") == ["council_missing"]
    new = facts(
        "council_decision",
        council=[CouncilFact("approval", "approved", at=start + timedelta(days=20))],
        cycle_start=start,
    )
    assert check(new, "council_approves") == []
    stale_partner = facts(
        "partner_approval",
        external=[ExternalFact("partner_decision", "approved", start - timedelta(days=1))],
        cycle_start=start,
    )
    assert check(stale_partner, "partner_approves") == ["external_missing"]


def test_fire_join_leaves_only_its_sources() -> None:
    f = facts("partner_approved", "ministry_consented", flags={"requires_ministry": True})
    move = engine.fire(TWINNING, f, "ready")
    assert move.left == {"partner_approved", "ministry_consented"}
    assert move.entered == {"ready_to_sign"}
    assert move.active == {"ready_to_sign"}


def test_fire_keeps_the_other_branch_open() -> None:
    f = facts("ministry_review", "partner_approval", flags={"requires_ministry": True})
    move = engine.fire(TWINNING, f, "partner_approves")
    assert move.active == {"ministry_review", "partner_approved"}


def test_fire_never_reenters_a_state_that_stays_open() -> None:
    f = facts("ministry_review", "partner_approval", flags={"requires_ministry": True})
    move = engine.fire(TWINNING, f, "council_approves")
    assert move.entered == frozenset()
    assert move.active == {"ministry_review", "partner_approval"}


def test_network_goes_straight_to_active_without_the_ministry() -> None:
    f = facts("council_decision", council=[APPROVED], **WINDOW_CLOSED)
    assert codes(engine.check(NETWORK, f, "council_approves", STAFF)) == []
    assert engine.fire(NETWORK, f, "council_approves").active == {"active"}
    f = facts("council_decision", flags={"requires_ministry": True})
    assert engine.fire(NETWORK, f, "council_approves").active == {"ministry_review"}


def test_candidates_and_what_the_process_waits_for() -> None:
    f = facts("ministry_review", "partner_approval", flags={"requires_ministry": True})
    keys = {t.key for t in engine.candidates(TWINNING, f)}
    assert keys == {
        "ministry_consents",
        "ministry_refuses",
        "partner_approves",
        "partner_declines",
        "abandon",
    }
    events, purposes = engine.awaited(TWINNING, f)
    assert events == {"ministry_decision", "partner_decision"}
    assert purposes == frozenset()
    assert engine.awaited(TWINNING, facts("council_decision"))[1] == {"approval"}
    assert engine.candidates(TWINNING, facts("terminated")) == []
    assert engine.guarded_purposes(TWINNING) == {"approval", "termination"}


@pytest.mark.parametrize(
    ("active", "share"),
    [
        ({"idea"}, 0.0),
        ({"drafting"}, 3 / 9),
        ({"ministry_review", "partner_approved"}, 6 / 9),
        ({"active"}, 1.0),
        ({"abandoned"}, 1.0),
    ],
)
def test_progress(active: set[str], share: float) -> None:
    assert engine.progress(TWINNING, frozenset(active)) == pytest.approx(share)
