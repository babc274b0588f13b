"""Fixtures in the flaskr style: ``app``, ``client``, ``runner``, plus factories.

The suite runs on SQLite by default and on PostgreSQL when ``DATABASE_URL``
says so. Each test gets a clean, migrated database: on SQLite a copy of a
template file built once by ``flask db upgrade``; on PostgreSQL the tables are
truncated (the schema is migrated once per run).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from config import TestingConfig, database_url
from tracker import clock, create_app
from tracker.extensions import db
from tracker.models import Authority, Process, User
from tracker.services import accounts

PASSWORD = "correct horse battery staple"
DB_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DB_URL.startswith(("postgres://", "postgresql"))


def pytest_configure(config: pytest.Config) -> None:
    # Tests make many accounts: argon2id with small costs keeps them quick.
    accounts.hasher = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    accounts._DUMMY_HASH = accounts.hasher.hash("dummy")
    if ON_POSTGRES:
        engine = sa.create_engine(database_url(DB_URL, ""))
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
        except Exception as exc:  # noqa: BLE001 - any failure here must stop the run loudly
            pytest.exit(f"DATABASE_URL is set but PostgreSQL is unreachable: {exc}", returncode=3)
        finally:
            engine.dispose()


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'PostgreSQL ' + DB_URL if ON_POSTGRES else 'SQLite (file per test)'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="PostgreSQL only; runs in the PostgreSQL pass of make test")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _migrate(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(Path(app.root_path).parent / "migrations"))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database to start every test from."""
    if ON_POSTGRES:
        url = database_url(DB_URL, "")
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            db.engine.dispose()
        _migrate(app)
        with app.app_context():
            db.engine.dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    _migrate(app)
    with app.app_context():
        db.engine.dispose()
    return str(path)


def _truncate_all() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_url(template_db: str, tmp_path: Path) -> str:
    if ON_POSTGRES:
        return template_db
    target = tmp_path / "test.db"
    shutil.copy(template_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A fresh application on a clean database with the reference data loaded."""
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=db_url,
        UPLOAD_DIR=tmp_path / "documents",
        MAIL_OUTBOX_DIR=tmp_path / "outbox",
    )
    with app.app_context():
        if ON_POSTGRES:
            _truncate_all()
        from tracker.seed import seed_reference

        seed_reference()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()
    clock.reset()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Factory: ``make_user("head")`` or ``make_user("staff", "council_member", email=…)``."""
    counter = iter(range(1, 10_000))

    def make(*roles: str, email: str | None = None, name: str | None = None, **kw: Any) -> User:
        n = next(counter)
        user = accounts.create_user(
            email or f"user{n}@example.org",
            name or f"User {n} {'/'.join(roles)}",
            PASSWORD,
            list(roles or ("viewer",)),
            None,
            must_change_password=kw.pop("must_change_password", False),
            **kw,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def team(make_user: Callable[..., User]) -> dict[str, User]:
    """One user per role, three council members: enough for every workflow step."""
    return {
        "staff": make_user("staff", email="staff@example.org"),
        "head": make_user("head", email="head@example.org"),
        "deputy": make_user("deputy_mayor", email="deputy@example.org"),
        "mayor": make_user("mayor", email="mayor@example.org"),
        "president": make_user("council_president", email="president@example.org"),
        "c1": make_user("council_member", email="c1@example.org"),
        "c2": make_user("council_member", email="c2@example.org"),
        "c3": make_user("council_member", email="c3@example.org"),
        "admin": make_user("admin", email="admin@example.org"),
        "viewer": make_user("viewer", email="viewer@example.org"),
    }


def authority(key: str) -> Authority:
    return db.session.scalars(sa.select(Authority).where(Authority.key == key)).one()


@pytest.fixture
def make_process(team: dict[str, User]) -> Callable[..., Process]:
    from tracker.services import processes

    def make(partner: str = "umea", kind: str = "twinning", actor: User | None = None) -> Process:
        process = processes.create_process(kind, authority(partner), actor or team["staff"])
        db.session.commit()
        return process

    return make


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = CSRF_RE.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


class AuthActions:
    """Log in and out through the real forms, CSRF included."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD, follow: bool = False) -> Any:
        token = csrf_token(self.client, "/login")
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    def post(
        self, path: str, data: dict[str, Any] | None = None, page: str = "/", **kw: Any
    ) -> Any:
        token = csrf_token(self.client, page)
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kw)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
