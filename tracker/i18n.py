"""Greek by default, English one click away; times shown in Europe/Athens."""

from __future__ import annotations

from flask import Flask, request, session
from flask_login import current_user

from .extensions import babel


def select_locale() -> str:
    """Explicit choice in this session, then the account's language, then Greek."""
    chosen = session.get("lang")
    if chosen in ("el", "en"):
        return str(chosen)
    if current_user and current_user.is_authenticated:
        return str(current_user.language)
    best = request.accept_languages.best_match(["el", "en"]) if request else None
    return best or "el"


def select_timezone() -> str:
    from flask import current_app

    return str(current_app.config["TIMEZONE"])


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories="translations",
    )
