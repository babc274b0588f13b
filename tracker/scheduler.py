"""The one scheduler process: APScheduler as the clock, the database as the truth.

Jobs are a small fixed table defined in code and kept in memory (never a
pickled job store). Each job runs inside an application context, commits or
rolls back, and logs what it did. Only one scheduler is active at a time: on
PostgreSQL it holds an advisory lock, on SQLite a lease row it renews; a second
one started by mistake waits as a standby and takes over if the first goes away.
Even if two ran at once, reminders and outbox rows are claimed before they are
handled, so nothing is sent twice.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from . import clock, jobs
from .db import writing
from .extensions import db
from .models import SchedulerLease

log = logging.getLogger("tracker.scheduler")

#: PostgreSQL advisory-lock key of the active scheduler (any fixed 64-bit number).
LOCK_KEY = 0x7477_696E_7363_6864 & 0x7FFF_FFFF_FFFF_FFFF
LEASE_NAME = "scheduler"


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], Any]
    trigger: Any
    catch_up: bool = True  # run once at start-up: downtime is swept at once
    misfire_grace: int = 3600


def job_table(app: Flask) -> list[Job]:
    """Every periodic job, in one place."""
    tz = app.config["TIMEZONE"]
    every = app.config.get
    return [
        Job(
            "sweep_reminders",
            jobs.sweep_reminders,
            IntervalTrigger(seconds=int(every("SCHEDULER_SWEEP_SECONDS", 60))),
        ),
        Job(
            "send_outbox",
            jobs.send_outbox,
            IntervalTrigger(seconds=int(every("SCHEDULER_SEND_SECONDS", 30))),
        ),
        Job(
            "close_timers",
            jobs.close_timers,
            IntervalTrigger(seconds=int(every("SCHEDULER_TIMERS_SECONDS", 300))),
        ),
        Job("top_up_reminders", jobs.top_up_reminders, IntervalTrigger(hours=1)),
        Job(
            "daily_digest",
            jobs.daily_digest,
            CronTrigger(hour=7, minute=30, timezone=tz),
            catch_up=False,
            misfire_grace=6 * 3600,
        ),
        Job(
            "weekly_digest",
            jobs.weekly_digest,
            CronTrigger(day_of_week="mon", hour=7, minute=45, timezone=tz),
            catch_up=False,
            misfire_grace=6 * 3600,
        ),
        Job(
            "periodic_reviews",
            jobs.periodic_reviews,
            CronTrigger(hour=6, minute=15, timezone=tz),
            misfire_grace=12 * 3600,
        ),
        Job(
            "housekeeping",
            jobs.housekeeping,
            CronTrigger(hour=3, minute=40, timezone=tz),
            misfire_grace=12 * 3600,
        ),
    ]


def _in_context(app: Flask, job_id: str, func: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with app.app_context():
            try:
                return func()
            except Exception:
                log.exception("job %s failed", job_id)
                return None

    return run


class Leadership(Protocol):
    """Who may run the jobs: exactly one scheduler holds it at a time."""

    holder: str

    def acquire(self) -> bool: ...

    def renew(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLock:
    """PostgreSQL: a session advisory lock on a connection kept open while active.

    The lock lives as long as the database session, so a scheduler that dies
    (or loses its connection) frees it for the standby at once.
    """

    def __init__(self, engine: Engine, holder: str, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.holder = holder
        self.key = key
        self.conn: Connection | None = None

    def acquire(self) -> bool:
        if self.conn is not None:
            return self.renew()
        conn = self.engine.connect()
        try:
            got = bool(
                conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            )
            conn.commit()
        except DBAPIError:
            conn.invalidate()
            conn.close()
            return False
        if got:
            self.conn = conn
        else:
            conn.close()
        return got

    def renew(self) -> bool:
        """Still ours while our session is alive."""
        if self.conn is None:
            return False
        try:
            self.conn.execute(sa.text("SELECT 1"))
            self.conn.commit()
            return True
        except DBAPIError:
            self._drop()
            return False

    def release(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self.conn.commit()
            self.conn.close()
            self.conn = None
        except DBAPIError:
            self._drop()

    def _drop(self) -> None:
        """Close the DBAPI connection itself: a pooled session would keep the lock."""
        if self.conn is not None:
            self.conn.invalidate()
            self.conn.close()
            self.conn = None


class LeaseRow:
    """SQLite: a row naming the active scheduler until ``expires_dt``, renewed by a heartbeat."""

    def __init__(self, holder: str, ttl: timedelta = timedelta(seconds=90)) -> None:
        self.holder = holder[:120]
        self.ttl = ttl

    def acquire(self) -> bool:
        now = clock.utcnow()
        with writing():
            try:
                lease = db.session.get(SchedulerLease, LEASE_NAME, populate_existing=True)
                if lease is None:
                    db.session.add(
                        SchedulerLease(
                            name=LEASE_NAME,
                            holder=self.holder,
                            acquired_dt=now,
                            expires_dt=now + self.ttl,
                        )
                    )
                elif lease.holder == self.holder or lease.expires_dt <= now:
                    if lease.holder != self.holder:
                        lease.acquired_dt = now
                    lease.holder, lease.expires_dt = self.holder, now + self.ttl
                else:
                    db.session.rollback()
                    return False
                db.session.commit()
                return True
            except IntegrityError:
                db.session.rollback()
                return False

    def renew(self) -> bool:
        now = clock.utcnow()
        with writing():
            result = db.session.execute(
                sa.update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == self.holder)
                .values(expires_dt=now + self.ttl)
            )
            db.session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def release(self) -> None:
        with writing():
            db.session.execute(
                sa.update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == self.holder)
                .values(expires_dt=clock.utcnow())
            )
            db.session.commit()


def leadership(app: Flask, holder: str) -> Leadership:
    """The advisory lock on PostgreSQL, the lease row elsewhere (call in an app context)."""
    if db.engine.dialect.name == "postgresql":
        return AdvisoryLock(db.engine, holder)
    return LeaseRow(holder, timedelta(seconds=int(app.config.get("SCHEDULER_LEASE_SECONDS", 90))))


def wait_for_leadership(
    app: Flask, leader: Leadership, poll: float, stop: threading.Event | None = None
) -> bool:
    """Stand by until ``leader`` is acquired (True) or ``stop`` is set (False)."""
    announced = False
    while True:
        with app.app_context():
            if leader.acquire():
                log.info("scheduler %s is the active scheduler", leader.holder)
                return True
        if not announced:
            log.info("another scheduler is active: %s stands by", leader.holder)
            announced = True
        if stop is not None:
            if stop.wait(poll):
                return False
        else:
            time.sleep(poll)


def build(app: Flask, leader: Leadership | None = None) -> BlockingScheduler:
    tz = app.config["TIMEZONE"]
    scheduler = BlockingScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job in job_table(app):
        scheduler.add_job(
            _in_context(app, job.id, job.func),
            job.trigger,
            id=job.id,
            name=job.id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=job.misfire_grace,
        )
    if leader is not None:
        scheduler.add_job(
            _heartbeat(app, scheduler, leader),
            IntervalTrigger(seconds=int(app.config.get("SCHEDULER_HEARTBEAT_SECONDS", 20))),
            id="leadership",
            name="leadership",
        )
    return scheduler


def _heartbeat(app: Flask, scheduler: BlockingScheduler, leader: Leadership) -> Callable[[], None]:
    def beat() -> None:
        with app.app_context():
            try:
                held = leader.renew()
            except Exception:
                log.exception("leadership check failed")
                held = False
        if not held:
            log.error("scheduler %s lost its leadership: stopping", leader.holder)
            scheduler.shutdown(wait=False)

    return beat


def _stop(scheduler: BlockingScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)
    else:
        raise SystemExit(0)


def run(app: Flask, standby_poll: float = 15.0, stop: threading.Event | None = None) -> None:
    """Stand by until this is the active scheduler, catch up on downtime, then run the jobs."""
    holder = jobs.worker_id()
    for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
        logging.getLogger(name).setLevel(logging.WARNING)  # each run is logged by the job itself
    with app.app_context():
        leader = leadership(app, holder)
    if not wait_for_leadership(app, leader, standby_poll, stop):
        return
    scheduler = build(app, leader)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: _stop(scheduler))
    try:
        log.info("scheduler starting with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
        for job in job_table(app):
            if job.catch_up:
                _in_context(app, job.id, job.func)()
                with app.app_context():
                    leader.renew()
        scheduler.start()
    finally:
        with app.app_context():
            leader.release()
        log.info("scheduler %s stopped", holder)


__all__ = ["AdvisoryLock", "Job", "LeaseRow", "build", "job_table", "leadership", "run"]
