"""The sweep: every rung of a ladder reaches the right people once, at its moment."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from icalendar import Calendar

from tracker import clock, jobs
from tracker.domain.calendar import DeadlineSpec, to_local
from tracker.domain.ladders import Ladder
from tracker.extensions import db
from tracker.models import Deadline, Delegation, Reminder
from tracker.services import deadlines, records, reminders

from .conftest import T0, advance
from .helpers import (
    approve_all,
    council_approves,
    open_deadline,
    outbox,
    reminders_of,
    to_council,
    to_drafting,
    today,
)

DEFAULT_RUNGS = ["before_5", "before_1", "due", "overdue_2", "overdue_5", "escalation"]


def _contact(make_process, partner="umea"):
    """A file in exploratory contact: a 30-day deadline with the default ladder."""
    clock.freeze(T0)
    process = make_process(partner)
    approve_all(process)
    return process, open_deadline(process, "exploratory_contact")


def test_each_rung_reaches_its_people_once_at_its_moment(app, team, make_process, smtp, tick):
    _, deadline = _contact(make_process)
    rows = reminders_of(deadline, "pending")
    assert [r.rung for r in rows] == DEFAULT_RUNGS

    advance(T0 + timedelta(days=45), timedelta(hours=1), tick)

    recipients = {}
    for row in reminders_of(deadline):
        assert row.status == "sent"
        assert row.fire_dt <= row.sent_dt < row.fire_dt + timedelta(hours=1)
        recipients[row.rung] = sorted(m.rcpt[0] for m in smtp.keyed(f"reminder:{row.id}:"))
    owner = ["staff@example.org"]
    assert recipients == {
        "before_5": owner,
        "before_1": owner,
        "due": owner,
        "overdue_2": owner,
        "overdue_5": owner,
        "escalation": ["head@example.org", "staff@example.org"],
    }
    assert not smtp.duplicates()
    escalation = smtp.keyed(f"reminder:{rows[-1].id}:")[0]
    assert "Κλιμάκωση" in escalation.subject  # Greek, the recipient's language


def test_nothing_is_sent_before_its_moment(app, team, make_process, smtp, tick):
    _, deadline = _contact(make_process)
    first = reminders_of(deadline, "pending")[0]
    clock.freeze(first.fire_dt - timedelta(minutes=1))
    tick()
    assert smtp.keyed("reminder:") == []
    clock.freeze(first.fire_dt)
    tick()
    assert len(smtp.keyed(f"reminder:{first.id}:")) == 1


def test_assignees_are_the_approvers_whose_turn_it_is(app, team, make_process):
    clock.freeze(T0)
    process = make_process("umea")
    to_drafting(process, team["staff"])
    deadline = open_deadline(process, "drafting")
    now = clock.utcnow()
    # Ordered sign-offs: the head first; the deputy mayor and councillors wait their turn.
    assert [u.email for u in reminders.recipients(deadline, ("assignees",), now)] == [
        "head@example.org"
    ]
    approve_all_first_group = reminders.waiting_on(deadline)
    assert [u.email for u in approve_all_first_group] == ["head@example.org"]
    assert [u.email for u in reminders.recipients(deadline, ("owner", "mayor"), now)] == [
        "staff@example.org",
        "mayor@example.org",
    ]


def test_someone_on_leave_is_replaced_by_the_stand_in(app, team, make_process):
    clock.freeze(T0)
    process = make_process("umea")
    to_drafting(process, team["staff"])
    deadline = open_deadline(process, "drafting")
    db.session.add(
        Delegation(
            user_id=team["head"].id,
            substitute_id=team["deputy"].id,
            start_date=today(),
            end_date=today() + timedelta(days=14),
        )
    )
    db.session.commit()
    now = clock.utcnow()
    assert [u.email for u in reminders.recipients(deadline, ("assignees",), now)] == [
        "deputy@example.org"
    ]
    assert [u.email for u in reminders.recipients(deadline, ("head",), now)] == [
        "deputy@example.org"
    ]
    later = now + timedelta(days=20)
    assert [u.email for u in reminders.recipients(deadline, ("head",), later)] == [
        "head@example.org"
    ]


def test_inactive_people_and_unknown_groups_receive_nothing(app, team, make_process):
    _, deadline = _contact(make_process)
    team["head"].is_active = False
    db.session.commit()
    now = clock.utcnow()
    assert reminders.recipients(deadline, ("head", "no_such_group"), now) == []


def test_a_completed_step_cancels_its_reminders(app, team, make_process, smtp, tick):
    process, deadline = _contact(make_process)
    records.record_external(process.id, "partner_reply", "positive", today(), team["staff"])
    db.session.commit()
    assert {r.status for r in reminders_of(deadline)} == {"cancelled"}
    advance(T0 + timedelta(days=45), timedelta(hours=6), tick)
    assert not [
        m for m in smtp.keyed("reminder:") if "Ουμεό" in m.subject and "Διερευν" in m.subject
    ]
    assert all(r.status == "cancelled" for r in reminders_of(deadline))


def test_extending_a_deadline_moves_its_reminders_and_calendar_entry(
    app, team, make_process, smtp, tick
):
    _, deadline = _contact(make_process)
    before = {r.rung: r.fire_dt for r in reminders_of(deadline, "pending")}
    old_due, uid = deadline.due_dt, deadline.uid
    advance(T0 + timedelta(days=10), timedelta(hours=6), tick)
    new_day = to_local(old_due).date() + timedelta(days=21)
    deadlines.extend(deadline.id, new_day, "The partner asked for more time", team["head"])
    db.session.commit()

    pending = {r.rung: r.fire_dt for r in reminders_of(deadline, "pending")}
    assert set(pending) == set(DEFAULT_RUNGS)
    assert all(pending[k] > before[k] for k in DEFAULT_RUNGS)
    assert deadline.sequence == 1

    # The owner's calendar entry is updated in place: same UID, higher SEQUENCE, new date.
    moved = [m for m in smtp.received if m.key.startswith("moved-deadline:")]
    jobs.send_outbox()
    moved = smtp.keyed("moved-deadline:")
    assert [m.rcpt for m in moved] == [["staff@example.org"]]
    event = Calendar.from_ical(moved[0].attachment()).walk("VEVENT")[0]
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == new_day

    advance(T0 + timedelta(days=70), timedelta(hours=2), tick)
    sent = reminders_of(deadline, "sent")
    assert sorted(r.fire_dt for r in sent) == sorted(pending.values())
    for row in sent:
        assert len(smtp.keyed(f"reminder:{row.id}:")) >= 1
    assert not smtp.duplicates()


def test_a_claimed_reminder_made_stale_by_an_extension_is_dropped(app, team, make_process):
    _, deadline = _contact(make_process)
    first = reminders_of(deadline, "pending")[0]
    clock.freeze(first.fire_dt)
    assert reminders.claim_due(clock.utcnow(), "worker-a") == [first.id]
    db.session.commit()
    new_day = to_local(deadline.due_dt).date() + timedelta(days=30)
    deadlines.extend(deadline.id, new_day, "More time", team["head"])
    db.session.commit()
    assert reminders.process(first.id, clock.utcnow(), "worker-a") == 0
    db.session.commit()
    assert db.session.get(Reminder, first.id).status == "cancelled"
    assert outbox(f"reminder:{first.id}:") == []


def appeal_window_at_t0(team, make_process) -> Deadline:
    """Vilnius's council approves at T0, posted that day: its statutory appeal window opens."""
    clock.freeze(T0)
    process = make_process("vilnius")
    to_council(process, team["staff"])
    council_approves(process, team["staff"], today())
    return db.session.scalars(
        sa.select(Deadline).where(Deadline.process_id == process.id, Deadline.kind == "appeal")
    ).one()


def test_the_appeal_window_announces_its_opening_and_its_closing(
    app, team, make_process, smtp, tick
):
    window = appeal_window_at_t0(team, make_process)
    assert window.kind == "appeal" and window.is_statutory
    advance(T0 + timedelta(days=20), timedelta(hours=3), tick)

    opening, closing = reminders_of(window)
    assert (opening.kind, closing.kind) == ("opening", "closing")
    assert opening.status == closing.status == "sent"
    [opened] = smtp.keyed(f"reminder:{opening.id}:")
    [closed] = smtp.keyed(f"reminder:{closing.id}:")
    assert opened.rcpt == closed.rcpt == ["staff@example.org"]
    assert "Δεν μπορεί να συντομευθεί" in opened.text()
    # The morning after its last day (it ended at 23:59): it has closed, and says so.
    assert closing.fire_dt > window.due_dt
    assert to_local(closing.sent_dt).date() == to_local(window.due_dt).date() + timedelta(days=1)
    assert to_local(closing.fire_dt).hour == 8 and closing.sent_dt >= closing.fire_dt
    assert closed.subject.startswith("Έληξε:") and "έληξε" in closed.text()
    assert "23:59" in closed.text() and "λήγει σήμερα" not in closed.text()


def test_a_closing_notice_sent_before_the_end_says_closes_today(
    app, team, make_process, smtp, tick
):
    """A window whose stored ladder announces its last morning (opened before the rule)."""
    window = appeal_window_at_t0(team, make_process)
    ladder = records.APPEAL_LADDER.to_dict()
    ladder["rungs"][1]["offset"] = 0
    window.ladder = ladder
    deadlines.retime(window, clock.utcnow())
    db.session.commit()
    advance(T0 + timedelta(days=20), timedelta(hours=3), tick)
    closing = next(r for r in reminders_of(window) if r.kind == "closing" and r.status == "sent")
    assert to_local(closing.sent_dt).date() == to_local(window.due_dt).date()
    [closed] = smtp.keyed(f"reminder:{closing.id}:")
    assert "Λήγει σήμερα" in closed.subject and "λήγει σήμερα" in closed.text()


def test_repeating_ladders_are_topped_up_ahead(app, team, make_process):
    clock.freeze(T0)
    process = make_process("umea")
    ladder = Ladder(rungs=(), repeat_every_days=30)
    timer = deadlines.open_timer(process, "report", today(), DeadlineSpec(30, "calendar"), ladder)
    db.session.commit()
    stored = [r.fire_dt for r in reminders_of(timer)]
    assert stored and max(stored) <= T0 + timedelta(days=70)
    clock.freeze(T0 + timedelta(days=100))
    added = reminders.top_up(clock.utcnow())
    db.session.commit()
    assert added >= 3
    moments = [r.fire_dt for r in reminders_of(timer)]
    assert len(moments) == len(set(moments))
    assert max(moments) >= T0 + timedelta(days=190)
    assert min(m for m in moments if m not in stored) > clock.utcnow() - timedelta(days=1)
    assert reminders.top_up(clock.utcnow()) == 0


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_a_while(
    app, team, make_process, smtp, tick
):
    _, deadline = _contact(make_process)
    first = reminders_of(deadline, "pending")[0]
    clock.freeze(first.fire_dt + timedelta(minutes=1))
    assert reminders.claim_due(clock.utcnow(), "dead-worker") == [first.id]
    db.session.commit()  # the worker dies here: claimed, nothing queued

    tick()
    assert smtp.keyed(f"reminder:{first.id}:") == []
    clock.shift(reminders.STALE_CLAIM + timedelta(minutes=1))
    tick()
    tick()
    assert len(smtp.keyed(f"reminder:{first.id}:")) == 1
    row = db.session.get(Reminder, first.id)
    db.session.refresh(row)
    assert row.status == "sent" and row.claimed_by != "dead-worker"


def test_the_sweep_query_uses_the_due_index(app):
    """The claim reads (status, fire_dt) from the index, never the whole table."""
    if db.engine.dialect.name != "sqlite":
        return
    stmt = (
        sa.select(Reminder.id)
        .where(Reminder.status == "pending", Reminder.fire_dt <= T0)
        .order_by(Reminder.fire_dt, Reminder.id)
        .limit(200)
    )
    sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(
        str(row[-1]) for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))
    )
    assert "ix_reminder_due" in plan and "SCAN reminder" not in plan.replace("USING INDEX", ""), (
        plan
    )
