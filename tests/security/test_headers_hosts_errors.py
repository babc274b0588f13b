"""Response headers on every route, HSTS and trusted hosts in production, links from
BASE_URL, and error pages that never show a traceback or SQL."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from config import ProductionConfig, trusted_hosts
from tests.conftest import PASSWORD, csrf_token
from tests.views.test_route_matrix import build, rules
from tracker.extensions import db
from tracker.models import OutboxMessage
from tracker.services import accounts

GOOD_SECRET = "s" * 48
LEAKS = re.compile(
    r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|SELECT |INSERT |UPDATE |"
    r"no_such_table|ZeroDivisionError|/work/|site-packages",
    re.IGNORECASE,
)


def check_headers(response: Any, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp, (where, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy"), where


def login(client: Any, email: str) -> None:
    token = csrf_token(client, "/login")
    done = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302


def test_every_get_route_sends_the_security_headers_and_no_store(
    app: Flask, client: Any, make_user: Any
) -> None:
    """Anonymous and logged in, pages and errors alike; authenticated answers are never stored."""
    make_user(
        "staff", "head", "admin", "council_member", "council_president", email="all@example.org"
    )
    anonymous = client.get("/login")
    check_headers(anonymous, "/login (anonymous)")
    login(client, "all@example.org")
    checked = 0
    for rule in rules(app):
        if "GET" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = build(app, rule)
        response = client.get(url)
        check_headers(response, url)
        if rule.endpoint not in ("auth.login", "feeds.feed"):
            assert "no-store" in response.headers.get("Cache-Control", ""), url
        response.close()
        checked += 1
    assert checked > 25
    # The API's answers carry personal data too: never stored.
    assert "no-store" in client.get("/api/v1/me").headers["Cache-Control"]


def test_no_hsts_in_development_but_in_production(
    app: Flask, client: Any, make_app: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "Strict-Transport-Security" not in client.get("/login").headers
    production = production_app(make_app, db_url, monkeypatch)
    with production.test_client() as secure:
        response = secure.get("/login", base_url="https://127.0.0.1")
    hsts = response.headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
    assert max_age >= 31536000 and "includeSubDomains" in hsts
    check_headers(response, "/login (production)")


def production_app(
    make_app: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> Flask:
    """The production configuration (its start-up checks read the environment)."""
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    return make_app(ProductionConfig, **overrides)  # type: ignore[no-any-return]


def test_trusted_hosts_come_from_the_environment_or_base_url() -> None:
    assert trusted_hosts("tracker.maroussi.gr, tracker.internal") == [
        "tracker.maroussi.gr",
        "tracker.internal",
    ]
    assert trusted_hosts("", "https://tracker.maroussi.gr/") == ["tracker.maroussi.gr"]
    assert trusted_hosts(None) is None  # development and tests: any host
    assert ProductionConfig.TRUSTED_HOSTS  # production: never "any host"


@pytest.mark.parametrize(
    "host", ["evil.example", "tracker.maroussi.gr.evil.example", "127.0.0.1.nip.io", "x@evil"]
)
def test_production_refuses_a_host_it_does_not_serve(
    app: Flask, make_app: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    production = production_app(
        make_app, db_url, monkeypatch, TRUSTED_HOSTS=trusted_hosts("tracker.maroussi.gr")
    )
    with production.test_client() as browser:
        good = browser.get("/login", base_url="https://tracker.maroussi.gr")
        bad = browser.get("/login", base_url="https://tracker.maroussi.gr", headers={"Host": host})
        api = browser.get("/api/v1/openapi.json", headers={"Host": host})
    assert good.status_code == 200
    assert bad.status_code == 400 and api.status_code == 400
    assert "tracker.maroussi.gr" not in bad.get_data(as_text=True)


def test_email_links_use_base_url_whatever_the_host_header(make_app: Any, make_user: Any) -> None:
    """A reset requested through a forged Host still links to the configured site."""
    make_user("staff", email="staff@example.org")
    forged = make_app(BASE_URL="https://tracker.maroussi.gr")
    with forged.app_context(), forged.test_client() as browser:
        headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
        page = browser.get("/reset", headers=headers).get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        assert token
        sent = browser.post(
            "/reset",
            data={"email": "staff@example.org", "csrf_token": token.group(1)},
            headers=headers,
        )
        assert sent.status_code == 302
        mail = db.session.scalars(sa.select(OutboxMessage)).all()
        db.session.remove()
    assert len(mail) == 1
    bodies = mail[0].text_body + (mail[0].html_body or "")
    assert "https://tracker.maroussi.gr/reset/" in bodies
    assert "evil.example" not in bodies


def test_an_invitation_link_uses_base_url_too(app: Flask, team: dict[str, Any]) -> None:
    app.config["BASE_URL"] = "https://tracker.maroussi.gr"
    with app.test_request_context("/", base_url="http://evil.example"):
        accounts.invite_user("new@example.org", "New colleague", ["staff"], team["admin"], "el")
        db.session.commit()
    body = db.session.scalars(
        sa.select(OutboxMessage.text_body).where(OutboxMessage.to_addr == "new@example.org")
    ).one()
    assert "https://tracker.maroussi.gr/reset/" in body and "evil.example" not in body


def failing_app(make_app: Any) -> Flask:
    """A separate application instance with routes that fail on purpose."""
    from tracker.views.access import public

    broken: Flask = make_app()

    @broken.route("/boom")
    @public
    def boom() -> str:
        return str(1 // 0)

    @broken.route("/boom-sql")
    @public
    def boom_sql() -> str:
        db.session.execute(sa.text("SELECT secret FROM no_such_table WHERE x = 'y'"))
        return "unreachable"

    @broken.route("/api/v1/boom-sql")
    @public
    def api_boom() -> str:
        db.session.execute(sa.text("SELECT secret FROM no_such_table"))
        return "unreachable"

    return broken


@pytest.mark.parametrize("path", ["/boom", "/boom-sql", "/api/v1/boom-sql"])
def test_errors_are_generic_pages_without_traceback_or_sql(
    app: Flask, make_app: Any, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    broken = failing_app(make_app)
    with caplog.at_level(logging.ERROR, logger="tracker.errors"), broken.test_client() as browser:
        response = browser.get(path)
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert not LEAKS.search(text), text
    if path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "internal_error"
    else:
        assert "<h1>500</h1>" in text
    check_headers(response, path)
    # The details go to the log (for the operator), never to the browser.
    assert any(r.exc_info for r in caplog.records if r.name == "tracker.errors")


def test_a_failed_commit_leaves_nothing_half_done(app: Flask, team: dict[str, Any]) -> None:
    """A service call whose commit fails rolls back everything it had flushed."""
    from tracker.views.edge import run

    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))

    def half_then_fail() -> None:
        accounts.invite_user("half@example.org", "Half", ["staff"], team["admin"], "el")
        db.session.flush()
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    with pytest.raises(sa.exc.SQLAlchemyError):
        run(half_then_fail)
    db.session.rollback()
    assert accounts.find_by_email("half@example.org") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == before
