"""Greek by default, English one click away; times shown in Europe/Athens."""

from __future__ import annotations

from flask import Flask, session
from flask_login import current_user

from .extensions import babel


def select_locale() -> str:
    """Explicit choice in this session, then the account's language, then Greek.

    The browser's ``Accept-Language`` is not consulted: many office computers in
    Greece run an English system, and a councillor following an email link must
    not meet an English log-in page before her Greek account. English is one
    click away (the header's language button). The API has its own rule.
    """
    chosen = session.get("lang")
    if chosen in ("el", "en"):
        return str(chosen)
    if current_user and current_user.is_authenticated:
        return str(current_user.language)
    return "el"


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
