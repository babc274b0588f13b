"""Digests gather non-urgent mail; periodic reviews prompt once per reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tracker import clock, jobs
from tracker.extensions import db
from tracker.models import OutboxMessage
from tracker.services.outbox import enqueue

from .conftest import T0, advance
from .helpers import approve_all, open_deadline, outbox, reminders_of, today


def test_a_daily_digest_carries_what_waited_and_urgent_mail_does_not_wait(
    app, team, make_process, smtp, tick
):
    clock.freeze(T0)
    team["staff"].notify = "daily"
    db.session.commit()
    process = make_process("umea")
    approve_all(process)  # the owner hears of the move: not urgent, waits
    deadline = open_deadline(process)
    rows = reminders_of(deadline)
    due_rung = next(r for r in rows if r.rung == "due")
    advance(due_rung.fire_dt + timedelta(minutes=30), timedelta(hours=2), tick)

    waiting = [m for m in outbox() if m.digest == "daily"]
    assert {m.status for m in waiting} == {"pending"}
    assert {m.category for m in waiting} == {"notice", "reminder"}
    assert len(smtp.keyed(f"reminder:{due_rung.id}:")) == 1  # due today: at once

    assert jobs.daily_digest() == 1
    assert jobs.daily_digest() == 0
    jobs.send_outbox()
    [digest] = smtp.keyed("digest:daily:")
    assert digest.rcpt == ["staff@example.org"]
    assert digest.subject == f"Ημερήσια σύνοψη: {len(waiting)} μηνύματα"
    for message in waiting:
        db.session.refresh(message)
        assert message.status == "digested"
        assert message.subject in digest.text()
    assert {m.digest_id for m in waiting} == {outbox("digest:")[0].id}
    assert f"UID:{deadline.uid}" in digest.attachment()


def test_weekly_readers_wait_for_the_weekly_digest(app, team, smtp):
    clock.freeze(T0)
    team["head"].notify = "weekly"
    db.session.commit()
    enqueue(team["head"], "note", "A note", "Body\n")
    enqueue(team["head"], "approval-like", "Approve this", "Body\n", urgent=True)
    db.session.commit()
    jobs.send_outbox()
    assert [m.subject for m in smtp.received] == ["Approve this"]
    assert jobs.daily_digest() == 0
    assert jobs.weekly_digest() == 1
    jobs.send_outbox()
    assert smtp.received[-1].subject == "Εβδομαδιαία σύνοψη: 1 μηνύματα"


def test_an_inactive_account_gets_no_digest(app, team):
    clock.freeze(T0)
    team["staff"].notify = "daily"
    db.session.commit()
    [row] = [enqueue(team["staff"], "note", "A note", "Body\n")]
    db.session.commit()
    team["staff"].is_active = False
    db.session.commit()
    assert jobs.daily_digest() == 0
    db.session.refresh(row)
    assert row.status == "failed" and "inactive" in row.last_error


def test_a_dormant_file_prompts_one_review(app, team, make_process, smtp):
    clock.freeze(T0)
    dormant = make_process("umea")
    lively = make_process("vilnius")
    clock.freeze(T0 + timedelta(days=2 * 365 + 20))
    approve_all(lively)  # something recorded recently
    db.session.query(OutboxMessage).delete()
    db.session.commit()

    assert jobs.periodic_reviews() == 2  # the head and the owner
    assert jobs.periodic_reviews() == 0
    prompts = outbox("review:dormant:")
    assert {m.process_id for m in prompts} == {dormant.id}
    assert sorted(m.to_addr for m in prompts) == ["head@example.org", "staff@example.org"]
    jobs.send_outbox()
    assert all("Προτείνεται επανεξέταση" in m.subject for m in smtp.keyed("review:"))


def test_an_agreement_about_to_expire_prompts_one_review(app, team, make_process):
    clock.freeze(T0)
    process = make_process("chaoyang", kind="memorandum")
    process.expires_on = today() + timedelta(days=60)
    db.session.commit()
    assert jobs.periodic_reviews() == 2
    assert jobs.periodic_reviews() == 0
    assert {m.idempotency_key.rsplit(":", 1)[0] for m in outbox("review:")} == {
        f"review:expiry:{process.id}:{process.expires_on.isoformat()}"
    }


def test_a_new_municipal_term_prompts_a_review_of_every_agreement_in_force(app):
    from tracker.seed import seed_demo

    base = datetime(2029, 1, 8, 8, 0, tzinfo=UTC)  # a week into the 2029-2033 term
    clock.freeze(base)
    seed_demo()
    db.session.commit()
    clock.freeze(base)
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()

    assert jobs.periodic_reviews() >= 3  # the head and both office staff
    assert jobs.periodic_reviews() == 0
    [prompt] = [m for m in outbox("review:term:2029-01-01") if m.to_addr.startswith("head")]
    assert "Νέα δημοτική περίοδος" in prompt.subject
    for partner in ("Φαέντσα", "Νις", "Τσαογιάνγκ"):
        assert partner in prompt.text_body
    assert "Ουμεό" not in prompt.text_body  # still being drafted: not yet in force
    # The prompt links to the page that keeps the same lists (Reports → review).
    assert "Όλες μαζί σε μία σελίδα, με τους αδρανείς φακέλους:" in prompt.text_body
    assert "/reports/review" in prompt.text_body and "/reports/review" in prompt.html_body
