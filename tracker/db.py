"""Database engine behaviour that both SQLite and PostgreSQL need to be safe.

SQLite: foreign keys on, a busy timeout, WAL by default, and transactions that
will write start with ``BEGIN IMMEDIATE`` so concurrent writers queue instead
of failing half-way (``with_for_update`` is a no-op there). PostgreSQL gets
row locks from the process-version update in ``services.locking``.
"""

from __future__ import annotations

import contextvars
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)
_journal_mode = {"value": "WAL"}


def set_journal_mode(mode: str) -> None:
    _journal_mode["value"] = mode


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA journal_mode={_journal_mode['value']}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _on_begin(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


class writing:  # noqa: N801 - used like a function: ``with writing():``
    """Context manager: transactions begun inside it intend to write."""

    def __enter__(self) -> None:
        self._token = write_intent.set(True)

    def __exit__(self, *exc: object) -> None:
        write_intent.reset(self._token)
