"""Queueing email as outbox rows, in the same transaction as the change they report."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached

from .. import clock
from ..extensions import db
from ..models import OutboxMessage, Process, User


def single_line(text: str, limit: int = 250) -> str:
    """Fold CR/LF and other controls away: a header can never gain a line."""
    cleaned = "".join(
        " " if (ch in "\r\n" or ord(ch) < 32 or ord(ch) == 127) else ch for ch in text
    )
    return " ".join(cleaned.split())[:limit]


@cache
def _insert_once(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id``, built once
    per dialect (the values are parameters, so the compiled form is cached too)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(sa.Table, OutboxMessage.__table__)
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )


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
    """Add one message for ``user`` unless one with the same idempotency key exists.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING id``: no read first.
    """
    if not user.is_active or not user.email:
        return None
    key = f"{key}:u{user.id}"
    now = clock.utcnow()
    values = {
        "idempotency_key": key,
        "message_id": f"<{uuid.uuid4().hex}@twinning-tracker>",
        "user_id": user.id,
        "to_addr": single_line(user.email, 254),
        "to_name": single_line(user.name, 120),
        "subject": single_line(subject, 250),
        "text_body": text,
        "html_body": html,
        "ics": ics,
        "category": category,
        "digest": "immediate" if urgent else user.notify,
        "process_id": process.id if process else None,
        "status": "pending",
        "attempts": 0,
        "next_attempt_dt": now,
        "last_error": "",
        "created_dt": now,
        "sent_dt": None,
        "digest_id": None,
    }
    # The key's unique index decides, in the same statement: a second message with
    # the key (a retried job, a concurrent writer on PostgreSQL) inserts nothing.
    new_id = db.session.scalar(_insert_once(db.session.get_bind().dialect.name), values)
    if new_id is None:
        return None
    message = OutboxMessage(id=new_id, **values)
    make_transient_to_detached(message)  # the row exists: the object joins the session as it
    db.session.add(message)
    return message
