"""120 simulated days with the demo's twinnings: every expected reminder arrives exactly once.

The clock moves in two-hour steps; at each step the scheduler's jobs run as they
would in production and a real SMTP server receives the mail. Along the way
the office works the files (a council vote opens the appeal window, a deadline
is extended, a partner replies) and a scheduler dies holding claims.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tracker import clock
from tracker.domain.calendar import calendar_for
from tracker.domain.ladders import fire_times, repeat_times
from tracker.extensions import db
from tracker.models import Deadline, DeadlineExtension, OutboxMessage, Process, Reminder, User
from tracker.seed import seed_demo
from tracker.services import deadlines, reminders

from .conftest import T0
from .helpers import council_approves, external, open_deadline, today

DAYS = 120
STEP = timedelta(hours=2)


def _expected(deadline: Deadline, start: datetime, end: datetime) -> set[tuple[str, datetime]]:
    """What the ladder asks for between ``start`` and ``end`` (independent of the rows)."""
    ladder = deadlines.ladder_of(deadline)
    if ladder is None:
        return set()
    cal = calendar_for(deadline.countries.split(","))
    moved = db.session.scalar(
        sa.select(sa.func.max(DeadlineExtension.created_dt)).where(
            DeadlineExtension.deadline_id == deadline.id
        )
    )
    lower = max(start, deadline.start_dt, moved or start)
    upper = min(end, deadline.closed_dt) if deadline.kind == "step" and deadline.closed_dt else end
    wanted = {(r.key, at) for r, at in fire_times(ladder, deadline.start_dt, deadline.due_dt, cal)}
    if ladder.repeat_every_days:
        wanted |= {("repeat", at) for at in repeat_times(ladder, deadline.start_dt, end, cal=cal)}
    return {(key, at) for key, at in wanted if lower < at <= upper}


@pytest.mark.slow
def test_120_days_of_demo_twinnings(app, smtp, tick):
    clock.freeze(T0)
    files = seed_demo()
    db.session.commit()
    clock.freeze(T0)
    staff = db.session.scalars(sa.select(User).where(User.email.startswith("staff@"))).one()
    head = db.session.scalars(sa.select(User).where(User.email.startswith("head@"))).one()

    def work(day: int) -> None:
        if day == 2:  # Vilnius: the council approves; the appeal window opens
            council_approves(db.session.get(Process, files["vilnius"]), staff, today())
        elif day == 12:  # Umeå: the committee needs three more weeks
            drafting = open_deadline(db.session.get(Process, files["umea"]), "drafting")
            new_day = today() + timedelta(days=35)
            deadlines.extend(drafting.id, new_day, "Committee meeting moved", head)
            db.session.commit()
        elif day == 25:  # Strovolos: the partner replied; on to the letter of intent
            external(
                db.session.get(Process, files["strovolos"]), "partner_reply", "positive", staff
            )
        elif day == 50:  # a scheduler claims what is due and dies before handling it
            reminders.claim_due(clock.utcnow(), "scheduler-that-died")
            db.session.commit()

    end = T0 + timedelta(days=DAYS)
    now, done = T0, set()
    while now < end:
        now += STEP
        clock.freeze(now)
        day = (now - T0).days
        if day not in done:
            done.add(day)
            work(day)
        tick()
    tick()

    # Nothing due was lost; nothing was left claimed.
    left = db.session.scalars(
        sa.select(Reminder).where(
            Reminder.fire_dt <= end, Reminder.status.in_(("pending", "claimed"))
        )
    ).all()
    assert left == []

    # Every message written was delivered exactly once, and nothing else arrived.
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.created_dt > T0)).all()
    assert {r.status for r in rows} == {"sent"}
    received = Counter(m.message_id for m in smtp.received)
    assert set(received.values()) == {1}
    assert sorted(received) == sorted(r.message_id for r in rows)

    # Every rung the ladders ask for in these 120 days was sent, to at least one person.
    sent = {
        (r.deadline_id, r.rung, r.fire_dt): r
        for r in db.session.scalars(sa.select(Reminder).where(Reminder.status == "sent"))
    }
    expected = 0
    for deadline in db.session.scalars(sa.select(Deadline)):
        for rung, at in _expected(deadline, T0, end):
            expected += 1
            reminder = sent.get((deadline.id, rung, at))
            assert reminder is not None, (deadline.id, deadline.state, rung, at)
            assert smtp.keyed(f"reminder:{reminder.id}:"), (deadline.state, rung)
    assert expected >= 30

    by_kind = Counter(r.kind for r in sent.values() if T0 < r.fire_dt <= end)
    assert {"before", "due", "overdue", "escalation", "opening", "closing"} <= set(by_kind)
    assert any(m.subject.startswith("Reminder") for m in smtp.keyed("reminder:"))  # English
    assert any(m.subject.startswith("Υπενθύμιση") for m in smtp.keyed("reminder:"))  # Greek
