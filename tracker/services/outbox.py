"""Queueing email as outbox rows, in the same transaction as the change they report."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from ..extensions import db
from ..models import OutboxMessage, Process, User


def single_line(text: str, limit: int = 250) -> str:
    """Fold CR/LF and other controls away: a header can never gain a line."""
    cleaned = "".join(
        " " if (ch in "\r\n" or ord(ch) < 32 or ord(ch) == 127) else ch for ch in text
    )
    return " ".join(cleaned.split())[:limit]


def enqueue(
    user: User,
    key: str,
    subject: str,
    text: str,
    html: str = "",
    category: str = "notice",
    process: Process | None = None,
    ics: str | None = None,
    urgent: bool = False,
) -> OutboxMessage | None:
    """Add one message for ``user`` unless one with the same idempotency key exists."""
    if not user.is_active or not user.email:
        return None
    key = f"{key}:u{user.id}"
    exists = db.session.scalar(
        sa.select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
    )
    if exists:
        return None
    digest = "immediate" if urgent else user.notify
    message = OutboxMessage(
        idempotency_key=key,
        message_id=f"<{uuid.uuid4().hex}@twinning-tracker>",
        user_id=user.id,
        to_addr=single_line(user.email, 254),
        to_name=single_line(user.name, 120),
        subject=single_line(subject, 250),
        text_body=text,
        html_body=html,
        ics=ics,
        category=category,
        digest=digest,
        process_id=process.id if process else None,
    )
    db.session.add(message)
    return message
