"""Queueing email as outbox rows, in the same transaction as the change they report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import load_only, make_transient_to_detached

from .. import clock
from ..domain.text import Reason
from ..extensions import db
from ..models import OutboxMessage, Process, User
from ..models.notify import OUTBOX_STATUS
from . import audit
from .errors import NotFound, Refused
from .permissions import require


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


# --- The office's view of the queue: what failed, sending it again, keeping it small -------

#: Bodies of messages sent longer ago than this are emptied by the housekeeping job.
RETENTION_DAYS = 365


@dataclass(frozen=True)
class Failed:
    """A failed message, and why it cannot simply be sent again (None: it can)."""

    message: OutboxMessage
    blocked: Reason | None


@dataclass(frozen=True)
class Overview:
    """What the mail page shows: counts per status and the messages that need a person."""

    counts: dict[str, int]
    failed: list[Failed]
    retrying: list[OutboxMessage]


def counts() -> dict[str, int]:
    """How many messages are in each status (every status named, zero included).

    A failed message the administrator dismissed is not counted: "failed" is what
    still waits for a person.
    """
    found = dict.fromkeys(OUTBOX_STATUS, 0)
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count())
        .where(sa.or_(OutboxMessage.status != "failed", OutboxMessage.dismissed_dt.is_(None)))
        .group_by(OutboxMessage.status)
    )
    found.update({status: int(n) for status, n in rows})
    return found


def overview(limit: int = 200) -> Overview:
    """Counts per status, the latest failed messages and those waiting for another try.

    Only the columns the page shows are loaded: bodies and attachments can be large.
    """
    light = (
        sa.select(OutboxMessage)
        .options(
            load_only(
                OutboxMessage.id,
                OutboxMessage.to_addr,
                OutboxMessage.to_name,
                OutboxMessage.subject,
                OutboxMessage.category,
                OutboxMessage.process_id,
                OutboxMessage.status,
                OutboxMessage.attempts,
                OutboxMessage.next_attempt_dt,
                OutboxMessage.last_error,
                OutboxMessage.created_dt,
                OutboxMessage.user_id,
            )
        )
        .order_by(OutboxMessage.created_dt.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    failed_rows = list(
        db.session.scalars(
            light.where(OutboxMessage.status == "failed", OutboxMessage.dismissed_dt.is_(None))
        )
    )
    ids = {m.user_id for m in failed_rows if m.user_id is not None}
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    failed = [Failed(m, _blocked(m, people.get(m.user_id or 0))) for m in failed_rows]
    retrying = list(
        db.session.scalars(
            light.where(
                OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.attempts > 0
            )
        )
    )
    return Overview(counts(), failed, retrying)


def _blocked(row: OutboxMessage, recipient: User | None) -> Reason | None:
    """Why ``row`` cannot go out again as it is: None when it can."""
    if row.category == "account":
        return Reason("mail_account_link")
    if row.user_id is not None and (recipient is None or not recipient.is_active):
        return Reason("mail_recipient_inactive")
    return None


def send_again(message_id: int, actor: User) -> OutboxMessage:
    """Put a failed message back in the queue, to its recipient's current address.

    The usual cure is a mended mail server or a corrected address on the account, so
    the address (and name) are read again from the account. The message keeps its
    idempotency key and ``Message-ID``: a mail program that already holds it sees the
    same message, not a second one. It goes at the sender's next run, not with a digest.
    Only a failed message can be sent again; never to a deactivated account, and never
    an invitation or password reset, whose link may have expired (the administrator
    sends a new one from the account's page).
    """
    require(actor, "mail.manage")
    row = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise NotFound()
    if row.status != "failed" or row.dismissed_dt is not None:
        raise Refused([Reason("mail_not_failed")])
    recipient = db.session.get(User, row.user_id) if row.user_id is not None else None
    blocked = _blocked(row, recipient)
    if blocked is not None:
        raise Refused([blocked])
    if recipient is not None:
        row.to_addr = single_line(recipient.email, 254)
        row.to_name = single_line(recipient.name, 120)
    error = row.last_error
    row.status, row.attempts, row.next_attempt_dt = "pending", 0, clock.utcnow()
    row.digest, row.last_error = "immediate", ""
    audit.record(
        "mail.send_again",
        actor,
        obj=row,
        data={"to": row.to_addr, "subject": row.subject, "last_error": error[:500]},
    )
    db.session.flush()
    return row


def dismiss(message_id: int, actor: User) -> OutboxMessage:
    """A failed message the administrator has dealt with otherwise: off the list and the
    alarm. It stays failed, as the record of what did not arrive; audited."""
    require(actor, "mail.manage")
    row = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if row is None:
        raise NotFound()
    if row.status != "failed" or row.dismissed_dt is not None:
        raise Refused([Reason("mail_not_failed")])
    row.dismissed_dt = clock.utcnow()
    audit.record(
        "mail.dismiss",
        actor,
        obj=row,
        data={"to": row.to_addr, "subject": row.subject, "last_error": row.last_error[:500]},
    )
    db.session.flush()
    return row


def send_all_again(actor: User) -> int:
    """Every failed message back in the queue (after the mail server is mended).

    Returns how many; one that cannot go as it is (``_blocked``) stays failed.
    """
    require(actor, "mail.manage")
    ids = list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "failed", OutboxMessage.dismissed_dt.is_(None))
            .order_by(OutboxMessage.id)
        )
    )
    sent = 0
    for message_id in ids:
        try:
            send_again(message_id, actor)
            sent += 1
        except Refused:
            continue  # one that cannot go as it is (see _blocked) stays failed; the rest go
    return sent


def empty_old_bodies(now: datetime, limit: int = 1000) -> int:
    """Empty the bodies and attachments of messages delivered before the retention (counted
    from delivery; from creation for one gathered into a digest); returns how many.

    The rows stay: their idempotency keys keep a prompt (a dormant file's, say) from
    being sent again, and who was told what and when stays on record. What grows is
    the text, the HTML and the .ics, and those are gone once the message is delivered.
    """
    days = int(current_app.config.get("OUTBOX_RETENTION_DAYS", RETENTION_DAYS))
    cut = now - timedelta(days=max(days, 0))
    ids = list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(
                OutboxMessage.status.in_(("sent", "digested")),
                sa.func.coalesce(OutboxMessage.sent_dt, OutboxMessage.created_dt) < cut,
                sa.or_(
                    OutboxMessage.text_body != "",
                    OutboxMessage.html_body != "",
                    OutboxMessage.ics.is_not(None),
                ),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
    if ids:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(text_body="", html_body="", ics=None)
            .execution_options(synchronize_session=False)
        )
    return len(ids)
