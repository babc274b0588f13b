"""The client address comes from exactly the configured number of proxies, never from what
the client itself puts in ``X-Forwarded-For``.

Flask-Login's "strong" session protection would trust that header (it is off, see
docs/security.md); the address matters for the per-address log-in limit and for the
"from where" of every history row. ``PROXY_COUNT=1`` (nginx in front) takes the entry
nginx appended; ``PROXY_COUNT=0`` ignores the header altogether.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.conftest import csrf_token
from tracker.extensions import db
from tracker.models import AuditLog, LoginAttempt, User

PROXY = "127.0.0.1"  # nginx on the same machine
REAL = "198.51.100.7"  # the address nginx saw and appended


def fail_login(client: Any, forwarded: str | None, email: str = "staff@example.org") -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    token = csrf_token(client, "/login")
    data = {"email": email, "password": "a wrong guess, surely", "csrf_token": token}
    response = client.post(
        "/login", data=data, headers=headers, environ_base={"REMOTE_ADDR": PROXY}
    )
    return response.status_code


def recorded_addresses() -> tuple[list[str], list[str]]:
    db.session.rollback()
    history = db.session.scalars(
        sa.select(AuditLog.ip).where(AuditLog.action == "login.failure").order_by(AuditLog.id)
    )
    attempts = db.session.scalars(sa.select(LoginAttempt.ip).order_by(LoginAttempt.id))
    return list(history), list(attempts)


def test_one_proxy_the_address_it_appended_is_the_client(
    app: Flask, team: dict[str, User], make_app: Callable[..., Flask]
) -> None:
    behind_nginx = make_app(PROXY_COUNT=1).test_client()
    assert fail_login(behind_nginx, f"203.0.113.66, {REAL}") == 200  # first entry: spoofed
    assert recorded_addresses() == ([REAL], [REAL])


def test_no_proxy_configured_the_header_is_ignored(
    app: Flask, client: Any, team: dict[str, User]
) -> None:
    assert fail_login(client, f"203.0.113.66, {REAL}") == 200
    assert recorded_addresses() == ([PROXY], [PROXY])


def test_a_spoofed_header_does_not_escape_the_address_limit(
    app: Flask, team: dict[str, User], make_app: Callable[..., Flask]
) -> None:
    behind_nginx = make_app(PROXY_COUNT=1, LOGIN_ADDRESS_LIMIT=5).test_client()
    statuses = [
        fail_login(behind_nginx, f"203.0.113.{n}, {REAL}", email=f"guess{n}@example.org")
        for n in range(7)
    ]
    assert statuses == [200] * 5 + [429] * 2  # a new "address" each time, the same real one
