"""Messages in the recipient's language, with Athens times and links to the right page."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from tracker import clock, jobs
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import ApprovalRequest
from tracker.services import approvals, deadlines

from .conftest import T0
from .helpers import approve_all, open_deadline, outbox, to_drafting


def _committee(process):
    return list(
        db.session.query(ApprovalRequest).filter_by(
            process_id=process.id, state="drafting", group_index=2, status="pending"
        )
    )


def _head_request(process):
    [request] = db.session.query(ApprovalRequest).filter_by(
        process_id=process.id, state="drafting", status="pending", group_index=0
    )
    return request


def test_councillors_get_a_link_straight_to_their_decision_with_the_deadline(
    app, team, make_process, make_user, smtp
):
    clock.freeze(T0)
    make_user("council_member", email="english@example.org", language="en")
    process = make_process("umea")
    to_drafting(process, team["staff"])
    for request in db.session.query(ApprovalRequest).filter_by(
        process_id=process.id, state="drafting", status="pending"
    ):
        if request.group_index < 2:
            approvals.decide(request.id, request.approver, "approved")
            db.session.commit()
    deadline = open_deadline(process, "drafting")
    jobs.send_outbox()
    requests = {r.approver.email: r for r in _committee(process)}
    greek = next(m for m in smtp.keyed("approval:") if m.rcpt == ["c1@example.org"])
    english = next(m for m in smtp.keyed("approval:") if m.rcpt == ["english@example.org"])

    assert greek.subject == "Έγκριση: Σύνταξη σχεδίου πρωτοκόλλου — Ουμεό"
    assert f"http://localhost/approvals/{requests['c1@example.org'].id}" in greek.text()
    assert "23:59" in greek.text() and "Μαρτίου 2027" in greek.text()  # Athens time
    assert english.subject == "Approval: Drafting the protocol — Umeå Municipality"
    assert "log in" in english.text() and "March 2027" in english.text()
    # The file's default title in the reader's language, never Greek inside English.
    assert "in “Twinning — Umeå Municipality”" in english.text()
    assert "«Αδελφοποίηση — Ουμεό»" in greek.text()
    assert not any("\u0370" <= ch <= "\u03ff" for ch in english.text())
    event = Calendar.from_ical(greek.attachment()).walk("VEVENT")[0]
    assert str(event["UID"]) == deadline.uid


def test_a_title_typed_by_staff_stays_as_typed_in_every_language(app, team, make_user):
    from tests.conftest import authority
    from tracker.services import mailtext, processes

    process = processes.create_process(
        "twinning", authority("umea"), team["staff"], title="Ουμεό — πολιτισμός"
    )
    default = processes.create_process("twinning", authority("vilnius"), team["staff"])
    assert mailtext.title_of(process, "en") == "Ουμεό — πολιτισμός"
    assert mailtext.title_of(default, "el") == default.title
    assert mailtext.title_of(default, "en") == f"Twinning — {default.partner.name('en')}"


def test_the_drafter_learns_why_it_came_back(app, team, make_process, smtp):
    clock.freeze(T0)
    process = make_process("umea")
    to_drafting(process, team["staff"])
    head_request = _head_request(process)
    approvals.decide(head_request.id, team["head"], "sent_back", "Λείπει το σχέδιο δράσης")
    db.session.commit()
    jobs.send_outbox()
    [message] = smtp.keyed("sentback:")
    assert message.rcpt == ["staff@example.org"]
    assert "Λείπει το σχέδιο δράσης" in message.text()
    assert "νέος γύρος" in message.text()
    html = message.message.get_body(("html",)).get_content()
    assert "<blockquote>Λείπει το σχέδιο δράσης</blockquote>" in html


def test_user_text_is_escaped_in_the_html_part(app, team, make_process, smtp):
    clock.freeze(T0)
    process = make_process("umea")
    to_drafting(process, team["staff"])
    head_request = _head_request(process)
    approvals.decide(head_request.id, team["head"], "rejected", "<script>alert(1)</script>")
    db.session.commit()
    [row] = outbox("rejected:")
    assert "<script>" not in row.html_body and "&lt;script&gt;" in row.html_body
    assert "<script>alert(1)</script>" in row.text_body


def test_a_moved_deadline_reads_line_by_line_and_says_it_changed(app, team, make_process, smtp):
    """Each sentence on its own line (``trim_blocks`` once ate the newline after an
    ``endif``), and a subject that says the deadline changed, not that there is a new one."""
    clock.freeze(T0)
    process = make_process("limassol")
    approve_all(process)
    deadline = open_deadline(process)
    due = to_local(deadline.due_dt).date()
    staff = team["staff"]
    deadlines.extend(deadline.id, due + timedelta(days=14), "Ο εταίρος ζήτησε χρόνο.", staff)
    db.session.commit()
    staff.language = "en"
    db.session.commit()
    deadlines.extend(deadline.id, due + timedelta(days=7), "The ceremony is sooner.", staff)
    db.session.commit()
    jobs.send_outbox()
    later, earlier = smtp.keyed("moved-deadline:")

    assert later.subject == "Αλλαγή προθεσμίας: Διερευνητική επαφή — Λεμεσός"
    assert later.text().splitlines()[:6] == [
        f"Ο/Η {staff.name} παρέτεινε την προθεσμία «Διερευνητική επαφή» "
        "του φακέλου «Αδελφοποίηση — Λεμεσός».",
        "Πριν: Τετάρτη 31 Μαρτίου 2027, 23:59",
        "Τώρα: Τετάρτη 14 Απριλίου 2027, 23:59",
        "Αιτιολογία: Ο εταίρος ζήτησε χρόνο.",
        "",
        "Η συνημμένη καταχώριση ημερολογίου αντικαθιστά την προηγούμενη.",
    ]
    assert earlier.subject == "Deadline moved earlier: Exploratory contact — Limassol Municipality"
    lines = earlier.text().splitlines()
    assert lines[0].endswith("of “Twinning — Limassol Municipality” earlier.")
    assert lines[1] == "Before: Wednesday 14 April 2027, 23:59"
    assert lines[2].startswith("Now: ") and lines[3] == "Reason: The ceremony is sooner."
