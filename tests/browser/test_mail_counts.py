"""Administration → Email: the four counts are one compact row at 1280 px, not four
full-width cards that fill the screen; on a phone they go two by two."""

from __future__ import annotations

import os

from tests.browser.conftest import PHONE, SCREENSHOTS

CARDS = """() => Array.from(document.querySelectorAll('.mail-counts > li'), li => {
  const r = li.getBoundingClientRect();
  return [Math.round(r.top), Math.round(r.left), Math.round(r.width), Math.round(r.height)];
})"""


def test_the_counts_are_one_compact_row(people, team):
    admin = people()
    admin.log_in("admin@example.org")
    page = admin.visit("/admin/mail")
    cards = page.evaluate(CARDS)
    assert len(cards) == 4
    assert len({top for top, _left, _width, _height in cards}) == 1, cards  # one row
    assert all(height < 120 and width < 400 for _t, _l, width, height in cards), cards
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=str(SCREENSHOTS / "mail-counts.tmp.png"))
    phone = people(viewport=PHONE)
    phone.log_in("admin@example.org")
    cards = phone.visit("/admin/mail").evaluate(CARDS)
    assert len({top for top, _left, _width, _height in cards}) == 2, cards  # two by two
    if os.environ.get("SCREENSHOTS") == "1":
        phone.page.screenshot(path=str(SCREENSHOTS / "mail-counts-phone.tmp.png"))
