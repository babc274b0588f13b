"""Scenario 9, a new municipal term: the review page lists every agreement in force and the
files nothing has happened on for two years; the term's prompt email links to the same lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask

from tests.views.screens import Browser, drive, strip_tags
from tracker import clock
from tracker.models import Process, User


def sections(page: str) -> tuple[str, str]:
    """The text of the 'in force' section and of the 'dormant' section."""
    text = strip_tags(page)
    start = text.index("Συμφωνίες σε ισχύ")
    middle = text.index("Αδρανείς φάκελοι")
    return text[start:middle], text[middle:]


def test_the_term_review_lists_agreements_in_force_and_dormant_files(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    clock.freeze(datetime(2023, 3, 1, 9, 0, tzinfo=UTC))
    make_process("faenza")  # opened, then nothing for years: dormant
    clock.freeze(datetime(2025, 10, 1, 9, 0, tzinfo=UTC))
    drive(make_process("umea"), team, "active")  # signed: in force
    make_process("vilnius")  # recent and not yet in force: in neither list
    clock.freeze(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))

    head = Browser(app, "head@example.org")
    page = head.text("/reports/review")
    assert "Η τρέχουσα δημοτική περίοδος άρχισε στις 1 Ιαν 2024" in strip_tags(page)
    in_force, dormant = sections(page)
    assert "Ουμεό" in in_force and "(1)" in in_force
    assert "Φαέντσα" not in in_force and "Βίλνιους" not in in_force
    assert "Φαέντσα" in dormant and "(1)" in dormant
    assert "καμία καταγραφή από 1 Μαρ 2023" in dormant
    assert "Ουμεό" not in dormant and "Βίλνιους" not in dormant
    # Reachable from the reports page, and in English one click away.
    assert 'href="/reports/review"' in head.text("/reports/")
    head.language("en")
    english = strip_tags(head.text("/reports/review"))
    assert "Agreements in force (1)" in english and "Dormant files (1)" in english


def test_the_review_is_for_those_who_see_the_reports(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    make_process("umea")
    for who in ("viewer@example.org", "c1@example.org"):
        assert Browser(app, who).get("/reports/review").status_code == 403
    for who in ("staff@example.org", "mayor@example.org"):
        assert Browser(app, who).get("/reports/review").status_code == 200
