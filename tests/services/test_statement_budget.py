"""What one approval costs in SQL statements (issue #5), counted the way the web edge runs it.

The budget is a regression guard for docs/performance.md §2: the approval that moves a
new file on (the head's sign-off of the idea) and a vote in a later round of a file
with a long history must not send more statements than measured there, and the
second must not grow with the history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from tests.conftest import ON_POSTGRES
from tracker.extensions import db
from tracker.models import AuditLog, Deadline, OutboxMessage, Process, Reminder, User
from tracker.services import approvals

from .support import act, pending, states
from .test_approvals import to_drafting

#: Statements of the approval that moves a new file on: 13 on SQLite, whose write
#: transaction starts with a ``BEGIN IMMEDIATE`` statement; 12 on PostgreSQL, where
#: the driver begins on its own. See docs/performance.md §2.
BUDGET = 12 if ON_POSTGRES else 13


def statements(call: Callable[[], Any]) -> list[str]:
    """Run ``call`` as one committed write request in a fresh session; list its SQL."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    db.session.remove()  # a new request: nothing cached from the last one
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        act(call)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return seen


def decide_as(user_id: int, request_id: int, decision: str = "approved", comment: str = "") -> Any:
    """The edge loads the actor, then calls the service."""

    def call() -> Any:
        actor = db.session.get(User, user_id)
        assert actor is not None
        return approvals.decide(request_id, actor, decision, comment)

    return call


def test_the_approval_that_moves_a_file_on_stays_within_budget(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    pid, owner = process.id, team["staff"].id
    (request,) = pending(process, team["head"])

    sql = statements(decide_as(team["head"].id, request.id))

    assert len(sql) <= BUDGET, "\n".join(sql)
    # ...and it did all of its work: the next state, its deadline with the whole
    # reminder ladder, two history lines and the owner's email.
    assert states(pid) == {"exploratory_contact"}
    deadline = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.process_id == pid, Deadline.state == "exploratory_contact"
        )
    ).one()
    reminders = db.session.scalars(sa.select(Reminder).where(Reminder.deadline_id == deadline.id))
    assert len(list(reminders)) == 6
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.process_id == pid).order_by(AuditLog.id)
    ).all()
    assert actions[-2:] == ["approval.approved", "process.transition"]
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.process_id == pid)).all()
    assert [m.user_id for m in mail if m.idempotency_key.startswith("moved:")] == [owner]


def test_a_vote_costs_the_same_however_long_the_files_history(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """The deputy's vote in round 1 of drafting and again in round 3, after two send-backs."""
    process = make_process("umea")
    to_drafting(process, team)
    pid = process.id
    ids = {key: team[key].id for key in ("head", "deputy", "c1")}

    def request_of(key: str) -> int:
        """The one pending request of ``key`` (fresh objects: each request is a new session)."""
        file, user = db.session.get(Process, pid), db.session.get(User, ids[key])
        assert file is not None and user is not None
        (request,) = pending(file, user)
        return request.id

    def deputys_vote() -> list[str]:
        statements(decide_as(ids["head"], request_of("head")))
        return statements(decide_as(ids["deputy"], request_of("deputy")))

    def send_back() -> None:
        statements(decide_as(ids["c1"], request_of("c1"), "sent_back", "Λείπει το σχέδιο δράσης."))

    first = deputys_vote()
    send_back()
    deputys_vote()
    send_back()
    third = deputys_vote()

    assert len(third) == len(first), "\n".join(third)
    file = db.session.get(Process, pid)
    assert file is not None
    assert {r.round for r in pending(file)} == {3}
