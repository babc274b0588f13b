"""Start-up checks that keep a production server from running with demo settings."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from .extensions import db
from .models import User


def check_production_safety(app: Flask) -> None:
    """Refuse to serve in production while demo accounts exist (secrets are checked in config)."""
    if app.config.get("DEMO_ALLOWED"):
        return
    with app.app_context():
        if not sa.inspect(db.engine).has_table(User.__tablename__):
            return
        demo = db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.is_demo.is_(True))
        )
        if demo:
            raise RuntimeError(
                f"{demo} demo account(s) present: production refuses to start. "
                "Remove them (or use a fresh database with `flask tracker seed --reference`)."
            )
