"""Log-in attempts do not pile up forever, and pruning them never lifts a block.

The scheduler's ``housekeeping`` job deletes attempts older than the retention
(30 days by default), in bounded batches; the ones a limit still reads stay,
whatever the configuration says, and the history (``audit_log``) is untouched.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.conftest import PASSWORD, csrf_token
from tracker import clock, jobs
from tracker.extensions import db
from tracker.models import AuditLog, LoginAttempt, User
from tracker.scheduler import job_table


def attempts(email: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(LoginAttempt)
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    db.session.rollback()
    return int(db.session.scalar(query) or 0)


def add_failures(email: str, n: int, age: timedelta, ip: str = "10.1.2.3") -> None:
    """``n`` failures for ``email`` made ``age`` ago (the clock is moved, then put back)."""
    now = clock.utcnow()
    clock.freeze(now - age)
    db.session.add_all(LoginAttempt(email=email, ip=ip, success=False) for _ in range(n))
    db.session.commit()
    clock.freeze(now)


def login(client: Any, email: str) -> int:
    token = csrf_token(client, "/login")
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    return client.post("/login", data=data).status_code


def test_housekeeping_deletes_old_attempts_and_keeps_recent_ones(
    app: Flask, team: dict[str, User]
) -> None:
    clock.freeze(clock.utcnow())
    add_failures("old@example.org", 7, timedelta(days=31))
    add_failures("recent@example.org", 5, timedelta(days=29))
    add_failures("staff@example.org", 3, timedelta(minutes=10))
    history = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))

    assert jobs.housekeeping() == 7
    assert attempts("old@example.org") == 0
    assert attempts("recent@example.org") == 5
    assert attempts("staff@example.org") == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == history
    assert jobs.housekeeping() == 0  # nothing left to do: a second run changes nothing


def test_a_backlog_is_deleted_in_batches(app: Flask, team: dict[str, User]) -> None:
    clock.freeze(clock.utcnow())
    add_failures("old@example.org", 23, timedelta(days=40))
    assert jobs.housekeeping(limit=5) == 23  # five batches of five, then three
    assert attempts() == 0


def test_pruning_never_lifts_a_block(app: Flask, client: Any, team: dict[str, User]) -> None:
    """Even with a retention of 0 days, attempts the hourly limit reads are kept."""
    clock.freeze(clock.utcnow() + timedelta(minutes=1))  # after the password was set
    add_failures("staff@example.org", 100, timedelta(0), ip="10.9.9.9")
    assert login(client, "staff@example.org") == 429
    app.config["LOGIN_ATTEMPT_RETENTION_DAYS"] = 0
    assert jobs.housekeeping() == 0
    assert attempts("staff@example.org") == 100  # a refused attempt is audited, not counted
    assert login(client, "staff@example.org") == 429  # still blocked
    clock.shift(timedelta(minutes=61))
    assert jobs.housekeeping() == 100  # past every window: a retention of 0 days applies
    assert login(client, "staff@example.org") == 302  # and the real user is back in


def test_the_scheduler_runs_housekeeping_daily(app: Flask) -> None:
    job = {j.id: j for j in job_table(app)}["housekeeping"]
    assert job.func is jobs.housekeeping
    assert "hour='3'" in str(job.trigger)
