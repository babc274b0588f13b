"""Production refuses unsafe settings; development and tests start with none."""

from __future__ import annotations

import pytest

from config import ProductionConfig, database_url, get_config
from tracker import create_app
from tracker.safety import check_production_safety

GOOD_SECRET = "x" * 48


@pytest.mark.parametrize("secret", ["", "dev", "changeme", "short-secret"])
def test_production_refuses_default_or_short_secret(monkeypatch, secret):
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/tracker")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig.validate()


def test_production_refuses_debug(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/tracker")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug"):
        ProductionConfig.validate()


def test_production_needs_a_database_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        ProductionConfig.validate()


def test_production_accepts_real_settings(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/tracker")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    ProductionConfig.validate()


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert (
        ProductionConfig.SESSION_COOKIE_HTTPONLY
        and ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    )
    assert not ProductionConfig.DEMO_ALLOWED


def test_unknown_environment_is_an_error():
    with pytest.raises(RuntimeError, match="TRACKER_ENV"):
        get_config("staging")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        (None, "sqlite:///default.db"),
    ],
)
def test_database_url_uses_psycopg3(raw, expected):
    assert database_url(raw, "sqlite:///default.db") == expected


def test_demo_accounts_block_a_production_start(app, make_user, db_url):
    make_user("staff", is_demo=True)
    prod_like = create_app("testing", SQLALCHEMY_DATABASE_URI=db_url, DEMO_ALLOWED=False)
    with pytest.raises(RuntimeError, match="demo account"):
        check_production_safety(prod_like)
    dispose(prod_like)


def test_no_demo_accounts_lets_production_start(app, make_user, db_url):
    make_user("staff")
    prod_like = create_app("testing", SQLALCHEMY_DATABASE_URI=db_url, DEMO_ALLOWED=False)
    check_production_safety(prod_like)
    dispose(prod_like)


def dispose(other):
    """Close the second instance's connections (PostgreSQL warns about open ones at exit)."""
    from tracker.extensions import db

    with other.app_context():
        db.engine.dispose()
