"""100 approvers click "approve" on the same step at the same instant, 20 rounds, over HTTP.

The step is the twinning's first one ("any one head of office approves");
100 heads each hold a request for it. All 100 browsers (logged in once, up
front) post their decision through a real server at once, released by a
barrier. Every round must end with exactly one approval and one transition,
every other click told "already decided" (409), and no 5xx — on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import PASSWORD, authority
from tests.figures import record
from tracker.db import writing
from tracker.extensions import db
from tracker.models import ApprovalRequest, AuditLog, Process, Step, User
from tracker.services import processes

from .live import Browser, percentile, server_app, serving

APPROVERS = 100
ROUNDS = 20
PARTNERS = ("umea", "vilnius", "fonte_nuova", "positano", "limassol", "faenza", "nis")


def pending(process: Process) -> dict[int, int]:
    """approver id → id of their undecided request on the open step."""
    rows = db.session.execute(
        sa.select(ApprovalRequest.approver_id, ApprovalRequest.id)
        .join(Step, Step.id == ApprovalRequest.step_id)
        .where(
            ApprovalRequest.process_id == process.id,
            ApprovalRequest.status == "pending",
            Step.status == "open",
        )
    )
    return {int(approver): int(request) for approver, request in rows}


def audit_count(process_id: int, action: str) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.process_id == process_id, AuditLog.action == action)
        )
        or 0
    )


def open_states(process_id: int) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(Step.state).where(Step.process_id == process_id, Step.status == "open")
        )
    )


def all_at_once(browsers: dict[int, Browser], requests_by_approver: dict[int, int]) -> list[Any]:
    """Every approver posts "approve" on their request, released together by a barrier."""
    barrier = threading.Barrier(len(requests_by_approver))

    def click(item: tuple[int, int]) -> tuple[int, float]:
        approver_id, request_id = item
        barrier.wait(timeout=60)
        return browsers[approver_id].post(
            f"/approvals/{request_id}",
            {"decision": "approved", "comment": "", "password": PASSWORD},
        )

    with ThreadPoolExecutor(len(requests_by_approver)) as pool:
        return list(pool.map(click, requests_by_approver.items()))


def log_in_all(browsers: list[Browser]) -> None:
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(Browser.login, browsers))


@pytest.mark.slow
def test_100_concurrent_approvals_20_rounds_exactly_one_transition_each(
    app: Flask, make_user: Callable[..., User], tmp_path: Path
) -> None:
    heads = [make_user("head", email=f"head{n:03d}@example.org") for n in range(APPROVERS)]
    staff = make_user("staff", email="office@example.org")
    served = server_app(app, tmp_path)
    latencies: list[float] = []
    round_seconds: list[float] = []
    totals: Counter[int] = Counter()
    with serving(served) as base:
        browsers = {u.id: Browser(base, u.email) for u in heads}
        log_in_all(list(browsers.values()))
        try:
            for n in range(ROUNDS):
                db.session.commit()  # end any read: SQLite would keep an old snapshot
                with writing():
                    process = processes.create_process(
                        "twinning", authority(PARTNERS[n % len(PARTNERS)]), staff
                    )
                    db.session.commit()
                requests_by_approver = pending(process)
                assert len(requests_by_approver) == APPROVERS
                db.session.commit()  # end the read: SQLite would keep its snapshot
                start = time.perf_counter()
                results = all_at_once(browsers, requests_by_approver)
                round_seconds.append(time.perf_counter() - start)
                statuses = Counter(status for status, _ in results)
                latencies.extend(seconds for _, seconds in results)
                totals.update(statuses)

                assert statuses == {302: 1, 409: APPROVERS - 1}, (n, statuses)
                db.session.commit()  # a new transaction sees what the server committed
                decided = Counter(
                    db.session.scalars(
                        sa.select(ApprovalRequest.status).where(
                            ApprovalRequest.process_id == process.id
                        )
                    )
                )
                assert decided == {"approved": 1, "void": APPROVERS - 1}, (n, decided)
                assert audit_count(process.id, "approval.approved") == 1
                assert audit_count(process.id, "process.transition") == 1
                assert open_states(process.id) == {"exploratory_contact"}
                db.session.commit()
        finally:
            for browser in browsers.values():
                browser.close()
    assert totals == {302: ROUNDS, 409: ROUNDS * (APPROVERS - 1)}
    record(
        "reliability",
        f"concurrent approvals over HTTP: {ROUNDS} rounds x {APPROVERS} simultaneous clicks = "
        f"{sum(totals.values())} requests; transitions per round: 1 (all {ROUNDS}); "
        f"statuses {dict(totals)}; 5xx: 0; request p50 {percentile(latencies, 50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.0f} ms; round p95 "
        f"{percentile(round_seconds, 95):.1f} s",
    )
