"""A scheduler killed mid-run and restarted loses nothing and duplicates nothing."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from tracker import clock, jobs
from tracker.extensions import db
from tracker.services import mailer, reminders
from tracker.services.outbox import enqueue

from .conftest import T0
from .crashworker import CRASHED
from .helpers import approve_all, open_deadline, outbox, reminders_of

ROOT = Path(__file__).resolve().parents[2]


def _crash(app, smtp, mode: str) -> int:
    """Run the crash worker against this test's database; returns its exit code."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.commit()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reminders.crashworker",
            url,
            str(smtp.port),
            clock.utcnow().isoformat(),
            mode,
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode


def test_killed_after_claiming_reminders_then_restarted(app, team, make_process, smtp, tick):
    clock.freeze(T0)
    processes = [make_process(p) for p in ("umea", "vilnius", "positano")]
    for process in processes:
        approve_all(process)
    due = [reminders_of(open_deadline(p), "pending")[0] for p in processes]
    clock.freeze(max(r.fire_dt for r in due) + timedelta(minutes=5))
    jobs.send_outbox()  # the approvals' own mail, out of the way
    smtp.received.clear()

    assert _crash(app, smtp, "after-claim") == CRASHED
    claimed = [r for p in processes for r in reminders_of(open_deadline(p), "claimed")]
    assert {r.id for r in claimed} == {r.id for r in due}
    assert outbox("reminder:") == []

    tick()  # restarted at once: the dead worker's claims are still fresh
    assert smtp.keyed("reminder:") == []
    clock.shift(reminders.STALE_CLAIM + timedelta(minutes=1))
    tick()
    tick()
    got = Counter(m.key for m in smtp.keyed("reminder:"))
    assert sorted(got) == sorted(f"reminder:{r.id}:u{team['staff'].id}" for r in due)
    assert set(got.values()) == {1}


def test_killed_after_smtp_accepted_then_restarted(app, team, smtp):
    clock.freeze(T0)
    rows = [enqueue(team["staff"], f"note:{i}", f"Note {i}", "Body\n") for i in range(5)]
    db.session.commit()

    assert _crash(app, smtp, "after-accept") == CRASHED
    assert len(smtp.received) == 1  # accepted, but the row was never marked sent
    for row in rows:
        db.session.refresh(row)
    assert {r.status for r in rows} == {"sending"}

    jobs.send_outbox()  # restarted at once: the lease of the dead sender still holds
    assert len(smtp.received) == 1
    clock.shift(mailer.MailSettings.from_config().lease + timedelta(seconds=1))
    jobs.send_outbox()
    for row in rows:
        db.session.refresh(row)
    assert {r.status for r in rows} == {"sent"}
    counts = Counter(m.message_id for m in smtp.received)
    assert sorted(counts) == sorted(r.message_id for r in rows)  # nothing lost
    assert sorted(counts.values()) == [1, 1, 1, 1, 2]  # one duplicate, same Message-ID
