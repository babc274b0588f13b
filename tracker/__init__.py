"""Twinning Tracker: the international relations office's agreements, from idea to charter."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from config import Config, dev_secret, get_config

if TYPE_CHECKING:  # importing the package must not load Flask: tracker.domain stays pure
    from flask import Flask


def create_app(config: type[Config] | str | None = None, **overrides: Any) -> Flask:
    """Application factory: a list of ``register_*`` calls."""
    from flask import Flask

    app = Flask(__name__, template_folder="../templates", instance_relative_config=False)
    cfg = get_config(config) if isinstance(config, str) or config is None else config
    cfg.validate()
    app.config.from_object(cfg)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = dev_secret()
    register_logging(app)
    register_database(app)
    register_extensions(app)
    register_i18n(app)
    register_security(app)
    register_blueprints(app)
    register_errors(app)
    register_templates(app)
    register_cli(app)
    return app


def register_logging(app: Flask) -> None:
    from .logs import install

    install()  # single-line records: user input cannot forge a log line
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_database(app: Flask) -> None:
    from . import db as dbmod

    dbmod.set_journal_mode(app.config.get("SQLITE_JOURNAL_MODE", "WAL"))
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        from pathlib import Path

        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401 - models must be imported for metadata
    from .extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)


def register_i18n(app: Flask) -> None:
    from .i18n import init_app

    init_app(app)


def register_security(app: Flask) -> None:
    from .security import init_app

    init_app(app)


def register_blueprints(app: Flask) -> None:
    from .api import register as register_api
    from .views import register

    register(app)
    register_api(app)


def register_errors(app: Flask) -> None:
    from .errors import init_app

    init_app(app)


def register_templates(app: Flask) -> None:
    from .templating import init_app

    init_app(app)


def register_cli(app: Flask) -> None:
    from .backup import backup_command, restore_command
    from .cli import tracker_cli

    tracker_cli.add_command(backup_command)
    tracker_cli.add_command(restore_command)
    app.cli.add_command(tracker_cli)
