"""Addresses typed by users (a partner's website) are http or https, and render only so."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import authority
from tests.views.screens import Browser
from tracker.extensions import db
from tracker.models import Authority, User

FORM = {
    "name_el": "Ουμεό",
    "name_en": "Umeå",
    "name_native": "Umeå",
    "country": "SE",
    "timezone": "Europe/Stockholm",
    "language": "sv",
    "population": "130000",
    "notes": "",
}
HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\nscript:alert(1)",
    "javascript://%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://files.example.org/",
    "//evil.example/",
    "\\\\evil.example\\share",
    "http:evil.example",
    "https:/evil.example",
    "https://",
    "mailto:mayor@example.org",
    "https://evil.example/ onmouseover=alert(1)",
]


@pytest.mark.parametrize("website", HOSTILE)
def test_only_http_and_https_addresses_are_saved(
    app: Flask, team: dict[str, User], website: str
) -> None:
    umea = authority("umea")
    before = umea.website
    response = Browser(app, "staff@example.org").post(
        f"/partners/{umea.id}/edit", {**FORM, "website": website}
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Authority, umea.id).website == before


@pytest.mark.parametrize("website", ["https://www.umea.se/", "http://umea.se", "HTTPS://UMEA.SE"])
def test_web_addresses_are_saved_and_linked(
    app: Flask, team: dict[str, User], website: str
) -> None:
    umea = authority("umea")
    browser = Browser(app, "staff@example.org")
    saved = browser.post(f"/partners/{umea.id}/edit", {**FORM, "website": website})
    assert saved.status_code == 302
    page = browser.text(f"/partners/{umea.id}")
    assert f'href="{website.strip()}"' in page


@pytest.mark.parametrize("stored", ["javascript:alert(1)", "data:text/html,x", "//evil.example"])
def test_an_address_stored_by_other_means_is_never_a_link(
    app: Flask, make_user: Callable[..., User], stored: str
) -> None:
    """Rows written before the rule (or by SQL) still never render a dangerous href."""
    make_user("staff", email="staff@example.org")
    umea = authority("umea")
    db.session.execute(sa.update(Authority).where(Authority.id == umea.id).values(website=stored))
    db.session.commit()
    page = Browser(app, "staff@example.org").text(f"/partners/{umea.id}")
    assert f'href="{stored}' not in page
    assert "javascript:" not in page.lower() or 'href="javascript' not in page.lower()
