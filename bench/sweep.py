"""Sweep cost with 1,000 and 100,000 pending reminders, only a handful of them due.

    .venv/bin/python -m bench.sweep [--database-url postgresql://…/bench_db]

The claim reads (status, fire_dt) from the ``ix_reminder_due`` index, so its
cost follows the number of *due* rows, not the size of the table: the larger
table should cost about the same (the issue allows at most twice).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher

from tracker import clock, jobs
from tracker.extensions import db
from tracker.models import Authority, Deadline, Reminder
from tracker.services import accounts, approvals, processes, reminders

from ._setup import fresh_app

T0 = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
SIZES = (1_000, 100_000)
RUNS = 50


def _deadline() -> Deadline:
    """One real file in exploratory contact: its six ladder reminders become due later."""
    accounts.hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)  # set-up speed
    staff = accounts.create_user(
        "staff@bench.invalid", "Staff", "bench-password-1", ["staff"], None
    )
    head = accounts.create_user("head@bench.invalid", "Head", "bench-password-2", ["head"], None)
    partner = db.session.scalars(sa.select(Authority).where(Authority.key == "umea")).one()
    processes.create_process("twinning", partner, staff)
    [request] = approvals.pending_for(head)
    approvals.decide(request.id, head, "approved")
    db.session.commit()
    return db.session.scalars(sa.select(Deadline).where(Deadline.status == "open")).one()


def _fill(deadline: Deadline, total: int) -> None:
    """Pending reminders far in the future, so that only the ladder's few are due."""
    have = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) or 0
    far = T0 + timedelta(days=1000)
    rows = [
        {
            "deadline_id": deadline.id,
            "rung": "bench",
            "kind": "reminder",
            "status": "pending",
            "fire_dt": far + timedelta(seconds=i),
            "created_dt": T0,
        }
        for i in range(have, total)
    ]
    for start in range(0, len(rows), 10_000):
        db.session.execute(sa.insert(Reminder), rows[start : start + 10_000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("ANALYZE reminder")
            )


def _claim_ms(now: datetime) -> tuple[float, int]:
    """Median time of one claim (rolled back, so every run sees the same due rows)."""
    times, claimed = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        claimed = len(reminders.claim_due(now, "bench", 200))
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(times), claimed


def _plan(now: datetime) -> str:
    stmt = (
        sa.select(Reminder.id)
        .where(Reminder.status == "pending", Reminder.fire_dt <= now)
        .order_by(Reminder.fire_dt, Reminder.id)
        .limit(200)
    )
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.execute(sa.text(explain + sql)).all()
    db.session.rollback()
    return " | ".join(str(row[-1]) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL database to wipe and use")
    args = parser.parse_args()
    app = fresh_app(args.database_url)
    with app.app_context():
        clock.freeze(T0)
        deadline = _deadline()
        now = T0 + timedelta(days=40)
        results = {}
        print(f"database: {db.engine.dialect.name}")
        for size in SIZES:
            _fill(deadline, size)
            clock.freeze(now)
            ms, due = _claim_ms(now)
            results[size] = ms
            print(f"{size:>7,} pending reminders, {due} due: claim {ms:.3f} ms (median of {RUNS})")
        print(f"plan: {_plan(now)}")
        ratio = results[SIZES[1]] / results[SIZES[0]]
        print(f"cost ratio {SIZES[1]:,} / {SIZES[0]:,}: {ratio:.2f}x (target: at most 2x)")
        started = time.perf_counter()
        handled = jobs.sweep_reminders()
        sent_ms = (time.perf_counter() - started) * 1000
        print(f"full sweep of the {handled} due reminders (claim, render, queue): {sent_ms:.1f} ms")
        clock.reset()


if __name__ == "__main__":
    main()
