"""Security tests: print their measured figures (fuzz cases) at the end of the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from config import Config, TestingConfig
from tests.figures import summary
from tracker import create_app
from tracker.extensions import db


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    summary("security", terminalreporter)


@pytest.fixture
def make_app(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Other application instances on the test's database (production settings, test
    routes); their connections are closed at the end of the test."""
    made: list[Flask] = []

    def make(config: type[Config] = TestingConfig, **overrides: Any) -> Flask:
        options = {
            "SQLALCHEMY_DATABASE_URI": db_url,
            "UPLOAD_DIR": tmp_path / "documents",
            "MAIL_OUTBOX_DIR": tmp_path / "outbox",
            **overrides,
        }
        made.append(create_app(config, **options))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
