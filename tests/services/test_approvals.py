"""Sign-offs through the services: rounds, send-back, own requests, delegation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import authority
from tracker.extensions import db
from tracker.models import ApprovalRequest, AuditLog, Delegation, OutboxMessage, Process, User
from tracker.services import approvals, processes
from tracker.services.errors import Forbidden, Invalid, NotFound, Refused

from .support import act, approve_all, external, pending, snapshot, states, today


def to_drafting(process: Process, team: dict[str, User]) -> None:
    approve_all(process)
    external(process, team["staff"], "partner_reply", "positive")
    approve_all(process)
    external(process, team["staff"], "partner_loi_reply", "positive")
    assert states(process) == {"drafting"}


def requests(process: Process, state: str) -> list[ApprovalRequest]:
    return list(
        db.session.scalars(
            sa.select(ApprovalRequest)
            .where(ApprovalRequest.process_id == process.id, ApprovalRequest.state == state)
            .order_by(ApprovalRequest.round, ApprovalRequest.group_index, ApprovalRequest.id)
        )
    )


def test_send_back_opens_a_numbered_round_and_voids_the_old_one(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Scenario 3: one member approves, another sends it back; the drafter is told why."""
    process = make_process("umea")
    to_drafting(process, team)
    (head,) = pending(process, team["head"])
    act(approvals.decide, head.id, team["head"], "approved")
    (deputy,) = pending(process, team["deputy"])
    act(approvals.decide, deputy.id, team["deputy"], "approved")
    (c1,) = pending(process, team["c1"])
    act(approvals.decide, c1.id, team["c1"], "approved")
    (c2,) = pending(process, team["c2"])
    with pytest.raises(Invalid) as invalid:
        act(approvals.decide, c2.id, team["c2"], "sent_back")
    assert list(invalid.value.fields) == ["comment"]
    act(approvals.decide, c2.id, team["c2"], "sent_back", "Το σχέδιο δράσης λείπει.")

    old = {r.id: r.status for r in requests(process, "drafting") if r.round == 1}
    assert old[head.id] == old[deputy.id] == old[c1.id] == "void"
    assert old[c2.id] == "sent_back"
    assert {r.status for r in requests(process, "drafting") if r.round == 1} == {
        "void",
        "sent_back",
    }
    fresh = [r for r in requests(process, "drafting") if r.round == 2]
    assert {r.approver_id for r in fresh} == {
        team[k].id for k in ("head", "deputy", "c1", "c2", "c3")
    }
    assert {r.status for r in fresh} == {"pending"}
    assert states(process) == {"drafting"}
    # The earlier approval no longer counts: the head must approve again.
    reasons = processes.check(process, "submit_to_council", team["staff"])
    assert [r.code for r in reasons] == ["approval_missing"]
    assert team["head"].name in reasons[0].text("el")

    rounds = db.session.scalars(
        sa.select(AuditLog.data).where(
            AuditLog.process_id == process.id, AuditLog.action == "approval.round"
        )
    ).all()
    assert rounds == [{"state": "drafting", "round": 2}]
    told = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.user_id == team["staff"].id,
            OutboxMessage.idempotency_key.like(f"sentback:{c2.id}:%"),
        )
    ).one()
    assert "Το σχέδιο δράσης λείπει." in told.text_body
    # A void request from round 1 cannot be decided any more.
    with pytest.raises(Refused) as refused:
        act(approvals.decide, c1.id, team["c1"], "approved")
    assert [r.code for r in refused.value.reasons] == ["approval_decided"]
    approve_all(process)
    assert states(process) == {"council_agenda"}


def test_ordered_groups_wait_their_turn(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    to_drafting(process, team)
    (c1,) = pending(process, team["c1"])
    before = snapshot()
    with pytest.raises(Refused) as refused:
        act(approvals.decide, c1.id, team["c1"], "approved")
    assert [r.code for r in refused.value.reasons] == ["approval_not_open"]
    assert snapshot() == before


def test_no_one_approves_twice(team: dict[str, User], make_process: Callable[..., Process]) -> None:
    process = make_process("umea", "network")
    act(processes.set_flag, process.id, "requires_ministry", False, team["staff"])
    (head,) = pending(process, team["head"])
    act(approvals.decide, head.id, team["head"], "approved")
    with pytest.raises(Refused) as refused:
        act(approvals.decide, head.id, team["head"], "approved")
    assert [r.code for r in refused.value.reasons] == ["approval_decided"]
    decided = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.action == "approval.approved", AuditLog.object_id == head.id
        )
    ).all()
    assert len(decided) == 1


def test_the_requester_is_never_asked_to_approve_their_own_request(
    team: dict[str, User], make_user: Callable[..., User], make_process: Callable[..., Process]
) -> None:
    """A head who opens a file cannot approve opening it; the other head can."""
    head = make_user("head", "staff", email="head-staff@example.org")
    other = team["head"]
    process = make_process("umea", actor=head)
    (request,) = pending(process)
    assert request.approver_id == other.id
    assert request.requester_id == head.id
    with pytest.raises(Forbidden) as forbidden:
        act(approvals.decide, request.id, head, "approved")
    assert [r.code for r in forbidden.value.reasons] == ["approval_not_yours"]
    act(approvals.decide, request.id, other, "approved")
    assert states(process) == {"exploratory_contact"}


def test_a_lone_head_who_asks_leaves_the_step_waiting_with_a_reason(
    make_user: Callable[..., User],
) -> None:
    head = make_user("head", "staff", email="lone-head@example.org")
    process = act(processes.create_process, "twinning", authority("umea"), head)
    assert pending(process) == []
    reasons = processes.check(process, "open_contact", head)
    assert [r.code for r in reasons] == ["no_approvers"]
    assert reasons[0].text("el") == (
        "Κανένας χρήστης με ρόλο «Προϊστάμενος/η Γραφείου» δεν μπορεί να εγκρίνει το «Ιδέα»."
    )


def test_the_database_refuses_an_own_request(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    (request,) = pending(process)
    db.session.add(
        ApprovalRequest(
            process_id=process.id,
            step_id=request.step_id,
            state="idea",
            round=1,
            approver_id=team["staff"].id,
            requester_id=team["staff"].id,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_stranger_cannot_decide_and_nothing_changes(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    (request,) = pending(process)
    before = snapshot()
    with pytest.raises(Forbidden):
        act(approvals.decide, request.id, team["mayor"], "approved")
    with pytest.raises(Forbidden):
        act(approvals.decide, request.id, team["viewer"], "approved")
    with pytest.raises(Forbidden):
        act(approvals.decide, request.id, team["staff"], "approved")
    with pytest.raises(NotFound):
        act(approvals.decide, 999_999, team["head"], "approved")
    with pytest.raises(Invalid):
        act(approvals.decide, request.id, team["head"], "maybe")
    assert snapshot() == before


def test_a_rejection_stops_the_step_and_tells_the_owner(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    (request,) = pending(process)
    act(approvals.decide, request.id, team["head"], "rejected", "Όχι τώρα.")
    assert states(process) == {"idea"}
    assert [r.code for r in processes.check(process, "open_contact", team["staff"])] == [
        "approval_rejected"
    ]
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.idempotency_key.like(f"rejected:{request.id}:%"))
    )
    act(processes.transition, process.id, "abandon", team["head"])
    assert states(process) == {"abandoned"}


def test_delegation_routes_the_request_and_history_names_both(
    team: dict[str, User],
    make_user: Callable[..., User],
    make_process: Callable[..., Process],
) -> None:
    """Scenario 5: the deputy mayor is on leave; a substitute signs on her behalf."""
    substitute = make_user("mayor", email="stand-in@example.org", name="Αναπληρωτής")
    db.session.add(
        Delegation(
            user_id=team["deputy"].id,
            substitute_id=substitute.id,
            start_date=today() - timedelta(days=1),
            end_date=today() + timedelta(days=14),
        )
    )
    db.session.commit()
    process = make_process("umea")
    to_drafting(process, team)
    approve_all(process)  # the head, then the substitute, then the committee
    assert states(process) == {"council_agenda"}
    (request,) = [r for r in requests(process, "drafting") if r.group_index == 1]
    assert request.approver_id == substitute.id
    assert request.on_behalf_of_id == team["deputy"].id
    row = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.action == "approval.approved", AuditLog.object_id == request.id
        )
    ).one()
    assert row.actor_id == substitute.id
    assert row.on_behalf_of_id == team["deputy"].id


def test_a_stand_in_without_an_approving_role_may_still_decide_what_was_routed_to_them(
    team: dict[str, User],
    make_user: Callable[..., User],
    make_process: Callable[..., Process],
) -> None:
    helper = make_user("staff", email="helper@example.org")
    db.session.add(
        Delegation(
            user_id=team["head"].id,
            substitute_id=helper.id,
            start_date=today(),
            end_date=today() + timedelta(days=3),
        )
    )
    db.session.commit()
    process = make_process("umea")
    (request,) = pending(process)
    assert (request.approver_id, request.on_behalf_of_id) == (helper.id, team["head"].id)
    act(approvals.decide, request.id, helper, "approved")
    assert states(process) == {"exploratory_contact"}


def test_a_stand_in_never_approves_a_request_they_made(
    team: dict[str, User],
    make_user: Callable[..., User],
    make_process: Callable[..., Process],
) -> None:
    """The head is away and named the staff member who opens the file: it stays with the head."""
    db.session.add(
        Delegation(
            user_id=team["head"].id,
            substitute_id=team["staff"].id,
            start_date=today(),
            end_date=today() + timedelta(days=3),
        )
    )
    db.session.commit()
    process = make_process("umea")
    (request,) = pending(process)
    assert request.approver_id == team["head"].id
    assert request.on_behalf_of_id is None


def test_automatic_moves_ask_in_the_owners_name(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """The head approves the idea; the network's next sign-off is still hers to give."""
    process = make_process("umea", "network")
    approve_all(process)
    assert states(process) == {"drafting"}
    head, deputy = pending(process)
    assert (head.group_index, deputy.group_index) == (0, 1)
    assert head.approver_id == team["head"].id
    assert head.requester_id == team["staff"].id


def test_pending_for_lists_only_current_rounds(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    first = make_process("umea")
    second = make_process("vilnius")
    inbox = approvals.pending_for(team["head"])
    assert [r.process_id for r in inbox] == [first.id, second.id]
    act(approvals.decide, inbox[0].id, team["head"], "approved")
    assert [r.process_id for r in approvals.pending_for(team["head"])] == [second.id]
    assert approvals.pending_for(team["viewer"]) == []
