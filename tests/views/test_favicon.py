"""Every page names its icon, so browsers stop asking for a /favicon.ico that is not there."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_pages_link_an_icon_that_is_served(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
    assert found, "no icon link in the page head"
    icon = client.get(found.group(1))
    try:
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
        assert b"<svg" in icon.data
    finally:
        icon.close()
