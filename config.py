"""Configuration from the environment: development, testing, production.

Development runs on an SQLite file under ``instance/`` with a random secret
kept there; production refuses to start without real secrets (see
``ProductionConfig.validate``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

KNOWN_BAD_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "test"}


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def whole_seconds(
    name: str, raw: str | None, default: int, low: int, high: int, unit: str = "seconds"
) -> int:
    """``raw`` as whole seconds in ``[low, high]``; ``default`` when unset or blank.

    Anything else stops the start with the variable's name: a scheduler told to
    sweep every "1m" or every 0 seconds must not run at all.
    """
    text = (raw or "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number of {unit}, not {text!r}") from None
    if not low <= value <= high:
        raise RuntimeError(f"{name} must be between {low} and {high} {unit}, not {value}")
    return value


def _int(name: str, default: int, low: int = 1, high: int = 3600, unit: str = "seconds") -> int:
    """An integer setting from the environment, within bounds (see ``whole_seconds``)."""
    return whole_seconds(name, os.environ.get(name), default, low, high, unit)


def database_url(raw: str | None, default: str) -> str:
    """Normalise ``DATABASE_URL`` so plain ``postgresql://`` uses psycopg 3."""
    url = raw or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def trusted_hosts(raw: str | None, base_url: str | None = None) -> list[str] | None:
    """Host names the app answers to: ``TRUSTED_HOSTS`` (comma-separated), else BASE_URL's host.

    Without ``base_url`` an empty setting means "any host" (development and tests).
    """
    hosts = [h.strip() for h in (raw or "").split(",") if h.strip()]
    if not hosts and base_url:
        hosts = [urlsplit(base_url).hostname or "localhost"]
    return hosts or None


def _dev_secret() -> str:
    """A random key created once per checkout, never committed (instance/ is ignored)."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{INSTANCE_DIR / 'tracker.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}
    SQLITE_JOURNAL_MODE = os.environ.get("SQLITE_JOURNAL_MODE", "WAL")
    TIMEZONE = os.environ.get("TIMEZONE", "Europe/Athens")
    BABEL_DEFAULT_LOCALE = "el"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Europe/Athens")
    LANGUAGES = ("el", "en")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    TRUSTED_HOSTS = trusted_hosts(os.environ.get("TRUSTED_HOSTS"))
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "documents"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Twinning Tracker <tracker@maroussi.gr>"
    )
    MAIL_OUTBOX_DIR = Path(os.environ.get("MAIL_OUTBOX_DIR", INSTANCE_DIR / "outbox"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    DEMO_ALLOWED = True
    # Administrators must turn on the TOTP second factor before anything else.
    REQUIRE_ADMIN_TOTP = _bool("REQUIRE_ADMIN_TOTP")
    # Failed log-ins per client address per 15 minutes (per account: 100 per hour, fixed).
    LOGIN_ADDRESS_LIMIT = int(os.environ.get("LOGIN_ADDRESS_LIMIT", "30"))
    # Days a delivered email keeps its text and attachment (the row itself stays).
    OUTBOX_RETENTION_DAYS = _int("OUTBOX_RETENTION_DAYS", 365, low=30, high=36500, unit="days")
    # The scheduler's rhythm (docs/reminders.md): due reminders, the outbox, timers such
    # as the appeal window; and the lease the active scheduler renews every heartbeat.
    SCHEDULER_SWEEP_SECONDS = _int("SCHEDULER_SWEEP_SECONDS", 60)
    SCHEDULER_SEND_SECONDS = _int("SCHEDULER_SEND_SECONDS", 30)
    SCHEDULER_TIMERS_SECONDS = _int("SCHEDULER_TIMERS_SECONDS", 300)
    SCHEDULER_LEASE_SECONDS = _int("SCHEDULER_LEASE_SECONDS", 90, low=10)
    SCHEDULER_HEARTBEAT_SECONDS = _int("SCHEDULER_HEARTBEAT_SECONDS", 20)

    @classmethod
    def validate(cls) -> None:
        """Defaults are fine everywhere; only settings that contradict each other stop a start."""
        if cls.SCHEDULER_HEARTBEAT_SECONDS * 2 > cls.SCHEDULER_LEASE_SECONDS:
            raise RuntimeError(
                "SCHEDULER_HEARTBEAT_SECONDS must be at most half of SCHEDULER_LEASE_SECONDS:"
                " the active scheduler renews its lease on every heartbeat"
            )


class DevelopmentConfig(Config):
    SECRET_KEY = Config.SECRET_KEY or None  # filled from instance/ in create_app


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-" + secrets.token_hex(16)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{INSTANCE_DIR / 'test.db'}"
    )
    SQLITE_JOURNAL_MODE = "WAL"
    MAIL_OUTBOX_DIR = INSTANCE_DIR / "test-outbox"
    BASE_URL = "http://localhost"


class ProductionConfig(Config):
    # Always a list in production: a request for any other Host is answered 400.
    TRUSTED_HOSTS = trusted_hosts(os.environ.get("TRUSTED_HOSTS"), Config.BASE_URL)
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEMO_ALLOWED = False

    @classmethod
    def validate(cls) -> None:
        """Refuse to start with a default secret or debug mode."""
        super().validate()
        key = os.environ.get("SECRET_KEY", "")
        if key.lower() in KNOWN_BAD_SECRETS or len(key) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of 32+ characters")
        if _bool("FLASK_DEBUG"):
            raise RuntimeError("debug mode is not allowed in production")
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """The config class named by ``name`` or ``TRACKER_ENV`` (default development)."""
    key = name or os.environ.get("TRACKER_ENV", "development")
    try:
        return CONFIGS[key]
    except KeyError:
        raise RuntimeError(f"unknown TRACKER_ENV {key!r}; use one of {sorted(CONFIGS)}") from None


def dev_secret() -> str:
    return _dev_secret()
