"""A whole twinning from idea to active, through the web forms only.

Every step is a page someone in the office or the council really uses: staff
open and record, the head, the deputy mayor, three councillors, the council
president and the mayor approve from their inboxes. Only the calendar moves
(the 15-day appeal window must pass).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.views.screens import (
    Browser,
    active,
    authority,
    council_data,
    fresh,
    pending_request,
    strip_tags,
    today,
)
from tracker import clock
from tracker.domain.calendar import to_local
from tracker.domain.text import day_text, pick
from tracker.extensions import db
from tracker.models import Deadline


def appeal_deadline(process_id: int) -> Deadline:
    return db.session.scalars(
        sa.select(Deadline).where(Deadline.process_id == process_id, Deadline.kind == "appeal")
    ).one()


def approve(browser: Browser, process_id: int, user_id: int) -> None:
    """Open the inbox, find this file's request and approve it right there."""
    request = pending_request(process_id, user_id)
    inbox = browser.text("/approvals/")
    assert f"/approvals/{request.id}" in inbox
    response = browser.post(
        f"/approvals/{request.id}", {"decision": "approved", "comment": "", "from": "inbox"}
    )
    assert response.status_code == 302, strip_tags(response.get_data(as_text=True))[:600]
    assert response.headers["Location"].endswith("/approvals/")


def record(browser: Browser, process_id: int, kind: str, outcome: str) -> None:
    """Open the record form, choose the outcome, keep what the page carries, send it."""
    response = browser.submit(
        f"/processes/{process_id}/record/{kind}",
        {"outcome": outcome, "event_date": today().isoformat(), "reference": "Φ.110/2026"},
    )
    assert response.status_code == 302, strip_tags(response.get_data(as_text=True))[:600]


def test_idea_to_active_in_the_browser(app, team):
    clock.freeze(datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    staff = Browser(app, "staff@example.org")
    head = Browser(app, "head@example.org")
    deputy = Browser(app, "deputy@example.org")
    mayor = Browser(app, "mayor@example.org")
    president = Browser(app, "president@example.org")
    c1 = Browser(app, "c1@example.org")
    c2 = Browser(app, "c2@example.org")

    # Staff open the file from the "New file" page.
    assert "Ουμεό" in staff.text("/processes/new")
    response = staff.post(
        "/processes/new",
        {"kind": "twinning", "partner": authority("umea").id, "source": "Δίκτυο Q-Cities"},
    )
    assert response.status_code == 302
    pid = int(re.search(r"/processes/(\d+)", response.headers["Location"]).group(1))
    assert active(pid) == {"idea"}

    # The head of office approves opening contact from her inbox.
    approve(head, pid, team["head"].id)
    assert active(pid) == {"exploratory_contact"}

    # The partner answers; staff record it; the mayor signs the letter of intent.
    record(staff, pid, "partner_reply", "positive")
    assert active(pid) == {"letter_of_intent"}
    approve(mayor, pid, team["mayor"].id)
    record(staff, pid, "partner_loi_reply", "positive")
    assert active(pid) == {"drafting"}

    # Drafting: head, then deputy mayor, then the council's committee (majority).
    approve(head, pid, team["head"].id)
    approve(deputy, pid, team["deputy"].id)
    approve(c1, pid, team["c1"].id)
    approve(c2, pid, team["c2"].id)
    assert active(pid) == {"council_agenda"}

    # The council president puts it on the agenda.
    approve(president, pid, team["president"].id)
    assert active(pid) == {"council_decision"}

    # Staff record the council's vote; the appeal window starts from the posting date.
    data = council_data(0, session_date=today().isoformat(), posted_on=today().isoformat())
    del data["version"]  # the form carries the version the page was read at
    response = staff.submit(f"/processes/{pid}/council", data)
    assert response.status_code == 302, strip_tags(response.get_data(as_text=True))[:800]
    assert active(pid) == {"ministry_review", "partner_approval"}

    # The final text is agreed; the page says signing waits for the appeal window, until when.
    response = staff.post(f"/processes/{pid}/flag", {"version": fresh(pid).version, "value": "1"})
    assert response.status_code == 302
    closes = pick(day_text(to_local(appeal_deadline(pid).due_dt).date()), "el")
    assert f"ανοιχτή έως {closes}" in strip_tags(staff.text(f"/processes/{pid}"))

    # Weeks later (staff log in again): the ministry consents, then the partner's council.
    clock.shift(timedelta(days=20))
    staff.login("staff@example.org")
    record(staff, pid, "ministry_decision", "consent")
    assert active(pid) == {"ministry_consented", "partner_approval"}
    record(staff, pid, "partner_decision", "approved")
    assert active(pid) == {"ready_to_sign"}

    # Phase A at home.
    response = staff.post(
        f"/processes/{pid}/transition",
        {
            "version": fresh(pid).version,
            "transition": "sign_phase_a",
            "date": today().isoformat(),
            "place": "home",
        },
    )
    assert response.status_code == 302
    assert active(pid) == {"signed_phase_a"}

    # Phase B in Umeå needs the trip's own council decision first.
    sign_b = {
        "transition": "sign_phase_b",
        "date": (today() + timedelta(days=30)).isoformat(),
        "place": "partner",
    }
    refused = staff.post(f"/processes/{pid}/transition", {**sign_b, "version": fresh(pid).version})
    assert refused.status_code == 409
    assert "Η μετάβαση στο εξωτερικό" in refused.get_data(as_text=True)
    assert active(pid) == {"signed_phase_a"}
    travel = council_data(
        0,
        purpose="travel",
        phase="B",
        decision_number="250/2026",
        ada="",
        posted_on="",
        session_date=today().isoformat(),
    )
    del travel["version"]
    assert (
        staff.submit(f"/processes/{pid}/council?purpose=travel&phase=B", travel).status_code == 302
    )
    response = staff.post(f"/processes/{pid}/transition", {**sign_b, "version": fresh(pid).version})
    assert response.status_code == 302
    assert active(pid) == {"active"}
    assert fresh(pid).signed_on == today() + timedelta(days=30)

    # The whole story is in the file's history, readable.
    history = strip_tags(staff.text(f"/processes/{pid}"))
    for label in ("Δημιουργία φακέλου", "Έγκριση", "Απόφαση Δημοτικού Συμβουλίου", "Μετάβαση"):
        assert label in history
