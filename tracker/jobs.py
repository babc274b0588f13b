"""Periodic jobs: each runs in an app context, commits or rolls back, and logs what it did."""

from __future__ import annotations

import logging

from . import clock
from .db import writing
from .extensions import db
from .models import Process
from .services import deadlines, processes

log = logging.getLogger("tracker.jobs")


def close_timers() -> int:
    """Elapsed timers (appeal windows) are met; files waiting on them move on."""
    with writing():
        try:
            now = clock.utcnow()
            touched = deadlines.close_elapsed_timers(now)
            for pid in touched:
                process = db.session.get(Process, pid)
                if process is not None and not process.is_closed:
                    processes.advance(process, None)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    if touched:
        log.info("close_timers: %d timer(s) elapsed for processes %s", len(touched), touched)
    return len(touched)
