"""Two schedulers at once send nothing twice; only one of them is active at a time."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker import clock, jobs
from tracker.extensions import db
from tracker.models import OutboxMessage, Reminder
from tracker.scheduler import build, leadership, run, wait_for_leadership

from .conftest import T0
from .helpers import approve_all

ROOT = Path(__file__).resolve().parents[2]
PARTNERS = ["umea", "vilnius", "positano", "fonte_nuova", "limassol", "lakatamia", "strovolos"]


def _many_due(make_process, copies: int = 2) -> int:
    """Files in exploratory contact whose whole ladder is due; returns the reminders due."""
    clock.freeze(T0)
    for partner in PARTNERS * copies:
        approve_all(make_process(partner))
    clock.freeze(T0 + timedelta(days=45))
    db.session.commit()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Reminder).where(Reminder.status == "pending")
    )


def _assert_each_once(smtp, due: int) -> None:
    statuses = Counter(db.session.scalars(sa.select(Reminder.status)))
    assert statuses == {"sent": due}
    rows = list(db.session.scalars(sa.select(OutboxMessage)))
    assert {r.status for r in rows} == {"sent"}
    received = Counter(m.message_id for m in smtp.received)
    assert sorted(received) == sorted(r.message_id for r in rows)
    assert set(received.values()) == {1}
    keys = Counter(m.key for m in smtp.keyed("reminder:"))
    assert set(keys.values()) == {1}


def _scheduler_loop(app, errors: list[BaseException]) -> None:
    try:
        with app.app_context():
            for _ in range(200):
                handled = jobs.sweep_reminders(limit=5)
                report = jobs.send_outbox(limit=5)
                if not handled and not report.sent and not report.retry:
                    return
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def test_two_schedulers_in_threads_send_each_message_once(app, team, make_process, smtp):
    due = _many_due(make_process)
    assert due == len(PARTNERS) * 2 * 6
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_scheduler_loop, args=(app, errors)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    db.session.rollback()  # a fresh snapshot: the workers wrote meanwhile
    _assert_each_once(smtp, due)


@pytest.mark.postgres
def test_two_scheduler_processes_send_each_message_once(app, team, make_process, smtp):
    due = _many_due(make_process, copies=3)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    args = [url, str(smtp.port), clock.utcnow().isoformat(), "run"]
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.reminders.crashworker", *args], cwd=ROOT)
        for _ in range(3)
    ]
    assert [w.wait(180) for w in workers] == [0, 0, 0]
    db.session.rollback()  # a fresh snapshot: the workers wrote meanwhile
    _assert_each_once(smtp, due)


def test_one_active_scheduler_the_other_stands_by(app):
    clock.freeze(T0)
    first, second = leadership(app, "first"), leadership(app, "second")
    assert first.acquire()
    assert not second.acquire()
    assert first.renew()
    first.release()
    assert second.acquire()
    assert not first.acquire()
    second.release()


def test_the_standby_takes_over_when_the_active_one_goes_away(app):
    clock.freeze(T0)
    first, second = leadership(app, "first"), leadership(app, "second")
    assert first.acquire()
    if db.engine.dialect.name == "postgresql":
        first._drop()  # type: ignore[attr-defined] - the session dies with its process
    else:
        clock.shift(timedelta(minutes=5))  # the lease runs out without a heartbeat
    assert second.acquire()
    assert not first.renew()
    second.release()


def test_a_second_scheduler_waits_until_the_first_releases(app):
    clock.freeze(T0)
    first, second = leadership(app, "first"), leadership(app, "second")
    assert first.acquire()
    result: list[bool] = []
    waiter = threading.Thread(
        target=lambda: result.append(wait_for_leadership(app, second, 0.05)), daemon=True
    )
    waiter.start()
    time.sleep(0.3)
    assert result == []  # standing by
    first.release()
    waiter.join(10)
    assert result == [True]
    second.release()


def test_run_stands_by_and_stops_without_running_a_job(app):
    clock.freeze(T0)
    first = leadership(app, "first")
    assert first.acquire()
    stop = threading.Event()
    runner = threading.Thread(target=run, args=(app, 0.05, stop), daemon=True)
    runner.start()
    time.sleep(0.3)
    assert runner.is_alive()
    stop.set()
    runner.join(10)
    assert not runner.is_alive()
    first.release()


class _Lost:
    holder = "lost"

    def acquire(self) -> bool:
        return True

    def renew(self) -> bool:
        return False

    def release(self) -> None:
        return None


def test_a_scheduler_that_loses_its_leadership_stops(app):
    app.config["SCHEDULER_HEARTBEAT_SECONDS"] = 1
    scheduler = build(app, _Lost())
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
