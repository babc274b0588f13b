"""One writer per file at a time, on SQLite and PostgreSQL alike.

Every state-changing use case starts by bumping the process version with a
compare-and-set ``UPDATE``. On PostgreSQL that row lock queues concurrent
writers until commit; on SQLite the write transaction (``BEGIN IMMEDIATE``)
does. When the caller passes the version the user saw, a stale page is refused.
The ``UPDATE`` returns the row (``RETURNING``, SQLite >= 3.35 and PostgreSQL),
so taking the lock and reading the file fresh is one statement.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .. import clock
from ..extensions import db
from ..models import Process
from .errors import NotFound, Stale


def lock_process(process_id: int, seen_version: int | None = None) -> Process:
    """Take the file for writing and return it fresh from the database.

    Its partner, workflow version and owner are kept when the session already
    holds them; otherwise ``processes.load_snapshot`` brings them with the steps.
    """
    where = Process.id == process_id
    if seen_version is not None:
        where = sa.and_(where, Process.version == seen_version)
    process = try_lock(where, process_id)
    if process is None:
        if db.session.get(Process, process_id) is None:
            raise NotFound()
        raise Stale()
    return process


def try_lock(where: sa.ColumnElement[bool], process_id: int | None = None) -> Process | None:
    """Bump the version of the one file matching ``where`` and return it, or None.

    ``where`` may name the file through another row (``approvals.decide`` locks the
    file of a request that is the actor's to decide), so checking and locking are
    one statement.
    """
    known = _related(process_id) if process_id is not None else {}
    stmt = (
        sa.update(Process)
        .where(where)
        .values(version=Process.version + 1, updated_dt=clock.utcnow())
        .returning(Process)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    process = db.session.scalars(stmt).first()
    if process is None:
        return None
    for name, fk in RELATED:
        if name in known and _key(known[name]) == getattr(process, fk):
            set_committed_value(process, name, known[name])
    return process


#: The file's many-to-one relations a use case reads; the refresh would forget them.
RELATED = (("partner", "partner_id"), ("workflow", "workflow_id"), ("owner", "owner_id"))


def _related(process_id: int) -> dict[str, Any]:
    """The related rows the session already holds for the file, before the refresh.

    ``populate_existing`` resets them, and the session's identity map holds rows
    weakly, so without these references they would be read again one by one.
    """
    held = db.session.identity_map.get(identity_key(Process, process_id))
    if held is None:
        return {}
    return {name: held.__dict__[name] for name, _ in RELATED if name in held.__dict__}


def _key(row: Any) -> int | None:
    return None if row is None else int(row.id)
