"""Shared set-up for the benchmarks: a freshly migrated database and one real file."""

from __future__ import annotations

import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from config import TestingConfig
from tracker import create_app
from tracker.extensions import db
from tracker.seed import seed_reference

ROOT = Path(__file__).resolve().parent.parent


def fresh_app(database_url: str | None, **config: object) -> Flask:
    """A migrated, empty database: a temporary SQLite file unless a URL is given.

    A given PostgreSQL database is wiped (its ``public`` schema is recreated).
    """
    workdir = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=url,
        MAIL_OUTBOX_DIR=workdir / "outbox",
        UPLOAD_DIR=workdir / "documents",
        **config,
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        seed_reference()
        db.session.commit()
    return app
