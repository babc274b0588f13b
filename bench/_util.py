"""Helpers shared by the benchmarks: statement counting, users and files made through services."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from tracker.extensions import db
from tracker.models import Authority, User
from tracker.services import accounts, processes

PASSWORD = "bench-password-1"


class Statements:
    """Every statement SQLAlchemy sends (``before_cursor_execute``) while active."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sql: list[str] = []
        self.active = False
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.active:
            self.sql.append(" ".join(statement.split()))

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.sql = []
        self.active = True
        try:
            yield self.sql
        finally:
            self.active = False

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def fast_hasher() -> None:
    """Cheap argon2 parameters: set-up speed only (log-in is not what is measured)."""
    accounts.hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)


def users(*keys: str) -> dict[str, User]:
    """One account per role key (``staff``, ``head``, …), password ``PASSWORD``."""
    fast_hasher()
    made = {
        key: accounts.create_user(
            f"{key}@bench.invalid", key.title(), PASSWORD, [key], None, must_change_password=False
        )
        for key in keys
    }
    db.session.commit()
    return made


def files(count: int, actor: User) -> None:
    """``count`` twinning files through the real service, spread over the partners."""
    partners = list(
        db.session.scalars(
            sa.select(Authority).where(Authority.is_home.is_(False)).order_by(Authority.id)
        )
    )
    for i in range(count):
        processes.create_process("twinning", partners[i % len(partners)], actor)
        if i % 100 == 99:
            db.session.commit()
    db.session.commit()


def median_ms(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def short(sql: str, width: int = 110) -> str:
    return sql if len(sql) <= width else sql[: width - 1] + "…"
