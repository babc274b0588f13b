"""The one scheduler process: APScheduler as the clock, the database as the truth.

Jobs are a small fixed table defined in code and kept in memory (never a
pickled job store). Each job runs inside an application context.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from . import jobs

log = logging.getLogger("tracker.scheduler")


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], Any]
    trigger: Any


def job_table(app: Flask) -> list[Job]:
    """Every periodic job, in one place."""
    return [
        Job("close_timers", jobs.close_timers, IntervalTrigger(minutes=5)),
    ]


def _in_context(app: Flask, job: Job) -> Callable[[], Any]:
    def run() -> Any:
        with app.app_context():
            try:
                return job.func()
            except Exception:
                log.exception("job %s failed", job.id)
                return None

    return run


def build(app: Flask) -> BlockingScheduler:
    tz = app.config["TIMEZONE"]
    scheduler = BlockingScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job in job_table(app):
        scheduler.add_job(_in_context(app, job), job.trigger, id=job.id, name=job.id)
    return scheduler


def run(app: Flask) -> None:
    scheduler = build(app)
    log.info("scheduler starting with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    for job in job_table(app):  # catch up at start: downtime is swept at once
        _in_context(app, job)()
    scheduler.start()


__all__ = ["CronTrigger", "build", "job_table", "run"]
