"""Periodic jobs: each runs in an app context, commits or rolls back, and logs what it did.

These are the edge for the scheduler, as views are for the web: services
flush, a job commits. A job that claims work (reminders, outbox rows) commits
the claim first, then every unit of work on its own, so a crash loses at most
the unit in hand and a restart picks it up again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError

from . import clock
from .db import writing
from .extensions import db
from .models import Process
from .services import deadlines, digests, logins, mailer, outbox, processes, reminders, reviews

log = logging.getLogger("tracker.jobs")

#: Rows taken per round trip; a backlog (after downtime) is worked off in rounds.
BATCH = 200


@contextmanager
def transaction() -> Iterator[None]:
    """One unit of work: a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed or
    rolled back.

    Entered afresh for every unit, because building a link for an email
    (``external_url``) pushes a throw-away request context whose teardown clears
    the thread's write intent.
    """
    with writing():
        try:
            yield
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise


def worker_id() -> str:
    """Who holds a claim: host, process and thread, so two schedulers never look alike."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 1_000_000}"


def close_timers() -> int:
    """Elapsed timers (appeal windows) are met; files waiting on them move on."""
    with transaction():
        touched = deadlines.close_elapsed_timers(clock.utcnow())
        for pid in touched:
            process = db.session.get(Process, pid)
            if process is not None and not process.is_closed:
                processes.advance(process, None)
    if touched:
        log.info("close_timers: %d timer(s) elapsed for processes %s", len(touched), touched)
    return len(touched)


def sweep_reminders(limit: int = BATCH) -> int:
    """Every due reminder becomes outbox rows, once; returns the reminders handled."""
    worker = worker_id()
    handled = 0
    while True:
        now = clock.utcnow()
        with transaction():
            ids = reminders.claim_due(now, worker, limit)
        for reminder_id in ids:
            handled += _one_reminder(reminder_id, now, worker)
        if len(ids) < limit:
            break
    if handled:
        log.info("sweep_reminders: %d reminder(s) handled by %s", handled, worker)
    return handled


def _one_reminder(reminder_id: int, now: datetime, worker: str) -> int:
    """Handle one claimed reminder in its own transaction; a failure leaves it claimed,
    to be swept again once the claim is stale."""
    try:
        with transaction():
            reminders.process(reminder_id, now, worker)
        return 1
    except IntegrityError:
        log.warning("reminder %s: already queued by another worker", reminder_id)
    except OperationalError:
        log.exception("reminder %s: database error, left for a later sweep", reminder_id)
    return 0


def top_up_reminders() -> int:
    """Keep repeating reminders (every N days while a step is open) stored ahead."""
    with transaction():
        added = reminders.top_up(clock.utcnow())
    if added:
        log.info("top_up_reminders: %d repeat reminder(s) added", added)
    return added


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    statuses: dict[int, str] = field(default_factory=dict)

    def add(self, row_id: int, status: str) -> None:
        self.statuses[row_id] = status
        if status == "sent":
            self.sent += 1
        elif status == "failed":
            self.failed += 1
        else:
            self.retry += 1


def send_outbox(limit: int = 100) -> SendReport:
    """Deliver due outbox rows (SMTP or .eml files); retries and failures are recorded.

    The claim and each outcome are separate short transactions; the mail server
    is spoken to outside any transaction.
    """
    settings = mailer.MailSettings.from_config()
    report = SendReport()

    def on_result(item: mailer.Outgoing, result: mailer.Result) -> None:
        with transaction():
            status = mailer.record(item, result, clock.utcnow(), settings)
        report.add(item.id, status)

    while True:
        with transaction():
            ids = mailer.claim(clock.utcnow(), settings, limit)
            batch = mailer.load(ids, settings)
        if not batch:
            break
        mailer.deliver(batch, settings, on_result)
        if len(ids) < limit or report.retry:
            break  # a full batch may mean more is due; a failing server can wait
    if report.sent or report.retry or report.failed:
        log.info(
            "send_outbox: %d sent, %d to retry, %d failed", report.sent, report.retry, report.failed
        )
    return report


def daily_digest() -> int:
    """One message per user who chose a daily digest, with everything that waited."""
    return _digest("daily")


def weekly_digest() -> int:
    """One message per user who chose a weekly digest (Mondays)."""
    return _digest("weekly")


def _digest(period: str) -> int:
    made = 0
    now = clock.utcnow()
    with transaction():
        waiting = digests.waiting(period)
    for user_id in waiting:
        try:
            with transaction():
                made += digests.compose(user_id, period, now) is not None
        except Exception:
            log.exception("%s digest for user %s failed", period, user_id)
    if made:
        log.info("%s_digest: %d digest(s) queued", period, made)
    return made


def periodic_reviews() -> int:
    """Dormant files, a new municipal term and coming expiries prompt a review."""
    from flask import current_app

    with transaction():
        made = reviews.prompt(clock.utcnow(), reviews.TermSettings.from_config(current_app))
    if made:
        log.info("periodic_reviews: %d prompt(s) queued", made)
    return made


def housekeeping(limit: int = BATCH * 5) -> int:
    """Trim what only grows; returns how many rows were trimmed.

    Log-in attempts past their retention are deleted (``logins.prune``); emails
    delivered long ago lose their bodies (``outbox.empty_old_bodies``). One short
    transaction per batch, so a backlog never holds the write lock for long; the
    history (``audit_log``) is never touched, it is the record.
    """
    trimmed = 0
    for trim, what in (
        (logins.prune, "old login attempt(s) deleted"),
        (outbox.empty_old_bodies, "old email(s) emptied of their bodies"),
    ):
        total, done = 0, limit
        while done == limit:
            with transaction():
                done = trim(clock.utcnow(), limit)
            total += done
        if total:
            log.info("housekeeping: %d %s", total, what)
        trimmed += total
    return trimmed
