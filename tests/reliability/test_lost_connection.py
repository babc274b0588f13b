"""A database that stops answering mid-request: a clean 503 on both databases, never a 500.

The driver itself is made to fail (a dialect ``do_execute`` hook raising the
driver's own ``OperationalError``, as a killed PostgreSQL backend or a locked
SQLite file would), so every path that touches the database on the way out —
the user loader, the error page, the response headers — meets the failure
deterministically, not just when a restart happens to land at the right moment
(``test_db_restart.py`` does that on PostgreSQL under load).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import PASSWORD, AuthActions, csrf_token
from tracker.extensions import db
from tracker.models import ApprovalRequest, AuditLog, Process, User

HOOKS = ("do_execute", "do_execute_no_params")


@contextmanager
def database_gone(
    engine: sa.Engine, only: Callable[[str], bool] = lambda sql: True
) -> Iterator[None]:
    """Every statement ``only`` selects fails in the driver as a lost connection does."""
    dbapi = engine.dialect.dbapi
    message = (
        "database is locked"
        if engine.dialect.name == "sqlite"
        else "server closed the connection unexpectedly"
    )

    def refuse(cursor: object, statement: str, *rest: object) -> None:
        if only(statement):
            raise dbapi.OperationalError(message)  # type: ignore[union-attr]

    for hook in HOOKS:
        sa.event.listen(engine, hook, refuse)
    try:
        yield
    finally:
        for hook in HOOKS:
            sa.event.remove(engine, hook, refuse)


def writes(statement: str) -> bool:
    return statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))


def assert_clean_503(response: object) -> None:
    text = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 503, text  # type: ignore[attr-defined]
    assert response.headers["Retry-After"] == "5"  # type: ignore[attr-defined]
    assert "503" in text
    assert "Traceback" not in text and "OperationalError" not in text
    # A signed-in user's answer stays out of caches even when nobody could be loaded.
    assert response.headers["Cache-Control"] == "no-store"  # type: ignore[attr-defined]


@pytest.fixture
def pending(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> tuple[int, int]:
    process = make_process("umea")
    request_id = db.session.scalar(
        sa.select(ApprovalRequest.id).where(
            ApprovalRequest.process_id == process.id,
            ApprovalRequest.approver_id == team["head"].id,
        )
    )
    assert request_id is not None
    return process.id, request_id


@pytest.mark.parametrize("failing", ["every statement", "writes only"])
def test_a_lost_database_is_a_clean_503_and_nothing_moves(
    app: Flask, auth: AuthActions, pending: tuple[int, int], failing: str
) -> None:
    process_id, request_id = pending
    auth.login("head@example.org")
    token = csrf_token(auth.client, f"/approvals/{request_id}")
    only = (lambda sql: True) if failing == "every statement" else writes
    db.session.remove()

    with database_gone(db.engine, only):
        if failing == "every statement":
            assert_clean_503(auth.client.get("/"))
        answer = auth.client.post(
            f"/approvals/{request_id}",
            data={"decision": "approved", "password": PASSWORD, "csrf_token": token},
        )
        assert_clean_503(answer)
    db.session.remove()

    # Nothing moved, nothing was half-written.
    assert db.session.get(ApprovalRequest, request_id).status == "pending"
    moved = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditLog)
        .where(AuditLog.process_id == process_id, AuditLog.action.like("approval.%"))
    )
    assert moved == 0
    # The database is back: the same click now works, on a fresh connection.
    assert auth.client.get("/").status_code == 200
    again = auth.client.post(
        f"/approvals/{request_id}",
        data={"decision": "approved", "password": PASSWORD, "csrf_token": token},
    )
    assert again.status_code == 302
    db.session.remove()
    assert db.session.get(ApprovalRequest, request_id).status == "approved"


def test_the_api_answers_a_lost_database_as_json_503(app: Flask, team: dict[str, User]) -> None:
    from tracker.services import tokens

    secret = tokens.create(team["viewer"], "probe")[1]
    db.session.commit()
    db.session.remove()
    with database_gone(db.engine), app.test_client() as api:
        answer = api.get("/api/v1/processes", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "unavailable"
    assert answer.headers["Retry-After"] == "5"
