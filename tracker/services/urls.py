"""Links in emails are built from the configured base URL, never from the request's Host."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, url_for

from ..db import write_intent

#: An address a user may enter (a partner's website): http or https, a host, no spaces.
WEB_URL = re.compile(r"https?://[^\s/?#\\]+[^\s\\]*", re.IGNORECASE)


def is_web_url(text: str) -> bool:
    """Only ``http://`` and ``https://`` addresses: never ``javascript:``, ``data:``, ``//host``."""
    return WEB_URL.fullmatch(text) is not None


def external_url(endpoint: str, **values: Any) -> str:
    """A link for an email; keeps the caller's SQLite write intent (the fake request's
    teardown would otherwise reset it for the rest of the thread)."""
    base = current_app.config["BASE_URL"].rstrip("/") + "/"
    intent = write_intent.get()
    try:
        with current_app.test_request_context("/", base_url=base):
            return url_for(endpoint, _external=True, **values)
    finally:
        write_intent.set(intent)
