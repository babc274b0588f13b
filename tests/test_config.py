"""Production refuses unsafe settings; development and tests start with none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import Config, ProductionConfig, database_url, get_config, whole_seconds
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


# --- the scheduler's rhythm from the environment -------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SCHEDULER_VARIABLES = {
    "SCHEDULER_SWEEP_SECONDS": ("sweep_reminders", "7"),
    "SCHEDULER_SEND_SECONDS": ("send_outbox", "5"),
    "SCHEDULER_TIMERS_SECONDS": ("close_timers", "45"),
}
SHOW_JOBS = """
from tracker import create_app
from tracker.scheduler import job_table
app = create_app("testing")
for job in job_table(app):
    every = getattr(job.trigger, "interval", None)
    print(job.id, int(every.total_seconds()) if every else "-")
cfg = app.config
print("lease", cfg["SCHEDULER_LEASE_SECONDS"], cfg["SCHEDULER_HEARTBEAT_SECONDS"])
"""


def start(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter (config is read once, at import) with these variables set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDULER_")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", INSTANCE_PATH=str(tmp_path), **variables
    )
    return subprocess.run(
        [sys.executable, "-c", SHOW_JOBS], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_scheduler_intervals_come_from_the_environment(tmp_path):
    variables = {name: value for name, (_job, value) in SCHEDULER_VARIABLES.items()}
    done = start(
        tmp_path,
        **variables,
        SCHEDULER_LEASE_SECONDS="120",
        SCHEDULER_HEARTBEAT_SECONDS="30",
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    for job, value in SCHEDULER_VARIABLES.values():
        assert lines[job] == value
    assert lines["lease"] == "120 30"
    defaults = dict(line.split(" ", 1) for line in start(tmp_path).stdout.splitlines())
    assert defaults["sweep_reminders"] == "60" and defaults["close_timers"] == "300"


@pytest.mark.parametrize("raw", ["1m", "abc", "0", "-5", "3601", "2.5"])
def test_a_bad_interval_stops_the_start_with_its_name(tmp_path, raw):
    with pytest.raises(RuntimeError, match="SCHEDULER_SWEEP_SECONDS"):
        whole_seconds("SCHEDULER_SWEEP_SECONDS", raw, 60, 1, 3600)
    done = start(tmp_path, SCHEDULER_SWEEP_SECONDS=raw)
    assert done.returncode != 0 and "SCHEDULER_SWEEP_SECONDS" in done.stderr


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_an_unset_interval_is_the_default(raw):
    assert whole_seconds("SCHEDULER_SEND_SECONDS", raw, 30, 1, 3600) == 30
    assert whole_seconds("SCHEDULER_SEND_SECONDS", " 12 ", 30, 1, 3600) == 12


def test_a_heartbeat_slower_than_half_the_lease_is_refused(tmp_path):
    class SlowBeat(Config):
        SCHEDULER_LEASE_SECONDS = 60
        SCHEDULER_HEARTBEAT_SECONDS = 45

    with pytest.raises(RuntimeError, match="SCHEDULER_HEARTBEAT_SECONDS"):
        SlowBeat.validate()
    done = start(tmp_path, SCHEDULER_LEASE_SECONDS="60", SCHEDULER_HEARTBEAT_SECONDS="45")
    assert done.returncode != 0 and "SCHEDULER_HEARTBEAT_SECONDS" in done.stderr
