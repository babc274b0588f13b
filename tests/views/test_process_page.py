"""The file's page: its diagram, what it waits for, its actions and their refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.views.screens import (
    Browser,
    active,
    authority,
    drive,
    fresh,
    history_count,
    strip_tags,
    today,
)
from tracker import clock
from tracker.extensions import db
from tracker.models import Comment, Process


def test_page_draws_the_workflow_and_says_what_is_missing(app, team, make_process):
    process = make_process("umea")
    page = Browser(app, "staff@example.org").text(f"/processes/{process.id}")
    svg = re.search(r'<svg class="workflow".*?</svg>', page, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg
    assert svg.count('class="node ') == len(process.definition.states)
    assert re.search(r'class="node node-current">\s*<rect x="16"', svg)  # "idea" is current
    assert svg.count("node-future") == len(process.definition.states) - 1
    assert "<path" in svg and "marker-end" in svg
    assert " style=" not in page  # the CSP forbids inline styles: classes only
    text = strip_tags(page)
    assert "Εκκρεμεί έγκριση για «Ιδέα»" in text and team["head"].name in text
    assert "Πριν από την υπογραφή" in text or "Before signing" in text


def test_parallel_branches_and_done_steps_in_the_diagram(app, team, make_process):
    process = drive(make_process("umea"), team, "parallel")
    page = Browser(app, "staff@example.org").text(f"/processes/{process.id}")
    svg = re.search(r'<svg class="workflow".*?</svg>', page, re.S).group(0)
    assert svg.count("node node-current") == 2  # ministry review and partner's decision
    assert svg.count("node node-done") == 6
    assert "edge edge-forward taken" in svg


def test_blocked_step_when_the_council_said_no(app, team, make_process):
    from tracker.services import records

    process = drive(make_process("vilnius"), team, "council")
    records.record_council_decision(
        process.id,
        records.CouncilInput("approval", today(), "9/2026", 41, 27, 10, 15, 2),
        team["staff"],
    )
    db.session.commit()
    page = Browser(app, "staff@example.org").text(f"/processes/{process.id}")
    assert "node node-blocked" in page
    assert "δεν είναι «εγκρίθηκε»" in strip_tags(page)
    assert 'value="back_to_drafting"' in page


def test_stale_page_is_refused_and_nothing_changes(app, team, make_process):
    process = drive(make_process("umea"), team, "outside")
    clock.shift(timedelta(days=16))
    staff = Browser(app, "staff@example.org")
    seen = fresh(process.id).version
    from tracker.services import comments

    comments.add(process.id, "κάποιος άλλος έγραψε κάτι", team["head"])
    from tracker.services import processes

    processes.set_flag(process.id, "final_text_agreed", True, team["head"])  # moves the file on
    db.session.commit()
    before, events = active(process.id), history_count(process.id)
    response = staff.post(
        f"/processes/{process.id}/transition",
        {
            "version": seen,
            "transition": "sign_jointly",
            "date": today().isoformat(),
            "place": "home",
        },
    )
    assert response.status_code == 409
    assert "άλλαξε στο μεταξύ" in response.get_data(as_text=True)
    assert active(process.id) == before == {"ready_to_sign"}
    assert history_count(process.id) == events


def test_missing_csrf_token_is_refused(app, team, make_process):
    process = drive(make_process("umea"), team, "outside")
    staff = Browser(app, "staff@example.org")
    events = history_count(process.id)
    for path, data in [
        (f"/processes/{process.id}/transition", {"version": 1, "transition": "abandon"}),
        (f"/processes/{process.id}/flag", {"version": fresh(process.id).version, "value": "0"}),
        (f"/processes/{process.id}/comments", {"body": "x"}),
        ("/processes/new", {"kind": "twinning", "partner": authority("umea").id}),
    ]:
        response = staff.post_raw(path, data)
        assert response.status_code == 400, path
    assert history_count(process.id) == events
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Process)) == 1


def test_signing_without_a_date_comes_back_with_a_message_next_to_it(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "outside")
    clock.shift(timedelta(days=16))
    from tracker.services import processes

    processes.advance(fresh(process.id), None)
    db.session.commit()
    assert active(process.id) == {"ready_to_sign"}
    staff = Browser(app, "staff@example.org")
    response = staff.post(
        f"/processes/{process.id}/transition",
        {"version": fresh(process.id).version, "transition": "sign_phase_a", "place": "partner"},
    )
    assert response.status_code in (409, 422)
    page = response.get_data(as_text=True)
    assert re.search(r'id="date-sign_phase_a-err"', page)
    assert re.search(r'name="place" value="partner" checked', page)  # what was typed stays
    assert active(process.id) == {"ready_to_sign"}


def test_viewer_cannot_move_comment_or_confirm(app, team, make_process):
    process = drive(make_process("umea"), team, "outside")
    viewer = Browser(app, "viewer@example.org")
    events = history_count(process.id)
    version = fresh(process.id).version
    assert (
        viewer.post(f"/processes/{process.id}/flag", {"version": version, "value": "0"}).status_code
        == 403
    )
    assert viewer.post(f"/processes/{process.id}/comments", {"body": "γεια"}).status_code == 403
    assert viewer.post("/processes/new", {"kind": "twinning", "partner": 2}).status_code == 403
    refused = viewer.post(
        f"/processes/{process.id}/transition", {"version": version, "transition": "abandon"}
    )
    assert refused.status_code == 409
    assert "Δεν έχετε ρόλο" in refused.get_data(as_text=True)
    assert history_count(process.id) == events
    assert fresh(process.id).version == version
    page = viewer.text(f"/processes/{process.id}")
    assert f'action="/processes/{process.id}/comments"' not in page
    assert 'enctype="multipart/form-data"' not in page


def test_comment_added_and_empty_one_refused(app, team, make_process):
    process = make_process("umea")
    councillor = Browser(app, "c1@example.org")
    bad = councillor.post(f"/processes/{process.id}/comments", {"body": "   "})
    assert bad.status_code == 422
    assert 'id="body-err"' in bad.get_data(as_text=True)
    ok = councillor.post(f"/processes/{process.id}/comments", {"body": "Καλή ιδέα <b>!</b>"})
    assert ok.status_code == 302
    page = councillor.text(f"/processes/{process.id}")
    assert "Καλή ιδέα &lt;b&gt;!&lt;/b&gt;" in page  # escaped, never markup
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_new_file_form_keeps_what_was_typed(app, team):
    staff = Browser(app, "staff@example.org")
    response = staff.post(
        "/processes/new", {"kind": "twinning", "partner": "", "source": "Πρόταση Δημάρχου"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Πρόταση Δημάρχου"' in page
    assert 'id="partner-err"' in page
    home = authority("amarousion").id
    refused = staff.post("/processes/new", {"kind": "twinning", "partner": home})
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Process)) == 0


def test_new_file_form_starts_with_no_partner_and_asks_for_one(app, team):
    staff = Browser(app, "staff@example.org")
    page = staff.text("/processes/new")
    select = re.search(r'<select[^>]*name="partner".*?</select>', page, re.S).group(0)
    first = re.search(r"<option[^>]*>[^<]*</option>", select).group(0)
    assert 'value=""' in first and "selected" in first and "επιλέξτε εταίρο" in first
    assert select.count("selected") == 1, "no partner is chosen for the user"
    response = staff.submit(
        "/processes/new", {"kind": "memorandum", "title": "Συνεργασία", "source": "Δίκτυο"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    err = re.search(r'<ul class="errors" id="partner-err">(.*?)</ul>', page, re.S).group(1)
    assert "Επιλέξτε την αρχή-εταίρο." in err
    assert 'aria-describedby="partner-err"' in page
    assert 'value="Συνεργασία"' in page and 'value="Δίκτυο"' in page
    assert '<option selected value="memorandum">' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Process)) == 0
    staff.language("en")
    english = staff.submit("/processes/new", {"kind": "twinning"}).get_data(as_text=True)
    assert "— choose a partner —" in english and "Choose the partner authority." in english


def test_history_reads_in_english_too(app, team, make_process):
    process = drive(make_process("umea"), team, "letter")
    staff = Browser(app, "staff@example.org")
    staff.language("en")
    text = strip_tags(staff.text(f"/processes/{process.id}"))
    assert "File opened" in text and "Approved" in text and "Outside event recorded" in text
    assert "Idea → Exploratory contact (automatically)" in text
    staff.language("el")
    text = strip_tags(staff.text(f"/processes/{process.id}"))
    assert "Ιδέα → Διερευνητική επαφή (αυτόματα)" in text


def test_unknown_file_is_404(app, team):
    assert Browser(app, "staff@example.org").get("/processes/999").status_code == 404


def test_partner_reorganised_with_a_successor_from_the_page(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("nea_ionia"), team, "active")
    staff = Browser(app, "staff@example.org")
    page = staff.text(f"/processes/{process.id}")
    assert 'id="succ-partner_reorganised"' in page
    assert f'<option value="{authority("volos").id}">' in page
    missing = staff.post(
        f"/processes/{process.id}/transition",
        {"version": fresh(process.id).version, "transition": "partner_reorganised"},
    )
    assert missing.status_code == 422
    assert 'class="field has-error"' in missing.get_data(as_text=True)
    assert active(process.id) == {"active"}
    response = staff.post(
        f"/processes/{process.id}/transition",
        {
            "version": fresh(process.id).version,
            "transition": "partner_reorganised",
            "successor": authority("volos").id,
        },
    )
    assert response.status_code == 302
    assert active(process.id) == {"under_review"}


def test_record_links_follow_what_the_file_waits_for(app, team, make_process):
    process = drive(make_process("umea"), team, "parallel")
    page = Browser(app, "staff@example.org").text(f"/processes/{process.id}")
    assert f"/processes/{process.id}/record/ministry_decision" in page
    assert f"/processes/{process.id}/record/partner_decision" in page
    assert "Επιβεβαίωση: οριστικό κείμενο συμφωνημένο" in page
    # A councillor sees what is missing but gets no record buttons.
    councillor = Browser(app, "c1@example.org").text(f"/processes/{process.id}")
    assert "Δεν έχει καταχωριστεί" in councillor
    assert f"/processes/{process.id}/record/" not in councillor


def test_abandoned_file_is_closed_on_its_page(app, team, make_process):
    process = make_process("umea")
    head = Browser(app, "head@example.org")
    response = head.post(
        f"/processes/{process.id}/transition",
        {"version": fresh(process.id).version, "transition": "abandon"},
    )
    assert response.status_code == 302
    assert active(process.id) == {"abandoned"}
    page = head.text(f"/processes/{process.id}")
    assert "Ο φάκελος έχει κλείσει" in page
    assert f'action="/processes/{process.id}/transition"' not in page
    assert re.search(r'class="node node-current terminal"', page)
    dashboard = head.text("/")
    assert 'class="urgency-none closed"' in dashboard


def test_memorandum_and_network_pages_render(app, team, make_process):
    staff = Browser(app, "staff@example.org")
    for partner, kind in (("chaoyang", "memorandum"), ("umea", "network")):
        process = make_process(partner, kind=kind)
        page = staff.text(f"/processes/{process.id}")
        svg = re.search(r'<svg class="workflow".*?</svg>', page, re.S).group(0)
        assert svg.count('class="node ') == len(process.definition.states)


def shown_unfolded(page: str) -> str:
    """The page without its folded ``<details>`` lists: what a user sees without a click."""
    return re.sub(r"<details.*?</details>", "", page, flags=re.S)


def test_final_text_confirmation_is_a_primary_button_by_the_checklist(app, team, make_process):
    process = drive(make_process("umea"), team, "parallel")
    staff = Browser(app, "staff@example.org")
    shown = shown_unfolded(staff.text(f"/processes/{process.id}"))
    checklist = re.search(r'<ul class="checklist".*?</ul>', shown, re.S).group(0)
    assert re.search(
        r'action="/processes/\d+/flag".*?<button type="submit" class="primary">'
        r"Επιβεβαίωση: οριστικό κείμενο συμφωνημένο",
        checklist,
        re.S,
    )
    assert shown.count(f'action="/processes/{process.id}/flag"') == 1, "one button, not two"
    response = staff.post(
        f"/processes/{process.id}/flag", {"version": fresh(process.id).version, "value": "1"}
    )
    assert response.status_code == 302
    page = staff.text(f"/processes/{process.id}")
    assert f'action="/processes/{process.id}/flag"' not in shown_unfolded(page)
    folded = re.search(r'<details class="more-records">.*?</details>', page, re.S).group(0)
    assert "Ανάκληση: οριστικό κείμενο συμφωνημένο" in folded  # withdrawing stays folded


def test_ways_forward_are_on_show_and_abandoning_is_folded(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "outside")
    clock.shift(timedelta(days=16))
    from tracker.services import processes

    processes.advance(fresh(process.id), None)
    db.session.commit()
    head = Browser(app, "head@example.org")
    page = head.text(f"/processes/{process.id}")
    shown = shown_unfolded(page)
    assert 'value="sign_phase_a"' in shown and 'value="sign_jointly"' in shown
    assert shown.index('id="act-h"') < shown.index('class="needs"'), "actions come first"
    assert 'value="abandon"' not in shown
    folded = re.search(r'<details class="more-actions">.*?</details>', page, re.S).group(0)
    assert 'value="abandon"' in folded
    # A refused folded action comes back unfolded, its reason in view.
    refused = head.post(
        f"/processes/{process.id}/transition", {"version": 1, "transition": "abandon"}
    )
    assert refused.status_code == 409
    assert '<details class="more-actions" open>' in refused.get_data(as_text=True)
    assert active(process.id) == {"ready_to_sign"}


def test_appeal_window_reads_closed_as_soon_as_it_ends(app, team, make_process):
    """Before the scheduler's close_timers job has run, the page compares the end with now."""
    from tracker.models import Deadline

    clock.freeze(datetime(2026, 11, 18, 9, 0, tzinfo=UTC))
    process = drive(make_process("vilnius"), team, "parallel")
    window = db.session.scalars(
        sa.select(Deadline).where(Deadline.process_id == process.id, Deadline.kind == "appeal")
    ).one()
    staff = Browser(app, "staff@example.org")
    page = staff.text(f"/processes/{process.id}")
    assert '<p class="appeal open">' in page
    assert f'href="/deadlines/{window.id}/extend"' in page
    clock.freeze(window.due_dt + timedelta(minutes=1))
    staff.login("staff@example.org")  # the session's idle timeout passed meanwhile
    page = staff.text(f"/processes/{process.id}")
    db.session.expire_all()
    assert db.session.get(Deadline, window.id).status == "open", "no job has run"
    assert '<p class="appeal closed">' in page
    assert "Η προθεσμία προσφυγής έληξε" in strip_tags(page)
    assert f'href="/deadlines/{window.id}/extend"' not in page, "an ended window is not extended"


def test_a_default_title_follows_the_reader_and_a_typed_one_stays(app, team, make_process):
    process = make_process("umea")
    staff = Browser(app, "staff@example.org")
    assert "<h1>Αδελφοποίηση — Ουμεό</h1>" in staff.text(f"/processes/{process.id}")
    staff.language("en")
    for path in (f"/processes/{process.id}", f"/reports/processes/{process.id}/history"):
        page = staff.text(path)
        assert "Twinning — Umeå" in page and "Ουμεό</h1>" not in page, path
    rows = staff.get("/reports/status.csv").get_data(as_text=True)
    assert "Twinning — Umeå" in rows
    process.title = "Πρωτόκολλο φιλίας Αμαρουσίου–Ουμεό"
    db.session.commit()
    assert "<h1>Πρωτόκολλο φιλίας Αμαρουσίου–Ουμεό</h1>" in staff.text(f"/processes/{process.id}")


def test_the_file_page_reads_each_record_once(app, team, make_process):
    """Decisions, outside events and the appeal window are read once, as rows and as facts."""
    process = drive(make_process("nea_ionia"), team, "active")
    staff = Browser(app, "staff@example.org")
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert staff.get(f"/processes/{process.id}").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    for table in ("council_decision", "external_event"):
        reads = [s for s in seen if re.search(rf"\bFROM {table}\b", s)]
        assert len(reads) == 1, (table, reads)
    appeal = [s for s in seen if re.search(r"\bFROM deadline\b", s) and "kind =" in s]
    assert appeal == [], appeal  # the appeal window comes with the file's deadlines
    assert len(seen) <= 16, seen  # log-in check, the file, then the page's 14 statements


def test_council_and_outside_events_read_as_greek_writes_them(app, team, make_process):
    """No «;» as a separator (it is the Greek question mark), «1 λευκό» in the singular,
    the ministry's name capitalised, and a space before a reference."""
    from tests.services.support import vote
    from tracker.services import processes, records

    process = drive(make_process("umea"), team, "council")
    staff = team["staff"]
    records.record_council_decision(process.id, vote(abstain=1, present=26), staff)
    records.record_external(
        process.id, "ministry_decision", "consent", today(), staff, reference="Φ.110/2026"
    )
    records.record_external(process.id, "partner_decision", "approved", today(), staff)
    db.session.commit()
    clock.shift(timedelta(days=16))
    processes.set_flag(process.id, "final_text_agreed", True, staff)
    processes.transition(
        process.id, "sign_jointly", staff, payload={"date": today(), "place": "home"}
    )
    db.session.commit()
    browser = Browser(app, "staff@example.org")
    council = browser.text(f"/processes/{process.id}").split('id="council-h"', 1)[1]
    council = strip_tags(council.split("</section>", 1)[0])
    assert "παρόντες 26 από 41· 24 υπέρ, 1 κατά, 1 λευκό" in council
    assert "Γνώμη του Υπουργείου Εσωτερικών: σύμφωνη γνώμη (Φ.110/2026)" in council
    assert re.search(r"Τελετή υπογραφής \([^)]*, στο Μαρούσι\)", council), council
    assert ";" not in council
    browser.language("en")
    council = browser.text(f"/processes/{process.id}").split('id="council-h"', 1)[1]
    council = strip_tags(council.split("</section>", 1)[0])
    assert "26 of 41 present; 24 for, 1 against, 1 abstaining" in council
    assert "Ministry of Interior opinion: consent (Φ.110/2026)" in council


def test_the_reminder_ladder_tells_its_rungs_apart(app, team, make_process):
    """Two reminders before the due date read «5 … πριν» and «1 … πριν», not the same twice."""
    process = drive(make_process("umea"), team, "contact")
    page = strip_tags(Browser(app, "staff@example.org").text(f"/processes/{process.id}"))
    assert "5 εργάσιμες πριν από τη λήξη" in page
    assert "1 εργάσιμη πριν από τη λήξη" in page


def test_council_decisions_keep_their_labels_on_a_phone(app, team, make_process):
    """On a phone each row becomes a card: every value says what it is (data-label)."""
    process = drive(make_process("umea"), team, "parallel")
    page = Browser(app, "staff@example.org").text(f"/processes/{process.id}")
    table = page[page.index('id="council-h"') :]
    table = table[: table.index("</table>")]
    row = table[table.index("<tbody>") :]
    for label in ("Απόφαση", "Θέμα", "Συνεδρίαση", "Ψηφοφορία", "Αποτέλεσμα"):
        assert f'data-label="{label}"' in row, label
