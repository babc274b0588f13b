"""One approval through the service layer vs a bare SQLAlchemy insert + commit.

    .venv/bin/python -m bench.approval [--approvals 200] [--full-sql]

For each SQLite journal mode (DELETE, the SQLite default, and WAL, the tracker's
default), on a fresh file with the tracker's pragmas (``tracker/db.py``):
``services.approvals.decide`` for the head's sign-off of a new twinning file,
committed as the web edge does (a write transaction, one commit), against one
row inserted and committed through the same engine. Also the statements one
approval sends, counted with ``before_cursor_execute`` and listed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tracker import clock
from tracker.db import writing
from tracker.extensions import db
from tracker.models import ApprovalRequest, User
from tracker.services import approvals

from ._setup import fresh_app
from ._util import Statements, files, short, users

T0 = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
MODES = ("DELETE", "WAL")


def measure(journal: str, count: int) -> dict[str, Any]:
    """Median ms per approval and per bare insert + commit, statements of one approval."""
    app = fresh_app(None, SQLITE_JOURNAL_MODE=journal)
    with app.app_context():
        clock.freeze(T0)
        team = users("staff", "head")
        files(count, team["staff"])
        head_id = team["head"].id
        pending = list(
            db.session.scalars(
                sa.select(ApprovalRequest.id)
                .where(ApprovalRequest.approver_id == head_id, ApprovalRequest.status == "pending")
                .order_by(ApprovalRequest.id)
            )
        )
        db.session.remove()
        mode = db.session.execute(sa.text("PRAGMA journal_mode")).scalar()
        sync = db.session.execute(sa.text("PRAGMA synchronous")).scalar()
        db.session.remove()
        counter = Statements(db.engine)
        times: list[float] = []
        counts: list[int] = []
        listing: list[str] = []
        for request_id in pending:
            db.session.remove()  # a new request: nothing cached from the last one
            with counter.counting() as sql:
                started = time.perf_counter()
                with writing():
                    head = db.session.get(User, head_id)  # the web loads the actor too
                    assert head is not None
                    approvals.decide(request_id, head, "approved")
                    db.session.commit()
                times.append((time.perf_counter() - started) * 1000)
            counts.append(len(sql))
            listing = listing or list(sql)
        counter.close()
        db.session.remove()

        row = sa.Table(
            "bench_row",
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("payload", sa.Text, nullable=False),
        )
        row.create(db.engine)
        base = []
        for i in range(count):
            started = time.perf_counter()
            with writing(), db.engine.connect() as conn:
                conn.execute(sa.insert(row).values(payload=f"row {i}"))
                conn.commit()
            base.append((time.perf_counter() - started) * 1000)
        clock.reset()
    return {
        "journal_mode": mode,
        "synchronous": sync,
        "approvals": len(times),
        "approval_ms": statistics.median(times),
        "bare_ms": statistics.median(base),
        "statements": statistics.median(counts),
        "listing": listing,
    }


def print_listing(listing: list[str], full: bool = False) -> None:
    print(f"statements of one approval ({len(listing)}, COMMIT not counted):")
    for i, sql in enumerate(listing, 1):
        print(f"  {i:>2}. {sql if full else short(sql)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approvals", type=int, default=200)
    parser.add_argument("--full-sql", action="store_true", help="list statements unabridged")
    args = parser.parse_args()
    print("== approval through services.approvals.decide vs bare insert + commit (SQLite)")
    print(f"{'journal':<8} {'approval ms':>12} {'bare ms':>9} {'ratio':>7} {'stmts':>6}  goal")
    results = {}
    for journal in MODES:
        r = results[journal] = measure(journal, args.approvals)
        print(
            f"{r['journal_mode']:<8} {r['approval_ms']:>12.2f} {r['bare_ms']:>9.3f} "
            f"{r['approval_ms'] / r['bare_ms']:>6.1f}x {r['statements']:>6.0f}  ratio ≤ 3x"
        )
    print_listing(results["WAL"]["listing"], args.full_sql)


if __name__ == "__main__":
    main()
