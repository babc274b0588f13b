"""Links in emails are built from the configured base URL, never from the request's Host."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["BASE_URL"].rstrip("/") + "/"
    with current_app.test_request_context("/", base_url=base):
        return url_for(endpoint, _external=True, **values)
