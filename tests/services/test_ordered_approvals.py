"""Ordered approval groups are asked in turn: head, then deputy mayor, then the committee.

A later group is emailed when the earlier group's policy is met (in the transaction
that meets it), and until then nothing is actionable for it: not in the inbox, not
in the API's pending list, not reminded. Every round behaves the same.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import ApprovalRequest, Deadline, OutboxMessage, Process, User
from tracker.services import approvals, reminders

from .support import act, pending
from .test_approvals import to_drafting

COMMITTEE = ("c1", "c2", "c3")


def asked(process: Process, round_: int) -> set[int]:
    """Who has been emailed "your approval is requested" for drafting in ``round_``."""
    ids = db.session.scalars(
        sa.select(ApprovalRequest.id).where(
            ApprovalRequest.process_id == process.id,
            ApprovalRequest.state == "drafting",
            ApprovalRequest.round == round_,
        )
    ).all()
    keys = [OutboxMessage.idempotency_key.like(f"approval:{i}:%") for i in ids]
    return set(db.session.scalars(sa.select(OutboxMessage.user_id).where(sa.or_(*keys))))


def inbox(user: User) -> list[str]:
    return [r.state for r in approvals.pending_for(user)]


def drafting_deadline(process: Process) -> Deadline:
    return db.session.scalars(
        sa.select(Deadline).where(
            Deadline.process_id == process.id,
            Deadline.state == "drafting",
            Deadline.status == "open",
        )
    ).one()


def approve(process: Process, user: User) -> None:
    (request,) = pending(process, user)
    act(approvals.decide, request.id, user, "approved")


def test_each_group_is_asked_when_its_turn_comes_in_every_round(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    to_drafting(process, team)
    ids = {k: team[k].id for k in ("head", "deputy", *COMMITTEE)}
    committee = {ids[k] for k in COMMITTEE}

    for round_ in (1, 2):
        assert asked(process, round_) == {ids["head"]}
        assert inbox(team["head"]) == ["drafting"]
        assert inbox(team["deputy"]) == [] and inbox(team["c1"]) == []
        (later,) = pending(process, team["deputy"])
        assert approvals.awaited(later) == ("head",)

        approve(process, team["head"])
        assert asked(process, round_) == {ids["head"], ids["deputy"]}
        assert inbox(team["deputy"]) == ["drafting"] and inbox(team["c2"]) == []
        assert [u.id for u in reminders.waiting_on(drafting_deadline(process))] == [ids["deputy"]]

        approve(process, team["deputy"])
        assert asked(process, round_) == {ids["head"], ids["deputy"], *committee}
        assert all(inbox(team[k]) == ["drafting"] for k in COMMITTEE)
        assert approvals.awaited(pending(process, team["c1"])[0]) is None

        # A committee member sends it back: the next round starts again with the head.
        (c2,) = pending(process, team["c2"])
        act(approvals.decide, c2.id, team["c2"], "sent_back", "Λείπει το σχέδιο δράσης.")
