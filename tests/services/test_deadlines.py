"""Moving a deadline: a reason, never shortening a statutory one, reminders re-timed at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker import clock
from tracker.domain.calendar import to_local
from tracker.domain.text import Reason
from tracker.extensions import db
from tracker.models import (
    AuditLog,
    Deadline,
    DeadlineExtension,
    OutboxMessage,
    Process,
    Reminder,
    User,
)
from tracker.services import deadlines, processes
from tracker.services.errors import Forbidden, Invalid, Refused

from .support import act, approve_all, council, external, pass_time, snapshot, to_council, today

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> None:
    clock.freeze(START)


def open_deadline(process: Process, kind: str = "step", state: str | None = None) -> Deadline:
    stmt = sa.select(Deadline).where(
        Deadline.process_id == process.id, Deadline.kind == kind, Deadline.status == "open"
    )
    if state:
        stmt = stmt.where(Deadline.state == state)
    return db.session.scalars(stmt).one()


def reminders(deadline: Deadline) -> dict[tuple[str, datetime], str]:
    rows = db.session.scalars(sa.select(Reminder).where(Reminder.deadline_id == deadline.id))
    return {(r.rung, r.fire_dt): r.status for r in rows}


def in_contact(make_process: Callable[..., Process]) -> tuple[Process, Deadline]:
    """Umeå's file in exploratory contact (30 calendar days, default ladder), and its deadline."""
    process = make_process("umea")
    approve_all(process)
    return process, open_deadline(process)


def voted(process: Process, team: dict[str, User]) -> Process:
    """The file carried to the council, which approves it."""
    to_council(process, team)
    council(process, team["staff"])
    return process


def test_extension_needs_a_reason_and_the_right_role(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    _, deadline = in_contact(make_process)
    later = to_local(deadline.due_dt).date() + timedelta(days=10)
    before = snapshot()
    with pytest.raises(Invalid) as invalid:
        act(deadlines.extend, deadline.id, later, "   ", team["staff"])
    assert invalid.value.fields["reason"][0].code == "required"
    with pytest.raises(Forbidden):
        act(deadlines.extend, deadline.id, later, "partner asked", team["viewer"])
    with pytest.raises(Forbidden):
        act(deadlines.extend, deadline.id, later, "partner asked", team["mayor"])
    with pytest.raises(Invalid) as invalid:
        act(deadlines.extend, deadline.id, START.date() - timedelta(days=1), "x", team["staff"])
    assert invalid.value.fields["new_due"][0].code == "deadline_past"
    assert snapshot() == before


def test_extension_retimes_reminders_and_keeps_both_dates(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Scenario 6: the partner asks for a later date; reminders follow, history keeps both."""
    process, deadline = in_contact(make_process)
    old_due = deadline.due_dt
    old = reminders(deadline)
    assert old and set(old.values()) == {"pending"}
    new_day = to_local(old_due).date() + timedelta(days=21)

    act(deadlines.extend, deadline.id, new_day, "Ο εταίρος ζήτησε νέα ημερομηνία.", team["staff"])

    db.session.refresh(deadline)
    assert to_local(deadline.due_dt).date() == new_day
    assert to_local(deadline.due_dt).time() == to_local(old_due).time()
    assert deadline.original_due_dt == old_due
    assert deadline.sequence == 1
    now = reminders(deadline)
    assert {k for k, v in now.items() if v == "cancelled"} == set(old)
    fresh = {k for k, v in now.items() if v == "pending"}
    assert fresh and all(at > old_due - timedelta(days=10) for _, at in fresh)
    assert {rung for rung, _ in fresh} == {rung for rung, _ in old}
    (extension,) = db.session.scalars(
        sa.select(DeadlineExtension).where(DeadlineExtension.deadline_id == deadline.id)
    ).all()
    assert (extension.old_due_dt, extension.new_due_dt) == (old_due, deadline.due_dt)
    assert extension.actor_id == team["staff"].id
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "deadline.extend")).one()
    assert row.data["old"] == old_due.isoformat()
    assert row.data["new"] == deadline.due_dt.isoformat()
    assert row.data["reason"] == "Ο εταίρος ζήτησε νέα ημερομηνία."
    assert row.process_id == process.id


def test_extension_and_reminders_are_one_transaction(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    _, deadline = in_contact(make_process)
    before = snapshot()
    old = reminders(deadline)
    deadlines.extend(deadline.id, START.date() + timedelta(days=50), "later", team["staff"])
    assert reminders(deadline) != old  # visible inside the transaction...
    db.session.rollback()  # ...and gone with it, all together
    assert snapshot() == before
    assert reminders(deadline) == old


def test_moving_back_and_forth_never_duplicates_a_reminder(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    _, deadline = in_contact(make_process)
    original = to_local(deadline.due_dt).date()
    first = min(
        db.session.scalars(sa.select(Reminder).where(Reminder.deadline_id == deadline.id)),
        key=lambda r: r.fire_dt,
    )
    first.status, first.sent_dt = "sent", clock.utcnow()  # the "5 days before" went out
    db.session.commit()
    act(deadlines.extend, deadline.id, original + timedelta(days=14), "later", team["staff"])
    act(deadlines.extend, deadline.id, original, "back again", team["staff"])
    rows = reminders(deadline)
    assert rows[(first.rung, first.fire_dt)] == "sent"  # not re-sent, not duplicated
    pending = sorted(k for k, v in rows.items() if v == "pending")
    assert len(pending) == len(set(pending)) == len(DEFAULT_RUNGS) - 1


DEFAULT_RUNGS = ("before_5", "before_1", "due", "overdue_2", "overdue_5", "escalation")


def test_a_ladder_counted_from_the_start_survives_an_extension(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Ministry reminders at 30 and 45 days from the request do not move with the due date."""
    process = voted(make_process("umea"), team)
    deadline = open_deadline(process, state="ministry_review")
    old = reminders(deadline)
    assert {rung for rung, _ in old} == {"day30", "day45", "escalation"}
    act(
        deadlines.extend,
        deadline.id,
        to_local(deadline.due_dt).date() + timedelta(days=30),
        "The committee meets later.",
        team["head"],
    )
    assert reminders(deadline) == old
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.idempotency_key.like(f"moved-deadline:{deadline.id}:1:%"))
    )


def test_a_statutory_window_can_grow_but_never_shrink(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = voted(make_process("nea_ionia"), team)
    window = open_deadline(process, kind="appeal")
    assert window.is_statutory
    due_day = to_local(window.due_dt).date()
    assert due_day == today() + timedelta(days=15)
    before = snapshot()
    with pytest.raises(Invalid) as invalid:
        act(deadlines.extend, window.id, due_day - timedelta(days=1), "typo", team["head"])
    assert invalid.value.fields["new_due"][0].code == "statutory_shortening"
    assert snapshot() == before
    act(deadlines.extend, window.id, due_day + timedelta(days=2), "posted late", team["head"])
    db.session.refresh(window)
    assert window.due_dt > window.original_due_dt
    window.due_dt = window.original_due_dt - timedelta(days=1)  # the database refuses it too
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_closed_deadline_cannot_move(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process, deadline = in_contact(make_process)
    external(process, team["staff"], "partner_reply", "positive")
    db.session.refresh(deadline)
    assert deadline.status == "met"
    with pytest.raises(Refused) as refused:
        act(deadlines.extend, deadline.id, START.date() + timedelta(days=90), "x", team["staff"])
    assert [r.code for r in refused.value.reasons] == ["deadline_closed"]


def test_elapsed_timers_close_and_wake_their_files(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = voted(make_process("nea_ionia"), team)
    window = open_deadline(process, kind="appeal")
    assert pass_time(14) == []
    assert pass_time(2) == [process.id]
    db.session.refresh(window)
    assert window.status == "met"
    assert pass_time(1) == []
    assert processes.active_states(process) == {"partner_approval"}


def test_a_deadline_moved_earlier_says_so_and_updates_the_movers_calendar_too(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Not an «extension»: history and email say «moved earlier»; the owner who moved it,
    who holds the calendar entry, gets the replacing entry (same UID, SEQUENCE 1)."""
    from tracker.services import history

    process, deadline = in_contact(make_process)  # owned by staff
    earlier = to_local(deadline.due_dt).date() - timedelta(days=7)

    act(deadlines.extend, deadline.id, earlier, "Η τελετή μετατέθηκε νωρίτερα.", team["staff"])

    (mail,) = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.user_id == team["staff"].id,
            OutboxMessage.idempotency_key.like(f"moved-deadline:{deadline.id}:%"),
        )
    ).all()
    assert mail.subject.startswith("Μετακίνηση προθεσμίας νωρίτερα:")
    assert "νωρίτερα" in mail.text_body and "παράτ" not in mail.text_body.lower()
    assert mail.ics is not None and deadline.uid in mail.ics and "SEQUENCE:1" in mail.ics
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "deadline.extend")).one()
    assert history.describe(row, process.definition, "el").label == "Μετακίνηση προθεσμίας νωρίτερα"
    assert history.describe(row, process.definition, "en").label == "Deadline moved earlier"

    later = earlier + timedelta(days=30)
    act(deadlines.extend, deadline.id, later, "Ο εταίρος ζήτησε χρόνο.", team["staff"])
    rows = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "deadline.extend").order_by(AuditLog.id)
    ).all()
    assert history.describe(rows[-1], process.definition, "el").label == "Παράταση προθεσμίας"


def refusal(deadline: Deadline, day: date, actor: User) -> Reason:
    """The one reason ``deadline`` may not move to ``day``; nothing changed, nothing mailed."""
    before, rows = snapshot(), reminders(deadline)
    due, sequence = deadline.due_dt, deadline.sequence
    with pytest.raises(Invalid) as invalid:
        act(deadlines.extend, deadline.id, day, "the partner asked", actor)
    assert snapshot() == before and reminders(deadline) == rows
    db.session.refresh(deadline)
    assert (deadline.due_dt, deadline.sequence) == (due, sequence)
    assert list(invalid.value.fields) == ["new_due"] and not invalid.value.reasons
    (reason,) = invalid.value.fields["new_due"]
    return reason


def test_a_deadline_is_never_moved_to_a_day_already_past(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """The file would be overdue at once and every reminder cancelled with none re-made."""
    _, deadline = in_contact(make_process)
    pass_time(10)  # 12 Mar 2026: the step started ten days ago
    reason = refusal(deadline, today() - timedelta(days=1), team["staff"])
    assert reason.code == "deadline_past"
    assert reason.text("el") == (
        "Η ημερομηνία έχει ήδη περάσει (σήμερα είναι 12 Μαρ 2026): επιλέξτε μεταγενέστερη."
    )
    assert reason.text("en") == (
        "That date has already passed (today is 12 Mar 2026); choose a later one."
    )
    assert refusal(deadline, START.date() + timedelta(days=1), team["staff"]).code == (
        "deadline_past"
    )
    act(deadlines.extend, deadline.id, today(), "the partner answers today", team["staff"])
    db.session.refresh(deadline)
    assert to_local(deadline.due_dt).date() == today()
    assert [k for k, v in reminders(deadline).items() if v == "pending"]


def test_today_is_counted_in_athens(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """00:30 in Athens is still the day before in UTC: that UTC day is already past here."""
    clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    _, deadline = in_contact(make_process)
    clock.freeze(datetime(2026, 3, 9, 22, 30, tzinfo=UTC))  # 10 Mar, 00:30 in Athens
    reason = refusal(deadline, date(2026, 3, 9), team["staff"])
    assert reason.code == "deadline_past" and "10 Mar 2026" in reason.text("en")


def test_the_date_it_already_has_is_no_move(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """No history line «X → X», no email, no calendar update: the field says why."""
    _, deadline = in_contact(make_process)
    reason = refusal(deadline, to_local(deadline.due_dt).date(), team["staff"])
    assert reason.code == "deadline_unchanged"
    assert reason.text("el") == "Αυτή είναι ήδη η προθεσμία· επιλέξτε άλλη ημερομηνία."
    assert reason.text("en") == "This is already the deadline; choose another date."
    assert not db.session.scalars(sa.select(DeadlineExtension)).all()


def test_a_working_days_deadline_moves_only_to_a_working_day(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Counted in working days, it ends on one: not on a weekend, not on a public holiday."""
    process = make_process("umea")
    to_council(process, team)
    deadline = open_deadline(process, state="council_decision")
    assert deadline.unit == "working" and deadline.countries == "GR"
    christmas = refusal(deadline, date(2026, 12, 25), team["staff"])
    assert christmas.code == "holiday"
    assert christmas.text("el") == (
        "Η 25 Δεκ 2026 είναι αργία (Χριστούγεννα), όχι εργάσιμη ημέρα· "
        "η προθεσμία μετρά σε εργάσιμες ημέρες."
    )
    assert christmas.text("en") == (
        "25 Dec 2026 is a public holiday (Christmas Day), not a working day; "
        "this deadline counts working days."
    )
    easter_monday = refusal(deadline, date(2026, 4, 13), team["staff"])
    assert "Δευτέρα του Πάσχα" in easter_monday.text("el")
    assert "Easter Monday" in easter_monday.text("en")
    saturday = refusal(deadline, date(2026, 4, 4), team["staff"])
    assert saturday.code == "weekend_day"
    assert saturday.text("el").startswith("Η 4 Απρ 2026 είναι Σάββατο, όχι εργάσιμη ημέρα")
    assert saturday.text("en").startswith("4 Apr 2026 is a Saturday, not a working day")
    act(deadlines.extend, deadline.id, date(2026, 4, 14), "after Easter", team["staff"])
    db.session.refresh(deadline)
    assert to_local(deadline.due_dt).date() == date(2026, 4, 14)


def test_a_cypriot_partners_holidays_count_too(
    frozen: None, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Cyprus National Day (1 April) is a working day in Greece, not for a Cypriot partner."""
    process = make_process("limassol")
    to_council(process, team)
    deadline = open_deadline(process, state="council_decision")
    assert deadline.countries == "GR,CY"
    reason = refusal(deadline, date(2026, 4, 1), team["staff"])
    assert reason.code == "holiday" and "Εθνική Ημέρα Κύπρου" in reason.text("el")
