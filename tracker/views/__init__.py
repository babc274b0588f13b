"""Thin blueprints: load or 404, permission or 403, validate, one service call, commit."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from . import account, admin, approvals, auth, dashboard, feeds, processes, tokens
    from .screens import BLUEPRINTS

    for module in (auth, dashboard, processes, approvals, account, admin, tokens, feeds):
        app.register_blueprint(module.bp)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
