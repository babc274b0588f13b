"""Partners, the calendar and the council reports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.views.screens import Browser, active, authority, drive, fresh, strip_tags
from tracker import clock
from tracker.extensions import db
from tracker.models import AuditLog, Authority
from tracker.views.reports import safe_cell

# --------------------------------------------------------------------------- partners


def test_partner_list_and_profile_with_agreements(app, team, make_process):
    process = make_process("umea")
    browser = Browser(app, "viewer@example.org")
    listing = strip_tags(browser.text("/partners/").split("<tbody>")[1].split("</tbody>")[0])
    assert "Ουμεό" in listing and "Σουηδία" in listing
    assert "Δήμος Αμαρουσίου" not in listing  # the home municipality is not a partner
    umea = authority("umea")
    profile = browser.text(f"/partners/{umea.id}")
    assert "Umeå kommun" in profile and "Europe/Stockholm" in profile
    assert f"/processes/{process.id}" in profile
    assert "/edit" not in profile  # viewers do not edit
    nea = strip_tags(browser.text(f"/partners/{authority('nea_ionia').id}"))
    assert "Βόλος" in nea or "Volos" in nea  # merged in 2011: the successor is named


def test_staff_edit_details_and_bad_input_comes_back(app, team):
    umea = authority("umea")
    staff = Browser(app, "staff@example.org")
    form = {
        "name_el": "Ουμεό",
        "name_en": "Umeå Municipality",
        "name_native": "Umeå kommun",
        "country": "SE",
        "timezone": "Europe/Stockholm",
        "language": "sv",
        "population": "130000",
        "website": "javascript:alert(1)",
        "notes": "Q-Cities",
    }
    bad = staff.post(f"/partners/{umea.id}/edit", {**form, "timezone": "Mars/Base"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="website-err"' in page and 'id="timezone-err"' in page
    assert 'value="Mars/Base"' in page
    db.session.expire_all()
    assert authority("umea").timezone == "Europe/Stockholm"
    ok = staff.post(f"/partners/{umea.id}/edit", {**form, "website": "https://www.umea.se"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert authority("umea").website == "https://www.umea.se"
    assert authority("umea").population == 130000
    change = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "partner.update")
    ).one()
    assert change.data["changes"]["website"] == ["", "https://www.umea.se"]
    profile = staff.text(f"/partners/{umea.id}")
    assert "130.000" in profile  # Greek digit grouping


def test_scenario_7_successor_sends_live_agreements_to_review(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("nea_ionia"), team, "active")
    assert active(process.id) == {"active"}
    nea, volos = authority("nea_ionia"), authority("volos")
    staff = Browser(app, "staff@example.org")
    refused = staff.post(f"/partners/{nea.id}/successor", {"successor": nea.id})
    assert refused.status_code == 422
    response = staff.post(
        f"/partners/{nea.id}/successor", {"successor": volos.id, "reorganised_on": "2026-03-01"}
    )
    assert response.status_code == 302
    assert active(process.id) == {"under_review"}
    db.session.expire_all()
    assert db.session.get(Authority, nea.id).successor_id == volos.id
    history = strip_tags(staff.text(f"/processes/{process.id}"))
    assert "Ενεργή → Υπό επανεξέταση" in history
    assert "Δημιουργία φακέλου" in history  # the history is intact
    assert fresh(process.id).is_closed is False


# --------------------------------------------------------------------------- calendar


def test_calendar_month_with_deadlines_and_ceremonies(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "active")  # signed jointly on 18 March
    browser = Browser(app, "viewer@example.org")
    page = browser.text("/calendar/?month=2026-03")
    assert '<table class="calendar">' in page and '<th scope="col">' in page
    assert "Μάρτιος 2026" in page
    assert "Κοινή τελετή υπογραφής" in page
    assert f"/processes/{process.id}" in page
    assert 'href="/calendar/?month=2026-02"' in page and 'href="/calendar/?month=2026-04"' in page
    assert 'aria-current="date"' in page  # today, 2 March
    april = browser.text("/calendar/?month=2026-04")
    assert "Ενεργή" in april or "Απρίλιος" in april
    # Nonsense months fall back to this month instead of failing.
    assert "Μάρτιος 2026" in browser.text("/calendar/?month=2026-13")
    browser.language("en")
    assert "March 2026" in browser.text("/calendar/?month=2026-03")


def test_calendar_shows_deadlines_due_that_month(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    drive(make_process("vilnius"), team, "contact")  # exploratory contact: 30 days → 1 April
    page = strip_tags(Browser(app, "staff@example.org").text("/calendar/?month=2026-04"))
    assert "Διερευνητική επαφή — Βίλνιους" in page


# --------------------------------------------------------------------------- reports


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("  =1", "'  =1"),
        ("Ουμεό", "Ουμεό"),
        (42, "42"),
        (None, ""),
    ],
)
def test_csv_cells_are_formula_safe(value, expected):
    assert safe_cell(value) == expected


def test_status_report_csv_and_printable(app, team, make_process):
    make_process("umea")
    evil = authority("vilnius")
    evil.name_el = "=cmd|' /C calc'!A0"
    db.session.commit()
    make_process("vilnius")
    head = Browser(app, "head@example.org")
    response = head.get("/reports/status.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "Φάκελος" and len(rows) == 3
    partners = [r[3] for r in rows[1:]]
    assert "Ουμεό" in partners and "'=cmd|' /C calc'!A0" in partners
    printable = head.text("/reports/status")
    assert "data-print" in printable and "js/print.js" in printable
    assert "Ουμεό" in printable


def test_file_history_for_the_minutes(app, team, make_process):
    process = drive(make_process("umea"), team, "letter")
    head = Browser(app, "head@example.org")
    page = strip_tags(head.text(f"/reports/processes/{process.id}/history"))
    assert page.index("Δημιουργία φακέλου") < page.index("Έγκριση")  # oldest first
    body = head.get(f"/reports/processes/{process.id}/history.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["Πότε", "Ποιος/α", "Εκ μέρους", "Τι", "Στοιχεία"]
    assert any(r[3] == "Μετάβαση" and "Ιδέα → Διερευνητική επαφή" in r[4] for r in rows[1:])
    assert not any(r.count("127.0.0.1") for r in rows)  # no addresses in the minutes


def test_reports_are_for_the_office_and_the_mayors(app, team, make_process):
    process = make_process("umea")
    for who in ("viewer@example.org", "c1@example.org", "president@example.org"):
        browser = Browser(app, who)
        for path in (
            "/reports/",
            "/reports/status.csv",
            f"/reports/processes/{process.id}/history",
        ):
            assert browser.get(path).status_code == 403
    assert Browser(app, "mayor@example.org").get("/reports/status.csv").status_code == 200


# --------------------------------------------------------------------------- every screen


SCREENS = [
    "/",
    "/?kind=twinning&overdue=y",
    "/processes/{pid}",
    "/partners/",
    "/partners/{partner}",
    "/calendar/",
]


@pytest.mark.parametrize("lang", ["el", "en"])
@pytest.mark.parametrize("who", ["staff", "head", "c1", "mayor", "viewer", "admin"])
def test_every_screen_renders_for_every_role(app, team, make_process, lang, who):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "parallel")
    browser = Browser(app, f"{who}@example.org")
    browser.language(lang)
    for path in SCREENS:
        url = path.format(pid=process.id, partner=authority("umea").id)
        page = browser.text(url)
        assert f'<html lang="{lang}">' in page
        assert " style=" not in page
        assert "<script>" not in page


def test_dates_and_numbers_follow_the_language(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "parallel")
    staff = Browser(app, "staff@example.org")
    greek = strip_tags(staff.text(f"/processes/{process.id}"))
    assert "2 Μαρ 2026" in greek
    staff.language("en")
    english = strip_tags(staff.text(f"/processes/{process.id}"))
    assert "2 Mar 2026" in english
    assert "27 of 41 present; 24 for, 1 against, 2 abstaining" in english


def test_status_report_is_alphabetical_in_the_readers_language(app, team, make_process):
    """Memoranda no longer come before twinnings unannounced: one list, by partner, accents
    and case ignored («Ά» sorts with «Α»), in the language of the page."""
    from tracker.services.queries import sort_key

    assert sorted(["Όλυμπος", "Ουμεό", "άργος", "Βόλος"], key=sort_key) == [
        "άργος",
        "Βόλος",
        "Όλυμπος",
        "Ουμεό",
    ]
    make_process("umea")
    make_process("chaoyang", kind="memorandum")
    make_process("vilnius")
    head = Browser(app, "head@example.org")

    def order(text: str, names: list[str]) -> list[str]:
        return sorted(names, key=text.index)

    greek = strip_tags(head.text("/reports/status"))
    assert order(greek, ["Βίλνιους", "Ουμεό", "Τσαογιάνγκ"]) == ["Βίλνιους", "Ουμεό", "Τσαογιάνγκ"]
    head.language("en")
    english = strip_tags(head.text("/reports/status"))
    assert order(english, ["Chaoyang", "Umeå", "Vilnius"]) == ["Chaoyang", "Umeå", "Vilnius"]
