"""Many people acting on the same step at the same instant, on SQLite and PostgreSQL.

Each thread is a request: its own application context and session, started
together by a barrier. Exactly one transition happens; every approval is
recorded once or refused with a reason; nothing else goes wrong.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import ON_POSTGRES
from tracker.domain.builtin import TWINNING
from tracker.extensions import db
from tracker.models import ApprovalRequest, AuditLog, Process, User
from tracker.services import approvals, processes, workflows
from tracker.services.errors import ServiceError

from .support import act, pending, states

THREADS = 24


def race(app: Flask, jobs: list[Callable[[], Any]]) -> list[tuple[str, tuple[str, ...]]]:
    """Run every job in its own thread and app context, all released at once.

    Returns ("ok", ()) or (error class, reason codes) per job; any other
    exception is reported as ("crash", repr) so the test shows it.
    """
    db.session.commit()  # end the caller's transaction: on SQLite it would keep an old snapshot
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[str, tuple[str, ...]]] = [("missing", ())] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                act(job)
                results[i] = ("ok", ())
            except ServiceError as exc:
                results[i] = (type(exc).__name__, tuple(r.code for r in exc.all_reasons))
            except Exception as exc:  # noqa: BLE001 - reported, then the test fails on it
                results[i] = ("crash", (repr(exc),))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is stuck: deadlock?"
    return results


def decide_job(request_id: int, user_id: int, decision: str = "approved") -> Callable[[], Any]:
    def job() -> Any:
        user = db.session.get(User, user_id)
        return approvals.decide(request_id, user, decision)  # type: ignore[arg-type]

    return job


def history(process: Process, action: str) -> list[AuditLog]:
    return list(
        db.session.scalars(
            sa.select(AuditLog).where(AuditLog.process_id == process.id, AuditLog.action == action)
        )
    )


def test_many_heads_approve_the_same_step_at_once(
    app: Flask, make_user: Callable[..., User], make_process: Callable[..., Process]
) -> None:
    """Any one of 24 heads may approve: one approval moves the file, the rest are told."""
    for n in range(THREADS - 1):
        make_user("head", email=f"head{n}@example.org")
    process = make_process("umea")
    requests = pending(process)
    assert len(requests) == THREADS
    jobs = [decide_job(r.id, r.approver_id) for r in requests]

    results = race(app, jobs)

    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 1, "Refused": THREADS - 1}, results
    assert {codes for kind, codes in results if kind == "Refused"} == {("approval_decided",)}
    assert states(process) == {"exploratory_contact"}
    assert [r.data["transition"] for r in history(process, "process.transition")] == [
        "open_contact"
    ]
    statuses = Counter(
        db.session.scalars(
            sa.select(ApprovalRequest.status).where(ApprovalRequest.process_id == process.id)
        )
    )
    assert statuses == {"approved": 1, "void": THREADS - 1}
    assert len(history(process, "approval.approved")) == 1


def test_a_double_click_records_once(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    (request,) = pending(process)
    results = race(app, [decide_job(request.id, team["head"].id)] * THREADS)
    assert Counter(kind for kind, _ in results) == {"ok": 1, "Refused": THREADS - 1}, results
    assert {codes for kind, codes in results if kind == "Refused"} == {("approval_decided",)}
    assert len(history(process, "approval.approved")) == 1
    assert len(history(process, "process.transition")) == 1


def test_a_majority_of_many_counts_every_vote_once(
    app: Flask,
    team: dict[str, User],
    make_user: Callable[..., User],
    make_process: Callable[..., Process],
) -> None:
    """21 councillors, a majority of them needed: no approval lost, none counted twice."""
    data = copy.deepcopy(TWINNING)
    data["states"]["idea"]["approval"] = {
        "groups": [{"roles": ["council_member"], "policy": "majority"}]
    }
    act(workflows.save_version, "twinning", data, team["admin"])
    for n in range(21 - 3):
        make_user("council_member", email=f"member{n}@example.org")
    process = make_process("umea")
    requests = pending(process)
    assert len(requests) == 21

    results = race(app, [decide_job(r.id, r.approver_id) for r in requests])

    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 11, "Refused": 10}, results
    assert {codes for kind, codes in results if kind == "Refused"} == {("approval_decided",)}
    assert len(history(process, "approval.approved")) == 11
    assert len(history(process, "process.transition")) == 1
    assert states(process) == {"exploratory_contact"}


@pytest.mark.parametrize("with_version", [True, False])
def test_many_people_fire_the_same_transition_at_once(
    app: Flask,
    make_user: Callable[..., User],
    make_process: Callable[..., Process],
    with_version: bool,
) -> None:
    """One abandonment; the others hear "changed meanwhile" (or that the file is closed)."""
    heads = [make_user("head", email=f"boss{n}@example.org") for n in range(THREADS)]
    process = make_process("umea")
    seen = process.version if with_version else None
    pid = process.id

    def job(user_id: int) -> Callable[[], Any]:
        def fire() -> Any:
            user = db.session.get(User, user_id)
            return processes.transition(pid, "abandon", user, seen)  # type: ignore[arg-type]

        return fire

    results = race(app, [job(u.id) for u in heads])

    refusal = ("Stale", ("changed_meanwhile",)) if with_version else ("Refused", ("terminal",))
    assert Counter(results) == {("ok", ()): 1, refusal: THREADS - 1}, results
    assert states(process) == {"abandoned"}
    assert len(history(process, "process.transition")) == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_rounds_of_concurrent_approvals_on_postgresql(
    app: Flask, make_user: Callable[..., User], make_process: Callable[..., Process]
) -> None:
    """Five rounds of 24 simultaneous heads on five files: one transition per round."""
    assert ON_POSTGRES
    for n in range(THREADS - 1):
        make_user("head", email=f"head{n}@example.org")
    for _ in range(5):
        process = make_process("vilnius")
        jobs = [decide_job(r.id, r.approver_id) for r in pending(process)]
        results = race(app, jobs)
        assert Counter(kind for kind, _ in results) == {"ok": 1, "Refused": THREADS - 1}
        assert len(history(process, "process.transition")) == 1
        assert len(history(process, "approval.approved")) == 1
