"""The request edge: run one service call, commit once, or roll back and explain."""

from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar
from urllib.parse import unquote, urlsplit

from flask import flash
from flask_babel import get_locale
from flask_wtf import FlaskForm

from ..db import write_intent
from ..extensions import db
from ..services.errors import ServiceError

log = logging.getLogger("tracker.web")
T = TypeVar("T")


def lang() -> str:
    locale = get_locale()
    return locale.language if locale and locale.language in ("el", "en") else "el"


def run(call: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T | None, ServiceError | None]:
    """Call a service and commit; on a refusal roll back so nothing is half-saved.

    Once the change is committed or refused, what is left of the request only
    reads (a redirect, or the form again with its messages): on SQLite those
    reads no longer take the write lock, so other writers are not kept waiting.
    """
    try:
        result = call(*args, **kwargs)
        db.session.commit()
        return result, None
    except ServiceError as exc:
        db.session.rollback()
        return None, exc
    finally:
        write_intent.set(False)


def show_error(exc: ServiceError, form: FlaskForm | None = None) -> None:
    """Put field reasons next to their inputs and the rest in a flash message."""
    language = lang()
    for name, reasons in exc.fields.items():
        field = getattr(form, name, None) if form is not None else None
        messages = [r.text(language) for r in reasons]
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + messages
        else:
            for message in messages:
                flash(message, "error")
    for reason in exc.reasons:
        flash(reason.text(language), "error")


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: no scheme, no host, no backslash tricks.

    The checks run on the text as given and after percent-decoding it (up to
    three times), so ``/%2F%2Fevil.example`` and ``/%5Cevil`` are refused too.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(c) < 32 or ord(c) == 127 or c.isspace() for c in target):
        return None
    decoded = [target]
    for _ in range(3):
        decoded.append(unquote(decoded[-1]))
    for text in decoded:
        if not text.startswith("/") or text.startswith("//") or "\\" in text:
            return None
        parts = urlsplit(text.strip())
        if parts.scheme or parts.netloc:
            return None
    return target
