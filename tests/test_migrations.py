"""Migrations build exactly the models, go down and up again, and keep the history immutable."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from config import TestingConfig, database_url
from tests.conftest import DB_URL, ON_POSTGRES
from tracker import create_app
from tracker.extensions import db
from tracker.models import AuditImmutable, AuditLog, Base
from tracker.services import audit

VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    """An application on an empty database: a new file, or a new PostgreSQL schema."""
    if ON_POSTGRES:
        schema = f"migration_{uuid.uuid4().hex[:8]}"
        base = database_url(DB_URL, "")
        admin = sa.create_engine(base)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if ON_POSTGRES:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def flask_db(app: Flask, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)


def differences(app: Flask) -> list[Any]:
    """What ``flask db migrate`` would generate: the models compared with the database."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def tables(app: Flask) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_on_an_empty_database_equals_the_models(empty_app: Flask) -> None:
    flask_db(empty_app, "upgrade")
    assert tables(empty_app) == set(Base.metadata.tables)
    assert differences(empty_app) == []


def test_the_comparison_would_notice_a_missing_column(empty_app: Flask) -> None:
    """The check above can fail: drop a column behind the models' back and it is reported."""
    flask_db(empty_app, "upgrade")
    with empty_app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE authority DROP COLUMN website"))
    found = differences(empty_app)
    assert any(d[0] == "add_column" and d[3].name == "website" for d in found), found


def test_downgrade_to_base_and_upgrade_again(empty_app: Flask) -> None:
    flask_db(empty_app, "upgrade")
    flask_db(empty_app, "downgrade", "base")
    assert tables(empty_app) == set()
    flask_db(empty_app, "upgrade")
    assert tables(empty_app) == set(Base.metadata.tables)
    assert differences(empty_app) == []


def test_revisions_form_one_chain() -> None:
    """The revisions form one chain: one base, one head (two engineers, one parent: caught)."""
    revisions: dict[str, str | None] = {}
    for path in VERSIONS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        down = re.search(r"^down_revision\s*=\s*(None|['\"]([^'\"]+)['\"])", text, re.M)
        assert revision and down, path.name
        revisions[revision.group(1)] = down.group(2)
    parents = set(revisions.values())
    heads = [r for r in revisions if r not in parents]
    assert len(heads) == 1, f"more than one head: {heads}"
    assert list(revisions.values()).count(None) == 1


def _history_row(app: Flask) -> int:
    row = audit.record("test.row", None, data={"note": "keep me"})
    db.session.commit()
    return row.id


def test_the_database_refuses_to_change_history(app: Flask) -> None:
    """UPDATE and DELETE on audit_log fail in SQL itself, on SQLite and PostgreSQL."""
    row_id = _history_row(app)
    for statement in (
        "UPDATE audit_log SET action = 'forged' WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text(statement), {"id": row_id})
    kept = db.session.get(AuditLog, row_id, populate_existing=True)
    assert kept is not None and kept.action == "test.row"


def test_the_application_refuses_to_change_history_too(app: Flask) -> None:
    row_id = _history_row(app)
    row = db.session.get(AuditLog, row_id)
    assert row is not None
    row.action = "forged"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditLog, row_id))
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditLog, row_id).action == "test.row"  # type: ignore[union-attr]


def test_tokens_made_before_expiry_get_a_year_from_their_creation(empty_app: Flask) -> None:
    """0006 backfills ``expires_at`` and makes it NOT NULL: a year from the token's
    creation, and never less than 90 days from the upgrade (no script stops on the day)."""
    from datetime import UTC, datetime, timedelta

    from tracker import clock
    from tracker.models import ApiToken
    from tracker.services import accounts, tokens

    flask_db(empty_app, "upgrade")
    now = datetime.now(UTC)
    recent = now - timedelta(days=100)  # a year from creation: 265 days left
    old = now - timedelta(days=400)  # its year is over: 90 days from the upgrade
    made: dict[int, tuple[datetime, str]] = {}
    with empty_app.app_context():
        user = accounts.create_user("old@example.org", "Old", "long enough pw 1", ["staff"], None)
        for when in (recent, old):
            clock.freeze(when)
            try:
                token, secret = tokens.create(user, f"before expiry {when:%Y}", 30)
                db.session.commit()
                made[token.id] = (when, secret)
            finally:
                clock.reset()
        db.session.remove()
    flask_db(empty_app, "downgrade", "0005_form_submissions")
    before = datetime.now(UTC)
    flask_db(empty_app, "upgrade")
    after = datetime.now(UTC)
    with empty_app.app_context():
        column = next(
            c for c in sa.inspect(db.engine).get_columns("api_token") if c["name"] == "expires_at"
        )
        assert column["nullable"] is False
        for token_id, (when, secret) in made.items():
            row = db.session.get(ApiToken, token_id)
            assert row is not None and row.created_dt == when
            if when == recent:
                assert row.expires_at == when + timedelta(days=365)
            else:
                assert before + timedelta(days=90) <= row.expires_at <= after + timedelta(days=90)
            clock.freeze(row.expires_at - timedelta(seconds=1))
            try:
                assert tokens.authenticate(secret) is not None
                clock.freeze(row.expires_at)
                assert tokens.authenticate(secret) is None
            finally:
                clock.reset()
        db.session.remove()
    assert differences(empty_app) == []
