"""Records that cannot be true are refused next to the field, and nothing is saved.

From the acceptance walk of scenario 12: a vote or a letter dated after today, and an
ΑΔΑ already recorded for another decision (one ΑΔΑ names one Diavgeia posting).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.views.screens import Browser, council_data, drive, fresh
from tracker import clock
from tracker.extensions import db
from tracker.models import CouncilDecision, ExternalEvent


@pytest.fixture
def two_at_council(app, team, make_process):
    """Vilnius and Limassol, both waiting for the council, on Monday 23 November 2026."""
    clock.freeze(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    return (
        drive(make_process("vilnius"), team, "council"),
        drive(make_process("limassol"), team, "council"),
    )


def decisions() -> int:
    db.session.expire_all()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(CouncilDecision)) or 0)


def test_a_vote_from_a_later_day_is_refused(app, team, two_at_council):
    vilnius, _ = two_at_council
    staff = Browser(app, "staff@example.org")
    typed = council_data(fresh(vilnius.id).version, session_date="2027-03-01", posted_on="")
    reply = staff.post(f"/processes/{vilnius.id}/council", typed)
    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert re.search(r'id="session_date-err">\s*<li>Η ημερομηνία δεν μπορεί να είναι μετά', page)
    assert "23 Νοε 2026" in page and 'value="2027-03-01"' in page  # today named, input kept
    posted_late = council_data(fresh(vilnius.id).version, posted_on="2026-11-30")
    reply = staff.post(f"/processes/{vilnius.id}/council", posted_late)
    assert reply.status_code == 422
    assert 'id="posted_on-err"' in reply.get_data(as_text=True)
    assert decisions() == 0


def test_an_ada_names_one_decision(app, team, two_at_council):
    vilnius, limassol = two_at_council
    staff = Browser(app, "staff@example.org")
    first = council_data(fresh(vilnius.id).version, ada="6ΞΑΖ46ΜΤΛΗ-ΡΣΚ")
    assert staff.post(f"/processes/{vilnius.id}/council", first).status_code == 302
    again = council_data(fresh(limassol.id).version, ada="6ξαζ46μτλη-ρσκ", decision_number="9/2026")
    reply = staff.post(f"/processes/{limassol.id}/council", again)
    assert reply.status_code == 422
    assert "Αυτός ο ΑΔΑ είναι ήδη καταχωρισμένος στην απόφαση 214/2026." in reply.get_data(
        as_text=True
    )
    assert decisions() == 1

    # Recorded without its ΑΔΑ, then given the taken one later, or corrected into it.
    bare = council_data(fresh(limassol.id).version, ada="", decision_number="9/2026")
    assert staff.post(f"/processes/{limassol.id}/council", bare).status_code == 302
    second = db.session.scalars(
        sa.select(CouncilDecision).where(CouncilDecision.process_id == limassol.id)
    ).one()
    posting = f"/council-decisions/{second.id}/posting"
    taken = {"version": fresh(limassol.id).version, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"}
    assert staff.post(posting, taken).status_code == 422
    assert staff.post(posting, {**taken, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΛ"}).status_code == 302
    fix = {"version": fresh(limassol.id).version, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ", "reason": "typo"}
    reply = staff.post(f"/council-decisions/{second.id}/ada", fix)
    assert reply.status_code == 422 and "214/2026" in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CouncilDecision, second.id).ada == "6ΞΑΖ46ΜΤΛΗ-ΡΣΛ"


def test_a_letter_from_a_later_day_is_refused(app, team, make_process):
    clock.freeze(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "contact")
    staff = Browser(app, "staff@example.org")
    typed = {"version": fresh(process.id).version, "outcome": "positive"}
    reply = staff.post(
        f"/processes/{process.id}/record/partner_reply", {**typed, "event_date": "2026-11-24"}
    )
    assert reply.status_code == 422
    assert 'id="event_date-err"' in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExternalEvent)) == 0
    today = {**typed, "event_date": "2026-11-23"}
    assert staff.post(f"/processes/{process.id}/record/partner_reply", today).status_code == 302
