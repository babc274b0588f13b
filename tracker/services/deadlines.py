"""Deadlines and their reminder rows, always changed in the same transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import cast

import sqlalchemy as sa

from .. import clock
from ..domain.calendar import (
    DeadlineSpec,
    StatutoryShortening,
    WorkingCalendar,
    calendar_for,
    compute_due,
    extend_due,
    local_to_utc,
    to_local,
)
from ..domain.ladders import DEFAULT_LADDER, Ladder, fire_times, repeat_times
from ..domain.text import LANGUAGES, Reason, Text, day_text, weekday_text
from ..extensions import db
from ..models import Deadline, DeadlineExtension, Process, Reminder, Step, User
from . import audit
from .errors import Invalid, NotFound, Refused
from .locking import lock_process
from .permissions import require

#: How far ahead repeating reminders are materialised (the sweep tops them up).
REPEAT_HORIZON_DAYS = 400

#: The ``holidays`` package's language for each of ours (it has no plain "en").
HOLIDAY_LANGUAGES = {"el": "el", "en": "en_US"}


def _countries(process: Process) -> tuple[str, ...]:
    return ("GR", "CY") if process.partner.country == "CY" else ("GR",)


def open_for_step(
    process: Process, step: Step, spec: DeadlineSpec, ladder: Ladder | None, now: datetime
) -> Deadline:
    """Create a step's deadline, computed in working or calendar days, with its reminders."""
    countries = _countries(process)
    due = compute_due(now, spec, calendar_for(countries))
    deadline = Deadline(
        process_id=process.id,
        step_id=step.id,
        kind="step",
        state=step.state,
        start_dt=now,
        due_dt=due,
        original_due_dt=due,
        unit=spec.unit,
        is_statutory=spec.statutory,
        ladder=(ladder or DEFAULT_LADDER).to_dict(),
        countries=",".join(countries),
        uid=f"deadline-{uuid.uuid4()}@twinning-tracker",
    )
    db.session.add(deadline)
    db.session.flush()
    schedule(deadline)
    return deadline


def open_timer(
    process: Process,
    kind: str,
    start_day: date,
    spec: DeadlineSpec,
    ladder: Ladder | None,
    state: str | None = None,
) -> Deadline:
    """A timer that is not a step: the statutory appeal window, an expiry, a review."""
    countries = _countries(process)
    start = local_to_utc(start_day, time(0, 0))
    due = compute_due(start, spec, calendar_for(countries))
    deadline = Deadline(
        process_id=process.id,
        kind=kind,
        state=state,
        start_dt=start,
        due_dt=due,
        original_due_dt=due,
        unit=spec.unit,
        is_statutory=spec.statutory,
        ladder=ladder.to_dict() if ladder else None,
        countries=",".join(countries),
        uid=f"{kind}-{uuid.uuid4()}@twinning-tracker",
    )
    db.session.add(deadline)
    db.session.flush()
    schedule(deadline)
    return deadline


def ladder_of(deadline: Deadline) -> Ladder | None:
    return Ladder.from_dict(deadline.ladder) if deadline.ladder else None


def moments(deadline: Deadline) -> list[tuple[str, str, datetime]]:
    """(rung, kind, moment) of every reminder the deadline's ladder asks for."""
    ladder = ladder_of(deadline)
    if ladder is None:
        return []
    cal = calendar_for(deadline.countries.split(","))
    found: list[tuple[str, str, datetime]] = [
        (r.key, r.kind, at) for r, at in fire_times(ladder, deadline.start_dt, deadline.due_dt, cal)
    ]
    if ladder.repeat_every_days:
        horizon = max(deadline.due_dt, deadline.start_dt) + (deadline.due_dt - deadline.start_dt)
        horizon = min(horizon, deadline.start_dt + timedelta(days=REPEAT_HORIZON_DAYS))
        found += [
            ("repeat", "reminder", at)
            for at in repeat_times(ladder, deadline.start_dt, horizon, cal=cal)
        ]
    return found


def schedule(deadline: Deadline) -> int:
    """Materialise the ladder as reminder rows (unique per deadline, rung and moment).

    One Core ``INSERT`` with every row (an executemany): nothing reads them back in the
    transaction that makes them, so no ORM objects are built. Returns how many.
    """
    rows = [
        {"deadline_id": deadline.id, "rung": key, "kind": kind, "fire_dt": at}
        for key, kind, at in moments(deadline)
    ]
    if rows:
        db.session.execute(sa.insert(cast(sa.Table, Reminder.__table__)), rows)
    return len(rows)


def retime(deadline: Deadline, now: datetime) -> None:
    """Bring the reminder rows in line with a moved due date, in the same transaction.

    Pending rows whose moment is no longer wanted are cancelled; rows that still
    fit (a rung counted from the start) are kept as they are; new moments are
    added unless already past. Rows already sent stay sent: nobody gets the same
    reminder twice, and the unique (deadline, rung, moment) key is never hit.
    """
    wanted = {(key, at): kind for key, kind, at in moments(deadline)}
    existing = {
        (r.rung, r.fire_dt): r
        for r in db.session.scalars(sa.select(Reminder).where(Reminder.deadline_id == deadline.id))
    }
    for key, row in existing.items():
        if row.status == "pending" and key not in wanted:
            row.status = "cancelled"
        elif row.status == "cancelled" and key in wanted and row.fire_dt >= now:
            row.status = "pending"
    db.session.add_all(
        Reminder(deadline_id=deadline.id, rung=rung, kind=kind, fire_dt=at)
        for (rung, at), kind in wanted.items()
        if (rung, at) not in existing and at >= now
    )
    db.session.flush()


def cancel_pending(deadline: Deadline) -> int:
    result = db.session.execute(
        sa.update(Reminder)
        .where(Reminder.deadline_id == deadline.id, Reminder.status == "pending")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def close(deadline: Deadline, now: datetime, status: str = "met") -> None:
    deadline.status = status
    deadline.closed_dt = now
    cancel_pending(deadline)


def close_for_step(step: Step, now: datetime) -> None:
    for deadline in db.session.scalars(
        sa.select(Deadline).where(Deadline.step_id == step.id, Deadline.status == "open")
    ):
        close(deadline, now)


def _refusal(deadline: Deadline, new_day: date, new_due: datetime, now: datetime) -> Reason | None:
    """Why ``deadline`` cannot move to ``new_day`` (due at ``new_due``), or None if it can.

    The same date is no move (it would mail a calendar update for nothing); a day
    already past would leave the file overdue with every reminder behind it; a
    working-days deadline ends on a working day of its countries' calendar, as
    :func:`compute_due` sets it.
    """
    if new_due == deadline.due_dt:
        return Reason("deadline_unchanged")
    spec = DeadlineSpec(1, deadline.unit, deadline.is_statutory)  # type: ignore[arg-type]
    floor = deadline.start_dt if deadline.start_dt > now else None
    try:
        extend_due(deadline.due_dt, new_due, spec, not_before=floor)
    except StatutoryShortening:
        return Reason("statutory_shortening")
    except ValueError:
        return Reason("date_order", {"after": day_text(to_local(deadline.start_dt).date())})
    if new_due <= now:
        return Reason("deadline_past", {"today": day_text(to_local(now).date())})
    if deadline.unit == "working":
        return _day_off(calendar_for(deadline.countries.split(",")), new_day)
    return None


def _day_off(cal: WorkingCalendar, day: date) -> Reason | None:
    """Why ``day`` is not a working day (the holiday by name, or the weekend), or None."""
    if cal.is_working_day(day):
        return None
    params: dict[str, Text] = {"day": day_text(day)}
    if cal.is_holiday(day):
        names = {lang: cal.holiday_name(day, HOLIDAY_LANGUAGES[lang]) or "" for lang in LANGUAGES}
        if all(names.values()):
            return Reason("holiday", {**params, "name": names})
    if day.weekday() >= 5:
        return Reason("weekend_day", {**params, "weekday": weekday_text(day)})
    return Reason("not_working_day", params)


def extend(
    deadline_id: int,
    new_due_day: date,
    reason: str,
    actor: User,
    seen_version: int | None = None,
) -> Deadline:
    """Move a deadline with a reason; reminders are re-timed and the calendar entry updated."""
    require(actor, "deadline.extend")
    deadline = db.session.get(Deadline, deadline_id)
    if deadline is None:
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(fields={"reason": [Reason("required")]})
    if len(reason) > 2000:
        raise Invalid(fields={"reason": [Reason("too_long", {"max": 2000})]})
    process = lock_process(deadline.process_id, seen_version)
    db.session.refresh(deadline)
    if deadline.status != "open":
        raise Refused([Reason("deadline_closed")])
    local_due = to_local(deadline.due_dt)
    new_due = local_to_utc(new_due_day, local_due.time().replace(second=0, microsecond=0))
    refusal = _refusal(deadline, new_due_day, new_due, clock.utcnow())
    if refusal is not None:
        raise Invalid(fields={"new_due": [refusal]})
    old = deadline.due_dt
    db.session.add(
        DeadlineExtension(
            deadline_id=deadline.id,
            old_due_dt=old,
            new_due_dt=new_due,
            reason=reason,
            actor_id=actor.id,
        )
    )
    deadline.due_dt = new_due
    deadline.sequence += 1
    db.session.flush()
    retime(deadline, clock.utcnow())
    audit.record(
        "deadline.extend",
        actor,
        process,
        deadline,
        data={"old": old.isoformat(), "new": new_due.isoformat(), "reason": reason},
    )
    from . import notifications

    notifications.deadline_moved(process, deadline, old, actor)
    db.session.flush()
    return deadline


def open_deadlines(process: Process) -> list[Deadline]:
    return list(
        db.session.scalars(
            sa.select(Deadline)
            .where(Deadline.process_id == process.id, Deadline.status == "open")
            .order_by(Deadline.due_dt)
        )
    )


def close_elapsed_timers(now: datetime) -> list[int]:
    """Timers (appeal windows, expiries) are met once their moment passes.

    Returns the files concerned, so the caller can let automatic transitions
    that waited on them (e.g. "ready to sign") happen.
    """
    timers = list(
        db.session.scalars(
            sa.select(Deadline).where(
                Deadline.status == "open", Deadline.kind != "step", Deadline.due_dt <= now
            )
        )
    )
    for timer in timers:
        timer.status = "met"
        timer.closed_dt = now
    db.session.flush()
    return sorted({t.process_id for t in timers})
