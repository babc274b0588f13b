"""Helpers for driving files through the service layer the way the edges do.

``act`` is the request edge in miniature: one service call in a write
transaction, committed, or rolled back when the service refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from tracker import clock, seed
from tracker.db import writing
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import ApprovalRequest, Base, Process, Step, User
from tracker.seed import pending_approvals as pending
from tracker.services import approvals, deadlines, processes, records

T = TypeVar("T")


def act(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one service call like a web request: commit it, or roll back and re-raise."""
    with writing():
        try:
            result = call(*args, **kwargs)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise


def today() -> date:
    return to_local(clock.utcnow()).date()


def states(process: Process | int) -> set[str]:
    pid = process if isinstance(process, int) else process.id
    return set(
        db.session.scalars(
            sa.select(Step.state).where(Step.process_id == pid, Step.status == "open")
        )
    )


def approve_all(process: Process, rounds: int = 6) -> None:
    """Everyone asked approves the steps open now, group after group (not the next steps)."""
    seed.approve_all(
        process,
        rounds=rounds,
        steps={r.step_id for r in pending(process)},
        decide=lambda r: act(approvals.decide, r.id, r.approver, "approved"),
    )


#: The ΑΔΑ of scenario 2's vote, then others of the same shape for further votes.
ADAS = [f"6ΞΑΖ46ΜΤΛΗ-Ρ{a}{b}" for a in "ΣΤΥΦΧ" for b in "ΚΛΜΝΞΟΠΡΣΤ"]


def free_ada() -> str:
    """The first ΑΔΑ of ``ADAS`` no decision has yet: an ΑΔΑ names one posting."""
    from tracker.models import CouncilDecision

    taken = set(db.session.scalars(sa.select(CouncilDecision.ada)))
    return next(a for a in ADAS if a not in taken)


def vote(**changes: Any) -> records.CouncilInput:
    """The Vilnius vote of scenario 2 (41 members, 27 present, 24-1-2, posted today), changed.

    Each vote gets an ΑΔΑ of its own unless one is given (the first is 6ΞΑΖ46ΜΤΛΗ-ΡΣΚ).
    """
    changes.setdefault("ada", free_ada())
    base = records.CouncilInput(
        purpose="approval",
        session_date=today(),
        decision_number="214/2026",
        members=41,
        present=27,
        votes_for=24,
        against=1,
        abstain=2,
        ada="6ΞΑΖ46ΜΤΛΗ-ΡΣΚ",
        posted_on=today(),
    )
    return replace(base, **changes)


def council(
    process: Process,
    actor: User,
    outcome: str = "approved",
    purpose: str = "approval",
    phase: str | None = None,
    posted: date | None = None,
) -> Any:
    """Record a council vote typed from the minutes; ``outcome`` picks the counts."""
    yes, no = (24, 1) if outcome == "approved" else (5, 20)
    data = vote(
        purpose=purpose,
        phase=phase,
        decision_number=f"{process.id}{purpose[:3]}/2026",
        votes_for=yes,
        against=no,
        posted_on=posted or today(),
    )
    return act(records.record_council_decision, process.id, data, actor)


def external(process: Process, actor: User, kind: str, outcome: str) -> Any:
    return act(records.record_external, process.id, kind, outcome, today(), actor)


def to_council(process: Process, team: dict[str, User]) -> None:
    """Through the sign-offs, the partner's replies and the agenda, to the council's vote."""
    approve_all(process)
    external(process, team["staff"], "partner_reply", "positive")
    approve_all(process)
    external(process, team["staff"], "partner_loi_reply", "positive")
    approve_all(process)
    approve_all(process)
    assert states(process) == {"council_decision"}


def pass_time(days: float) -> list[int]:
    """Move the clock and run the timer sweep as the scheduler would."""
    clock.shift(timedelta(days=days))
    touched = act(deadlines.close_elapsed_timers, clock.utcnow())
    for pid in touched:
        act(processes.advance_process, pid, None)
    return touched


def _counting() -> sa.TextClause:
    """One query counting the rows of every table (cheap enough to run around each call)."""
    parts = [
        f"SELECT '{t.name}' AS name, COUNT(*) AS n FROM \"{t.name}\""
        for t in Base.metadata.sorted_tables
    ]
    return sa.text(" UNION ALL ".join(parts))


def snapshot() -> dict[str, Any]:
    """Row counts of every table and every file's version: "nothing changed" made checkable."""
    counts = dict(db.session.execute(_counting()).tuples().all())
    versions = dict(db.session.execute(sa.select(Process.id, Process.version)).tuples().all())
    statuses = sorted(
        db.session.execute(sa.select(ApprovalRequest.id, ApprovalRequest.status)).tuples().all()
    )
    steps = sorted(db.session.execute(sa.select(Step.id, Step.status, Step.round)).tuples().all())
    return {"counts": counts, "versions": versions, "approvals": statuses, "steps": steps}
