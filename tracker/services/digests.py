"""Daily and weekly digests: non-urgent mail waits and goes out as one message.

``outbox.enqueue`` marks a message ``digest="daily"`` or ``"weekly"`` when the
recipient asked for that and the message is not urgent (approval requests,
escalations and due or overdue reminders always go at once). The sender skips
such rows; the digest job gathers them into one message and marks them
``digested``, pointing at the digest that carried them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import OutboxMessage, User
from . import ical
from .mailtext import lang_of, render
from .outbox import enqueue

PERIODS = ("daily", "weekly")


def waiting(period: str) -> list[int]:
    """Users with messages waiting for this digest."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.user_id)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.digest == period,
                OutboxMessage.user_id.is_not(None),
            )
            .distinct()
            .order_by(OutboxMessage.user_id)
        )
    )


def _body(text: str) -> str:
    """A message's text without its signature (the digest has one of its own)."""
    return text.split("\n--\n", 1)[0].strip()


def compose(user_id: int, period: str, now: datetime) -> OutboxMessage | None:
    """Queue one digest with every waiting message of the user; returns it (None: nothing).

    The key is derived from the messages it carries, so running twice makes one.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown digest period {period!r}")
    user = db.session.get(User, user_id)
    rows = list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.user_id == user_id,
                OutboxMessage.status == "pending",
                OutboxMessage.digest == period,
            )
            .order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True)
        )
    )
    if user is None or not rows:
        return None
    if not user.is_active:
        for row in rows:
            row.status, row.last_error = "failed", "the account is inactive"
        db.session.flush()
        return None
    lang = lang_of(user)
    entries = [{"subject": r.subject, "text": _body(r.text_body)} for r in rows]
    text = render("digest", lang, user=user, period=period, entries=entries)
    ids = ",".join(str(r.id) for r in rows)
    key = f"digest:{period}:{hashlib.sha256(ids.encode()).hexdigest()[:24]}"
    message = enqueue(
        user,
        key,
        text.subject,
        text.text,
        text.html,
        category="digest",
        ics=ical.merge([r.ics for r in rows if r.ics]),
        urgent=True,
    )
    if message is None:
        return None
    db.session.flush()
    for row in rows:
        row.status, row.digest_id = "digested", message.id
    db.session.flush()
    return message
