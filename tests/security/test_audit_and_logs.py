"""The history cannot be changed, and the logs hold no secret and no forged line.

- Audit rows: the application refuses to update or delete them (the ORM guard,
  for changed objects and for bulk statements), and so does the database itself
  (triggers on SQLite and PostgreSQL), whatever SQL is sent.
- Logs captured while logging in, failing, resetting a password, using the
  second factor and the API never contain the password, the reset token, the
  API token, a cookie or the CSRF token.
- CR/LF typed by a user (an email, a URL path) never starts a new log line.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import PASSWORD, csrf_token
from tracker import clock
from tracker.extensions import db
from tracker.logs import FORMAT, IndentingFormatter, install, single_line
from tracker.models import AuditImmutable, AuditLog, OutboxMessage, User
from tracker.services import audit, tokens, twofactor

LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ |^    \| ")


@pytest.fixture
def history(app: Flask, team: dict[str, User]) -> list[int]:
    """Three committed history rows."""
    for n in range(3):
        audit.record("test.entry", team["staff"], data={"n": n})
    db.session.commit()
    return list(db.session.scalars(sa.select(AuditLog.id).order_by(AuditLog.id)))


def snapshot() -> list[tuple[Any, ...]]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(AuditLog.id, AuditLog.action, AuditLog.data).order_by(AuditLog.id)
    ).all()
    db.session.rollback()  # hold no open transaction while raw SQL runs on another connection
    return [tuple(r) for r in rows]


def test_the_application_cannot_change_a_history_row(history: list[int]) -> None:
    before = snapshot()
    row = db.session.get(AuditLog, history[0])
    assert row is not None
    row.action = "forged"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    assert snapshot() == before


def test_the_application_cannot_delete_a_history_row(history: list[int]) -> None:
    before = snapshot()
    db.session.delete(db.session.get(AuditLog, history[0]))
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    assert snapshot() == before


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(AuditLog).values(action="forged"),
        sa.update(AuditLog).where(AuditLog.id == 1).values(ip="10.0.0.1"),
        sa.delete(AuditLog),
        sa.delete(AuditLog).where(AuditLog.action == "test.entry"),
    ],
    ids=["update-all", "update-one", "delete-all", "delete-some"],
)
def test_bulk_statements_on_the_history_are_refused(history: list[int], statement: Any) -> None:
    before = snapshot()
    with pytest.raises(AuditImmutable):
        db.session.execute(statement)
    db.session.rollback()
    assert snapshot() == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET action = 'forged'",
        "UPDATE audit_log SET data = '{}' WHERE id = (SELECT min(id) FROM audit_log)",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    ],
)
def test_the_database_refuses_changes_to_the_history(history: list[int], sql: str) -> None:
    """Raw SQL, around the application: the trigger (SQLite and PostgreSQL) says no."""
    before = snapshot()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text(sql))
    assert snapshot() == before


def test_new_history_rows_can_still_be_added(history: list[int], team: dict[str, User]) -> None:
    audit.record("test.entry", team["head"], data={"n": 99})
    db.session.commit()
    assert len(snapshot()) == len(history) + 1


# --- logs -----------------------------------------------------------------------------------------


class Captured:
    """Every record of the run, formatted the way the server writes them."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(IndentingFormatter(FORMAT))
        self.handler.setLevel(logging.DEBUG)

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def logs() -> Iterator[Captured]:
    captured = Captured()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(captured.handler)
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.setLevel(old_level)


def login_form(client: Any, email: str, password: str) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_logs_never_hold_a_password_token_or_cookie(
    app: Flask, client: Any, team: dict[str, User], logs: Captured
) -> None:
    secrets: list[str] = [PASSWORD, "Wr0ng-but-secret-passphrase"]
    # Failed and successful log-ins, with "remember me".
    login_form(client, "staff@example.org", secrets[1])
    token = csrf_token(client, "/login")
    client.post(
        "/login",
        data={
            "email": "staff@example.org",
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    secrets.append(token)
    for cookie in client._cookies.values():
        secrets.append(cookie.value)
    client.get("/")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    # Password reset: the link's token, then the new password.
    token = csrf_token(client, "/reset")
    client.post("/reset", data={"email": "head@example.org", "csrf_token": token})
    mail = db.session.scalars(
        sa.select(OutboxMessage.text_body).where(OutboxMessage.to_addr == "head@example.org")
    ).one()
    link = re.search(r"/reset/(\S+)", mail)
    assert link
    secrets.append(link.group(1))
    assert client.get(f"/reset/{link.group(1)}").status_code == 302
    new_password = "a brand new passphrase for the head"
    secrets.append(new_password)
    token = csrf_token(client, "/reset/password")
    client.post(
        "/reset/password",
        data={"password": new_password, "confirm": new_password, "csrf_token": token},
    )

    # The second factor: its secret and a code.
    totp_secret = twofactor.new_secret()
    secrets.append(totp_secret)
    user = team["mayor"]
    user.totp_secret = totp_secret
    db.session.commit()
    clock.freeze(clock.utcnow())  # the code is made and checked at the same instant
    assert login_form(client, "mayor@example.org", PASSWORD).status_code == 302
    code = pyotp.TOTP(totp_secret).at(clock.utcnow())
    token = csrf_token(client, "/login/code")
    assert client.post("/login/code", data={"code": code, "csrf_token": token}).status_code == 302

    # The API: a good token and a wrong one.
    _row, api_secret = tokens.create(team["staff"], "script")
    db.session.commit()
    secrets.append(api_secret)
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_secret}"})
    wrong = api_secret[:-4] + "abcd"
    secrets.append(wrong)
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {wrong}"})

    text = logs.text
    assert "login.failure" in text and "login.success" in text  # the events are there…
    assert "'second_factor': True" in text and "password.reset actor" in text
    for secret in secrets:
        assert len(secret) >= 8
        assert secret not in text, f"a secret reached the log: {secret[:6]}…"  # …the secrets not


def test_newlines_typed_by_a_user_never_start_a_log_line(
    app: Flask, client: Any, team: dict[str, User], logs: Captured
) -> None:
    forged = "INFO tracker.audit: login.success actor=1"
    # An email with CR/LF (the login failure is logged with the typed email).
    login_form(client, f"x@example.org\r\n2026-01-01 00:00:00,000 {forged}", "whatever-it-is")
    # A path with an encoded newline, refused (403) for a viewer and logged with the path.
    login_form(client, "viewer@example.org", PASSWORD)
    path = "/admin/workflows/x%0A2026-01-01%2000:00:00,000%20" + forged.replace(" ", "%20")
    assert client.get(path).status_code == 403
    # The same at the API, without a valid token.
    client.get("/api/v1/processes/%0D%0Aforged")
    lines = logs.text.splitlines()
    assert any("login.failure" in line for line in lines)
    assert any("access.denied" in line for line in lines)
    for line in lines:
        assert LINE_START.match(line), f"a log line was forged: {line!r}"
    assert "\\n2026-01-01" in logs.text or "\\r\\n2026-01-01" in logs.text


def test_single_line_escapes_every_line_break() -> None:
    text = "a\nb\rc\x00d\x1be\u2028f\u2029g\x85h\ti"
    assert single_line(text) == "a\\nb\\rc\\x00d\\x1be\\u2028f\\u2029g\\x85h\\ti"
    install()  # what every process does at start (create_app); this test may run alone
    record = logging.getLogger("tracker.test").makeRecord(
        "tracker.test", logging.INFO, __file__, 1, "user %s", ("x\ny",), None
    )
    assert record.getMessage() == "user x\\ny"
    assert "\n" not in IndentingFormatter(FORMAT).format(record)
