"""Email links come from BASE_URL and leave the caller's transaction intent alone."""

from __future__ import annotations

from tracker.db import write_intent
from tracker.services.urls import external_url


def test_links_use_the_configured_base_url(app):
    app.config["BASE_URL"] = "https://tracker.example.org"
    assert external_url("dashboard.index") == "https://tracker.example.org/"


def test_building_a_link_keeps_the_write_intent(app):
    """A job that writes must still take SQLite's write lock after building a link."""
    token = write_intent.set(True)
    try:
        external_url("dashboard.index")
        assert write_intent.get() is True
    finally:
        write_intent.reset(token)
