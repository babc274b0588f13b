"""Record forms: council votes, outside decisions, deadline extensions — typed, checked, kept."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.views.screens import (
    Browser,
    active,
    council_data,
    drive,
    fresh,
    history_count,
    strip_tags,
    today,
)
from tracker import clock
from tracker.domain.calendar import to_local
from tracker.domain.text import day_text, pick
from tracker.extensions import db
from tracker.models import (
    CouncilDecision,
    Deadline,
    DeadlineExtension,
    ExternalEvent,
    Reminder,
)


def council_count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(CouncilDecision)) or 0)


@pytest.fixture
def at_council(app, team, make_process):
    """Vilnius, waiting for the council's vote (scenario 2), on the Monday after the session
    of 18 November and the posting of the 20th (a vote is recorded after it happened)."""
    clock.freeze(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    return drive(make_process("vilnius"), team, "council")


def test_council_form_offers_the_rule_and_the_members(app, team, at_council):
    page = Browser(app, "staff@example.org").text(f"/processes/{at_council.id}/council")
    assert 'name="members"' in page and 'value="41"' in page
    assert "js/council.js" in page  # the live quorum check, as a file (CSP)
    assert 'data-quorum="more_than_half"' in page
    assert "<script>" not in page


def test_scenario_2_vote_recorded_and_appeal_window_shown(app, team, at_council):
    staff = Browser(app, "staff@example.org")
    response = staff.post(
        f"/processes/{at_council.id}/council",
        council_data(fresh(at_council.id).version),
        follow_redirects=True,
    )
    assert response.status_code == 200
    told = strip_tags(response.get_data(as_text=True))
    assert "Η απόφαση 214/2026 καταχωρίστηκε: εγκρίθηκε (24 υπέρ, 27 παρόντες)." in told
    assert "η υπογραφή περιμένει ως τότε" in told
    decision = db.session.scalars(sa.select(CouncilDecision)).one()
    assert (decision.decision_number, decision.ada, decision.outcome) == (
        "214/2026",
        "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ",
        "approved",
    )
    assert (decision.members, decision.present, decision.votes_for) == (41, 27, 24)
    assert active(at_council.id) == {"ministry_review", "partner_approval"}
    appeal = db.session.scalars(sa.select(Deadline).where(Deadline.kind == "appeal")).one()
    closes = to_local(appeal.due_dt)
    assert closes.date() >= datetime(2026, 12, 5).date()  # 15 days from posting on 20/11
    page = strip_tags(staff.text(f"/processes/{at_council.id}"))
    assert "214/2026" in page and "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ" in page
    assert "παρόντες 27 από 41· 24 υπέρ, 1 κατά, 2 λευκά" in page
    # Signing blocked, and until which date, written as the rest of the page writes dates.
    assert f"ανοιχτή έως {pick(day_text(closes.date()), 'el')}, {closes:%H:%M}" in page


def test_appeal_window_is_called_the_same_everywhere(app, team, at_council):
    """The statutory remedy is a «προσφυγή» (ν. 3852/2010 άρθ. 227): the deadline's
    name on the file page says so, as the council form and the signing check do."""
    staff = Browser(app, "staff@example.org")
    staff.post(f"/processes/{at_council.id}/council", council_data(fresh(at_council.id).version))
    page = strip_tags(staff.text(f"/processes/{at_council.id}"))
    assert "Προθεσμία προσφυγής" in page
    assert "ενστάσεων" not in page


def test_english_dates_have_one_shape(app, team, at_council):
    """The session date in the council table reads like every other date on the page."""
    staff = Browser(app, "staff@example.org")
    staff.post(f"/processes/{at_council.id}/council", council_data(fresh(at_council.id).version))
    staff.language("en")
    page = strip_tags(staff.text(f"/processes/{at_council.id}"))
    assert "18 Nov 2026" in page
    assert "Nov 18, 2026" not in page


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"present": "42"}, "present", "Παρόντες (42) περισσότεροι"),
        ({"votes_for": "26"}, "votes_for", "υπερβαίνουν τους παρόντες"),
        ({"present": "20", "votes_for": "17"}, "present", "Δεν υπάρχει απαρτία"),
        ({"against": "-1"}, "against", "δεν μπορεί να είναι αρνητικός"),
        ({"ada": "abc def"}, "ada", "Ο ΑΔΑ πρέπει"),
        ({"posted_on": "2026-11-01"}, "posted_on", "πρέπει να είναι μετά από 18 Νοε 2026"),
        ({"members": "x"}, "members", ""),
        ({"decision_number": ""}, "decision_number", ""),
        ({"purpose": "travel"}, "phase", "υποχρεωτικό"),
    ],
)
def test_bad_counts_come_back_with_typed_values_and_messages(
    app, team, at_council, change, field, message
):
    staff = Browser(app, "staff@example.org")
    events = history_count(at_council.id)
    data = council_data(fresh(at_council.id).version, **change)
    response = staff.post(f"/processes/{at_council.id}/council", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(rf'<ul class="errors" id="{field}-err">(.*?)</ul>', page, re.S)
    assert errors, f"no message next to {field}"
    assert message in errors.group(1)
    assert f'aria-describedby="{field}-err"' in page
    for name in ("decision_number", "session_number"):
        if data[name]:
            assert f'value="{data[name]}"' in page  # what was typed stays
    assert council_count() == 0
    assert history_count(at_council.id) == events
    assert active(at_council.id) == {"council_decision"}


def test_stale_council_form_is_refused(app, team, at_council):
    staff = Browser(app, "staff@example.org")
    seen = fresh(at_council.id).version
    from tracker.services import comments, processes

    processes.set_flag(at_council.id, "final_text_agreed", True, team["head"])
    comments.add(at_council.id, "στο μεταξύ", team["head"])
    db.session.commit()
    response = staff.post(f"/processes/{at_council.id}/council", council_data(seen))
    assert response.status_code == 409
    assert "άλλαξε στο μεταξύ" in response.get_data(as_text=True)
    assert council_count() == 0


def test_rejected_vote_is_recorded_and_offers_a_new_draft(app, team, at_council):
    staff = Browser(app, "staff@example.org")
    data = council_data(fresh(at_council.id).version, votes_for="10", against="15")
    assert staff.post(f"/processes/{at_council.id}/council", data).status_code == 302
    assert db.session.scalars(sa.select(CouncilDecision.outcome)).one() == "rejected"
    page = staff.text(f"/processes/{at_council.id}")
    assert 'value="back_to_drafting"' in page


def test_outside_events_recorded(app, team, make_process):
    process = drive(make_process("umea"), team, "parallel")
    staff = Browser(app, "staff@example.org")
    page = staff.text(f"/processes/{process.id}/record/ministry_decision")
    assert 'value="consent"' in page and 'value="refusal"' in page
    assert "<legend>" in page  # a radio group is a fieldset
    bad = staff.post(
        f"/processes/{process.id}/record/ministry_decision",
        {"version": fresh(process.id).version, "outcome": "maybe", "reference": "Φ.1"},
    )
    assert bad.status_code == 422
    assert 'value="Φ.1"' in bad.get_data(as_text=True)
    ok = staff.post(
        f"/processes/{process.id}/record/ministry_decision",
        {
            "version": fresh(process.id).version,
            "outcome": "consent",
            "event_date": today().isoformat(),
            "reference": "Φ.110/2026",
        },
    )
    assert ok.status_code == 302
    event = db.session.scalars(sa.select(ExternalEvent)).all()[-1]
    assert (event.kind, event.outcome, event.reference) == (
        "ministry_decision",
        "consent",
        "Φ.110/2026",
    )
    assert active(process.id) == {"ministry_consented", "partner_approval"}
    assert staff.get(f"/processes/{process.id}/record/nonsense").status_code == 404


def test_extend_a_deadline_with_a_reason(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "contact")
    deadline = db.session.scalars(
        sa.select(Deadline).where(Deadline.process_id == process.id, Deadline.status == "open")
    ).one()
    old_due = to_local(deadline.due_dt).date()
    staff = Browser(app, "staff@example.org")
    page = staff.text(f"/deadlines/{deadline.id}/extend")
    assert f'value="{old_due.isoformat()}"' in page
    missing = staff.post(
        f"/deadlines/{deadline.id}/extend",
        {
            "version": fresh(process.id).version,
            "new_due": (old_due + timedelta(days=10)).isoformat(),
        },
    )
    assert missing.status_code == 422
    assert 'id="reason-err"' in missing.get_data(as_text=True)
    new_day = old_due + timedelta(days=14)
    ok = staff.post(
        f"/deadlines/{deadline.id}/extend",
        {
            "version": fresh(process.id).version,
            "new_due": new_day.isoformat(),
            "reason": "Ο εταίρος ζήτησε μεταγενέστερη τελετή",
        },
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert to_local(db.session.get(Deadline, deadline.id).due_dt).date() == new_day
    extension = db.session.scalars(sa.select(DeadlineExtension)).one()
    assert extension.reason == "Ο εταίρος ζήτησε μεταγενέστερη τελετή"
    text = strip_tags(staff.text(f"/processes/{process.id}"))
    new_text = pick(day_text(new_day), "el")
    assert f"Η προθεσμία είναι πλέον {new_text}, 23:59." in text  # the flash names the date
    assert "Ο εταίρος ζήτησε μεταγενέστερη τελετή" in text
    assert "Παράταση προθεσμίας" in text  # the history line
    who = extension.actor.name
    assert (
        f"Μετακινήθηκε από {pick(day_text(old_due), 'el')} στις {new_text} "
        f"({who}, 2 Μαρ 2026): Ο εταίρος ζήτησε μεταγενέστερη τελετή"
    ) in text
    staff.language("en")
    text = strip_tags(staff.text(f"/processes/{process.id}"))
    assert (
        f"Moved from {pick(day_text(old_due), 'en')} to {pick(day_text(new_day), 'en')} "
        f"({who}, 2 Mar 2026):"
    ) in text


def test_the_deadline_form_is_called_a_change_not_an_extension(app, team, make_process):
    """The form moves a date later or earlier: the file page's link, the page's title and
    its button give the action one name, and the date it has is «Τρέχουσα λήξη»."""
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "contact")
    deadline = db.session.scalars(
        sa.select(Deadline).where(Deadline.process_id == process.id, Deadline.status == "open")
    ).one()
    staff = Browser(app, "staff@example.org")
    link = f'href="/deadlines/{deadline.id}/extend">'
    for lang, name, current, old in (
        ("el", "Αλλαγή προθεσμίας", "Τρέχουσα λήξη", "Λήγει τώρα"),
        ("en", "Change the deadline", "Current due date", "Due now"),
    ):
        staff.language(lang)
        form = staff.text(f"/deadlines/{deadline.id}/extend")
        assert f"<h1>{name}</h1>" in form and f"<title>{name}" in form
        assert f'<button type="submit" class="primary">{name}</button>' in form
        assert f"<dt>{current}</dt>" in form and old not in form
        assert "Παράταση προθεσμίας" not in form and "Extend a deadline" not in form
        page = staff.text(f"/processes/{process.id}")
        assert f"{link}{name}</a>" in page


@pytest.fixture
def in_contact(app, team, make_process):
    """Umeå in exploratory contact since 2 Mar 2026, its deadline (30 calendar days) open."""
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = drive(make_process("umea"), team, "contact")
    return db.session.scalars(
        sa.select(Deadline).where(Deadline.process_id == process.id, Deadline.status == "open")
    ).one()


def refused_move(app, deadline, day, status=422):
    """Post a move to ``day``; the page comes back with the reason, nothing is changed."""
    due, events = deadline.due_dt, history_count(deadline.process_id)
    staff = Browser(app, "staff@example.org")
    response = staff.post(
        f"/deadlines/{deadline.id}/extend",
        {
            "version": fresh(deadline.process_id).version,
            "new_due": day.isoformat(),
            "reason": "ο εταίρος ζήτησε",
        },
    )
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert "ο εταίρος ζήτησε</textarea>" in page  # what was typed stays
    db.session.expire_all()
    assert db.session.get(Deadline, deadline.id).due_dt == due
    assert db.session.scalars(sa.select(DeadlineExtension)).all() == []
    assert history_count(deadline.process_id) == events
    errors = re.search(r'<ul class="errors" id="new_due-err">(.*?)</ul>', page, re.S)
    assert errors, "no message next to the new date"
    return strip_tags(errors.group(1)).strip()


def test_a_day_already_past_is_refused_on_the_field(app, in_contact):
    clock.shift(timedelta(days=10))  # 12 Mar 2026
    message = refused_move(app, in_contact, date(2026, 3, 11))
    assert message == (
        "Η ημερομηνία έχει ήδη περάσει (σήμερα είναι 12 Μαρ 2026): επιλέξτε μεταγενέστερη."
    )
    pending = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Reminder)
        .where(Reminder.deadline_id == in_contact.id, Reminder.status == "pending")
    )
    assert pending  # the reminders were not all cancelled


def test_the_date_it_already_has_is_refused_on_the_field(app, in_contact):
    message = refused_move(app, in_contact, to_local(in_contact.due_dt).date())
    assert message == "Αυτή είναι ήδη η προθεσμία· επιλέξτε άλλη ημερομηνία."


def test_a_working_days_deadline_is_not_moved_to_a_holiday(app, team, at_council):
    deadline = db.session.scalars(
        sa.select(Deadline).where(
            Deadline.process_id == at_council.id, Deadline.state == "council_decision"
        )
    ).one()
    assert deadline.unit == "working"
    message = refused_move(app, deadline, date(2026, 12, 25))
    assert message.startswith("Η 25 Δεκ 2026 είναι αργία (Χριστούγεννα), όχι εργάσιμη ημέρα")
    message = refused_move(app, deadline, date(2026, 12, 19))  # a Saturday
    assert message.startswith("Η 19 Δεκ 2026 είναι Σάββατο, όχι εργάσιμη ημέρα")


def test_a_closed_deadline_shows_the_notice_without_the_form(app, team, in_contact):
    from tracker.services import records

    process_id = in_contact.process_id
    records.record_external(process_id, "partner_reply", "positive", today(), team["staff"])
    db.session.commit()
    db.session.refresh(in_contact)
    assert in_contact.status == "met"
    staff = Browser(app, "staff@example.org")
    page = staff.text(f"/deadlines/{in_contact.id}/extend")
    assert "Η προθεσμία έχει κλείσει." in page
    assert '<form method="post" novalidate' not in page and 'name="new_due"' not in page
    assert f'href="/processes/{process_id}#dl-h"' in page  # the way back
    later = (to_local(in_contact.due_dt).date() + timedelta(days=5)).isoformat()
    data = {"version": fresh(process_id).version, "new_due": later, "reason": "x"}
    response = staff.post(f"/deadlines/{in_contact.id}/extend", data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Η προθεσμία έχει κλείσει." in page and 'name="new_due"' not in page


def test_a_stale_change_keeps_what_was_typed_and_goes_through_when_sent_again(
    app, team, in_contact
):
    """The page already shows the file as it is now: it says so, and its form can be sent."""
    from tracker.services import processes

    process_id = in_contact.process_id
    seen = fresh(process_id).version
    processes.set_flag(process_id, "final_text_agreed", True, team["head"])
    db.session.commit()
    staff = Browser(app, "staff@example.org")
    later = (to_local(in_contact.due_dt).date() + timedelta(days=7)).isoformat()
    data = {"version": seen, "new_due": later, "reason": "ο εταίρος ζήτησε"}
    response = staff.post(f"/deadlines/{in_contact.id}/extend", data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert (
        "Ο φάκελος άλλαξε στο μεταξύ· τα στοιχεία ενημερώθηκαν σε αυτή τη σελίδα: "
        "ελέγξτε τα και υποβάλετε ξανά."
    ) in page
    assert "ανανεώστε" not in page
    assert f'value="{later}"' in page and "ο εταίρος ζήτησε</textarea>" in page
    version = re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', page)
    assert version and int(version.group(1)) == fresh(process_id).version != seen
    again = staff.post(f"/deadlines/{in_contact.id}/extend", {**data, "version": version.group(1)})
    assert again.status_code == 302


def test_statutory_window_cannot_be_shortened(app, team, at_council):
    staff = Browser(app, "staff@example.org")
    staff.post(f"/processes/{at_council.id}/council", council_data(fresh(at_council.id).version))
    appeal = db.session.scalars(sa.select(Deadline).where(Deadline.kind == "appeal")).one()
    due = appeal.due_dt
    response = staff.post(
        f"/deadlines/{appeal.id}/extend",
        {
            "version": fresh(at_council.id).version,
            "new_due": (to_local(due).date() - timedelta(days=3)).isoformat(),
            "reason": "λάθος",
        },
    )
    assert response.status_code == 422
    assert "δεν μπορεί να συντομευθεί" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Deadline, appeal.id).due_dt == due


def test_final_text_agreed_toggle(app, team, make_process):
    process = make_process("umea")
    seen = process.version
    staff = Browser(app, "staff@example.org")
    response = staff.post(f"/processes/{process.id}/flag", {"version": seen, "value": "1"})
    assert response.status_code == 302
    assert fresh(process.id).flags == {"final_text_agreed": True}
    stale = staff.post(f"/processes/{process.id}/flag", {"version": seen, "value": "0"})
    assert stale.status_code == 409
    assert fresh(process.id).flags == {"final_text_agreed": True}


def test_viewer_and_councillor_cannot_post_any_record_form(app, team, at_council):
    from tracker.services import deadlines as dl

    deadline = dl.open_deadlines(at_council)[0]
    version = fresh(at_council.id).version
    forms = [
        (f"/processes/{at_council.id}/council", council_data(version)),
        (
            f"/processes/{at_council.id}/record/partner_decision",
            {"version": version, "outcome": "approved", "event_date": today().isoformat()},
        ),
        (
            f"/deadlines/{deadline.id}/extend",
            {"version": version, "new_due": "2027-01-01", "reason": "x"},
        ),
        (f"/processes/{at_council.id}/flag", {"version": version, "value": "1"}),
        (f"/processes/{at_council.id}/documents", {"title": "x", "kind": "other"}),
        ("/processes/new", {"kind": "twinning", "partner": 2}),
        ("/partners/2/edit", {"name_el": "x"}),
        ("/partners/2/successor", {"successor": 3}),
    ]
    events = history_count(at_council.id)
    for who in ("viewer@example.org", "c1@example.org"):
        browser = Browser(app, who)
        for path, data in forms:
            assert browser.post(path, data).status_code == 403, (who, path)
            if path.endswith("/council") or "/record/" in path:
                assert browser.get(path).status_code == 403
    assert history_count(at_council.id) == events
    assert council_count() == 0
    assert fresh(at_council.id).version == version


def test_forms_as_rendered_carry_the_version_they_were_read_at(app, team, at_council):
    """Submitting exactly what the browser shows (hidden fields included) is accepted."""
    staff = Browser(app, "staff@example.org")
    typed = {k: v for k, v in council_data(0).items() if k != "version"}
    response = staff.submit(f"/processes/{at_council.id}/council", typed)
    assert response.status_code == 302, strip_tags(response.get_data(as_text=True))[:500]
    assert active(at_council.id) == {"ministry_review", "partner_approval"}
    response = staff.submit(
        f"/processes/{at_council.id}/record/partner_decision",
        {"outcome": "approved", "event_date": today().isoformat()},
    )
    assert response.status_code == 302
    appeal = db.session.scalars(sa.select(Deadline).where(Deadline.kind == "appeal")).one()
    later = to_local(appeal.due_dt).date() + timedelta(days=5)
    response = staff.submit(
        f"/deadlines/{appeal.id}/extend", {"new_due": later.isoformat(), "reason": "x"}
    )
    assert response.status_code == 302


# --- a decision recorded before Diavgeia posted it ------------------------------------------


def vote_without_posting(app, at_council) -> CouncilDecision:
    """Scenario 2's vote typed from the minutes, before the ΑΔΑ and posting date exist."""
    staff = Browser(app, "staff@example.org")
    data = council_data(fresh(at_council.id).version, ada="", posted_on="")
    assert staff.post(f"/processes/{at_council.id}/council", data).status_code == 302
    return db.session.scalars(sa.select(CouncilDecision)).one()


def appeal_windows(process_id: int) -> list[Deadline]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Deadline).where(Deadline.process_id == process_id, Deadline.kind == "appeal")
        )
    )


def test_ada_and_posting_date_added_later_start_the_appeal_window(app, team, at_council):
    decision = vote_without_posting(app, at_council)
    staff = Browser(app, "staff@example.org")
    page = staff.text(f"/processes/{at_council.id}")
    link = f'href="/council-decisions/{decision.id}/posting"'
    assert link in page and "Προσθήκη ΑΔΑ / ημερομηνίας ανάρτησης" in page
    assert appeal_windows(at_council.id) == []
    events = history_count(at_council.id)

    form = f"/council-decisions/{decision.id}/posting"
    bad = staff.submit(form, {"ada": "6ξαζ 46", "posted_on": "2026-11-17"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert re.search(r'id="ada-err">\s*<li>Ο ΑΔΑ πρέπει', text)
    assert re.search(
        r'id="posted_on-err">\s*<li>Η ημερομηνία πρέπει να είναι μετά από 18 Νοε 2026', text
    )
    assert 'value="6ξαζ 46"' in text  # what was typed comes back
    empty = staff.submit(form, {"ada": "", "posted_on": ""})
    assert empty.status_code == 422
    assert "Συμπληρώστε τον ΑΔΑ, την ημερομηνία ανάρτησης ή και τα δύο." in empty.get_data(
        as_text=True
    )
    assert history_count(at_council.id) == events

    done = staff.submit(form, {"ada": "6ξαζ46μτλη-ρσκ", "posted_on": "2026-11-20"})
    assert done.status_code == 302 and done.headers["Location"].endswith("#council-h")
    db.session.expire_all()
    decision = db.session.get(CouncilDecision, decision.id)
    assert (decision.ada, str(decision.posted_on)) == ("6ΞΑΖ46ΜΤΛΗ-ΡΣΚ", "2026-11-20")
    [window] = appeal_windows(at_council.id)
    assert window.status == "open"
    assert to_local(window.due_dt).date() >= datetime(2026, 12, 5).date()
    page = staff.text(f"/processes/{at_council.id}")
    assert link not in page
    assert '<p class="appeal open">' in page
    history = strip_tags(page)
    assert "Ανάρτηση απόφασης Δ.Σ. στη Διαύγεια" in history
    assert "ΑΔΑ 6ΞΑΖ46ΜΤΛΗ-ΡΣΚ · αναρτήθηκε 20/11/2026" in history


def test_posting_fills_gaps_and_never_overwrites(app, team, at_council):
    decision = vote_without_posting(app, at_council)
    staff = Browser(app, "staff@example.org")
    form = f"/council-decisions/{decision.id}/posting"
    assert staff.submit(form, {"ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"}).status_code == 302
    assert appeal_windows(at_council.id) == []  # no posting date yet: no window
    page = staff.text(form)
    assert 'name="ada"' not in page and 'name="posted_on"' in page  # only what is missing
    again = staff.post(form, {"version": fresh(at_council.id).version, "ada": "ΩΩΩΩ-ΩΩΩ"})
    assert again.status_code == 422
    assert "Έχει ήδη καταχωριστεί (6ΞΑΖ46ΜΤΛΗ-ΡΣΚ)" in again.get_data(as_text=True)
    assert staff.submit(form, {"posted_on": "2026-11-20"}).status_code == 302
    assert len(appeal_windows(at_council.id)) == 1
    assert f'href="{form}"' not in staff.text(f"/processes/{at_council.id}")
    complete = staff.text(form)
    assert "ήδη τον ΑΔΑ και την ημερομηνία ανάρτησης" in complete
    assert 'name="ada"' not in complete and 'name="posted_on"' not in complete
    staff.language("en")
    late = staff.post(form, {"version": fresh(at_council.id).version, "posted_on": "2026-11-21"})
    assert late.status_code == 422
    assert "Already recorded (20 Nov 2026); it is not changed here." in late.get_data(as_text=True)


def test_a_mistyped_ada_is_corrected_with_a_reason(app, team, at_council):
    """Scenario 12: a typo in the ΑΔΑ is mended; the history keeps both and why."""
    decision = vote_without_posting(app, at_council)
    staff = Browser(app, "staff@example.org")
    posting = f"/council-decisions/{decision.id}/posting"
    assert staff.submit(posting, {"ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"}).status_code == 302
    form = f"/council-decisions/{decision.id}/ada"
    assert f'href="{form}"' in staff.text(f"/processes/{at_council.id}")
    assert f'href="{form}"' in staff.text(posting)  # where "already recorded" sends them
    events = history_count(at_council.id)

    bad = staff.submit(form, {"ada": "6ΞΑΖ 46", "reason": ""})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'value="6ΞΑΖ 46"' in text  # what was typed comes back, with a message per field
    assert re.search(r'id="ada-err">\s*<li>Ο ΑΔΑ πρέπει', text)
    assert re.search(r'id="reason-err">\s*<li>', text)
    long = staff.submit(form, {"ada": "Α" * 41, "reason": ""}).get_data(as_text=True)
    assert 'id="ada-err"' in long and 'id="reason-err"' in long  # both at once
    same = staff.submit(form, {"ada": "6ξαζ46μτλη-ρσκ", "reason": "typo"})
    assert same.status_code == 422
    assert "Αυτός ο ΑΔΑ είναι ήδη καταχωρισμένος." in same.get_data(as_text=True)
    assert history_count(at_council.id) == events
    db.session.expire_all()
    assert db.session.get(CouncilDecision, decision.id).ada == "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"

    done = staff.submit(form, {"ada": "6ξαζ46μτλη-ρσλ", "reason": "Λάθος στο τελευταίο γράμμα"})
    assert done.status_code == 302 and done.headers["Location"].endswith("#council-h")
    db.session.expire_all()
    assert db.session.get(CouncilDecision, decision.id).ada == "6ΞΑΖ46ΜΤΛΗ-ΡΣΛ"
    history = strip_tags(staff.text(f"/processes/{at_council.id}"))
    assert "Διόρθωση ΑΔΑ απόφασης Δ.Σ." in history
    assert "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ → 6ΞΑΖ46ΜΤΛΗ-ΡΣΛ: Λάθος στο τελευταίο γράμμα" in history
    staff.language("en")
    assert "Council decision&#39;s ΑΔΑ corrected" in staff.text(f"/processes/{at_council.id}")


def test_a_closed_file_keeps_its_ada(app, team, at_council):
    """A closed file takes no further changes: no link, and the form is refused (409)."""
    decision = vote_without_posting(app, at_council)
    staff = Browser(app, "staff@example.org")
    assert staff.submit(f"/council-decisions/{decision.id}/posting", {"ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"})
    process = fresh(at_council.id)
    process.is_closed = True  # as a terminated twinning would be
    db.session.commit()
    form = f"/council-decisions/{decision.id}/ada"
    assert f'href="{form}"' not in staff.text(f"/processes/{at_council.id}")
    data = {"version": fresh(at_council.id).version, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΛ", "reason": "typo"}
    assert staff.post(form, data).status_code == 409
    db.session.expire_all()
    assert db.session.get(CouncilDecision, decision.id).ada == "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"


def test_only_a_recorded_ada_is_corrected_and_only_by_the_office(app, team, at_council):
    decision = vote_without_posting(app, at_council)
    form = f"/council-decisions/{decision.id}/ada"
    staff = Browser(app, "staff@example.org")
    assert f'href="{form}"' not in staff.text(f"/processes/{at_council.id}")  # no ΑΔΑ yet
    data = {"version": fresh(at_council.id).version, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ", "reason": "x"}
    none_yet = staff.post(form, data)
    assert none_yet.status_code == 422
    assert "δεν έχει ακόμη ΑΔΑ" in none_yet.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CouncilDecision, decision.id).ada == ""
    councillor = Browser(app, "c1@example.org")
    assert councillor.get(form).status_code == 403
    assert councillor.post(form, data).status_code == 403
    assert staff.post(form, {**data, "version": 1}).status_code == 409
    assert staff.get("/council-decisions/999/ada").status_code == 404


def test_only_those_who_record_decisions_add_the_posting(app, team, at_council):
    decision = vote_without_posting(app, at_council)
    form = f"/council-decisions/{decision.id}/posting"
    councillor = Browser(app, "c1@example.org")
    assert f'href="{form}"' not in councillor.text(f"/processes/{at_council.id}")
    assert councillor.get(form).status_code == 403
    data = {"version": fresh(at_council.id).version, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"}
    assert councillor.post(form, data).status_code == 403
    stale = Browser(app, "staff@example.org").post(form, {**data, "version": 1})
    assert stale.status_code == 409
    assert (
        Browser(app, "staff@example.org").get("/council-decisions/999/posting").status_code == 404
    )
    db.session.expire_all()
    assert db.session.get(CouncilDecision, decision.id).ada == ""
