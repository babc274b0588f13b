"""One writer per file at a time, on SQLite and PostgreSQL alike.

Every state-changing use case starts by bumping the process version with a
compare-and-set ``UPDATE``. On PostgreSQL that row lock queues concurrent
writers until commit; on SQLite the write transaction (``BEGIN IMMEDIATE``)
does. When the caller passes the version the user saw, a stale page is refused.
"""

from __future__ import annotations

import sqlalchemy as sa

from .. import clock
from ..extensions import db
from ..models import Process
from .errors import NotFound, Stale


def lock_process(process_id: int, seen_version: int | None = None) -> Process:
    """Take the file for writing and return it fresh from the database."""
    stmt = (
        sa.update(Process)
        .where(Process.id == process_id)
        .values(version=Process.version + 1, updated_dt=clock.utcnow())
        .execution_options(synchronize_session=False)
    )
    if seen_version is not None:
        stmt = stmt.where(Process.version == seen_version)
    result = db.session.execute(stmt)
    if result.rowcount == 0:  # type: ignore[attr-defined]
        if db.session.get(Process, process_id) is None:
            raise NotFound()
        raise Stale()
    process = db.session.get(Process, process_id, populate_existing=True)
    if process is None:
        raise NotFound()
    return process
