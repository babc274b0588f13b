"""The personal calendar feed: valid RFC 5545, the right events, a revocable secret URL."""

from __future__ import annotations

import re
from datetime import timedelta

from icalendar import Calendar

from tracker import clock
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import ExternalEvent
from tracker.services import deadlines

from .conftest import T0
from .helpers import approve_all, open_deadline, to_drafting, today

WEBCAL = re.compile(r'href="webcal://localhost/feeds/([^"]+)\.ics"')


def _subscribe(auth, client, email: str | None) -> str:
    """Log in, press "Create my calendar link" on the feed page, return the token."""
    if email is not None:
        auth.login(email)
    response = auth.post("/feeds/new", {"next": "/feeds/"}, page="/feeds/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/feeds/")
    page = client.get("/feeds/").get_data(as_text=True)
    found = WEBCAL.search(page)
    assert found, page
    assert "Ανάκληση αυτού του συνδέσμου" in page
    return found.group(1)


def _events(app, token: str) -> list:
    with app.test_client() as anonymous:
        response = anonymous.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.get_data())
    assert str(cal["VERSION"]) == "2.0" and "Twinning Tracker" in str(cal["PRODID"])
    return list(cal.walk("VEVENT"))


def test_the_feed_has_the_deadlines_of_my_files_and_parses_back(
    app, client, auth, team, make_process
):
    clock.freeze(T0)
    process = make_process("umea")
    approve_all(process)
    deadline = open_deadline(process)
    token = _subscribe(auth, client, "staff@example.org")
    [event] = _events(app, token)
    assert str(event["UID"]) == deadline.uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == to_local(deadline.due_dt).date()
    assert "Διερευνητική επαφή — Ουμεό" in str(event["SUMMARY"])
    assert str(event["URL"]) == f"http://localhost/processes/{process.id}"


def test_an_extension_updates_the_same_entry(app, client, auth, team, make_process):
    clock.freeze(T0)
    process = make_process("umea")
    approve_all(process)
    deadline = open_deadline(process)
    token = _subscribe(auth, client, "staff@example.org")
    new_day = to_local(deadline.due_dt).date() + timedelta(days=14)
    deadlines.extend(deadline.id, new_day, "Partner on holiday", team["head"])
    db.session.commit()
    [event] = _events(app, token)
    assert str(event["UID"]) == deadline.uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == new_day


def test_approvers_see_the_files_they_are_asked_about_and_ceremonies(
    app, client, auth, team, make_process
):
    clock.freeze(T0)
    process = make_process("limassol")
    to_drafting(process, team["staff"])
    db.session.add(
        ExternalEvent(
            process_id=process.id,
            kind="signing",
            outcome="A",
            event_date=today() + timedelta(days=40),
            data={"place": "home"},
        )
    )
    db.session.commit()
    token = _subscribe(auth, client, "c1@example.org")  # in the drafting committee
    events = {str(e["UID"]): e for e in _events(app, token)}
    assert open_deadline(process, "drafting").uid in events
    [signing] = [e for uid, e in events.items() if uid.startswith("signing-")]
    assert "φάση Α" in str(signing["SUMMARY"]) and str(signing["LOCATION"]) == "Αμαρούσιο"
    assert signing.decoded("DTSTART") == today() + timedelta(days=40)


def test_someone_with_no_files_has_an_empty_feed(app, client, auth, team, make_process):
    clock.freeze(T0)
    approve_all(make_process("umea"))
    token = _subscribe(auth, client, "viewer@example.org")
    assert _events(app, token) == []


def test_the_link_can_be_revoked_and_replaced(app, client, auth, team, make_process):
    clock.freeze(T0)
    approve_all(make_process("umea"))
    token = _subscribe(auth, client, "staff@example.org")
    response = auth.post("/feeds/revoke", {"next": "/feeds/"}, page="/feeds/")
    assert response.status_code == 302
    with app.test_client() as anonymous:
        assert anonymous.get(f"/feeds/{token}.ics").status_code == 404
    page = client.get("/feeds/").get_data(as_text=True)
    assert "webcal://" not in page and "Δημιουργία του συνδέσμου ημερολογίου μου" in page

    fresh = _subscribe(auth, client, None)  # still logged in
    assert fresh != token
    assert len(_events(app, fresh)) == 1
    with app.test_client() as anonymous:
        assert anonymous.get(f"/feeds/{token}.ics").status_code == 404


def test_tampered_tokens_and_inactive_accounts_get_nothing(app, client, auth, team):
    token = _subscribe(auth, client, "staff@example.org")
    with app.test_client() as anonymous:
        assert anonymous.get(f"/feeds/{token[:-2]}xy.ics").status_code == 404
        assert anonymous.get("/feeds/not-a-token.ics").status_code == 404
        team["staff"].is_active = False
        db.session.commit()
        assert anonymous.get(f"/feeds/{token}.ics").status_code == 404


def test_the_buttons_need_a_login_and_a_csrf_token(app, client, auth, team):
    assert client.post("/feeds/new").status_code in (302, 400)
    auth.login("staff@example.org")
    assert client.post("/feeds/new", data={}).status_code == 400
    assert client.post("/feeds/revoke", data={}).status_code == 400


def test_the_next_address_must_stay_on_this_site(app, client, auth, team):
    auth.login("staff@example.org")
    response = auth.post("/feeds/new", {"next": "//evil.example/"}, page="/feeds/")
    assert response.headers["Location"].endswith("/feeds/")
