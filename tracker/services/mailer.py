"""Delivering the outbox: SMTP with retries and exponential backoff, or ``.eml`` files.

The sender claims due rows (``sending``, one more attempt, a lease), reads them,
talks to the mail server outside any transaction, then records each outcome:
``sent``; ``pending`` again with a backoff; or ``failed`` (a permanent refusal
such as an unknown mailbox, or the last attempt). A sender that dies after the
server accepted a message but before recording it sends that message again once
its lease runs out: at most one duplicate, with the same ``Message-ID``.

Without ``MAIL_SERVER`` (development) every message is written under
``MAIL_OUTBOX_DIR`` as an ``.eml`` file and logged, so ``make run`` needs no server.
"""

from __future__ import annotations

import email.policy
import logging
import os
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import OutboxMessage

log = logging.getLogger("tracker.mail")

POLICY = email.policy.SMTP


@dataclass(frozen=True)
class MailSettings:
    """Everything delivery needs, read once from the app config (``MAIL_*``)."""

    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str
    password: str
    sender: str
    outbox_dir: Path
    timeout: float = 30.0
    max_attempts: int = 12
    retry_base: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=5)
    ca_file: str = ""  # a private CA for the relay's certificate; the system's otherwise

    @classmethod
    def from_config(cls, config: Any | None = None) -> MailSettings:
        cfg = config if config is not None else current_app.config
        return cls(
            server=cfg.get("MAIL_SERVER", ""),
            port=int(cfg.get("MAIL_PORT", 25)),
            use_tls=bool(cfg.get("MAIL_USE_TLS", False)),
            use_ssl=bool(cfg.get("MAIL_USE_SSL", False)),
            username=cfg.get("MAIL_USERNAME", ""),
            password=cfg.get("MAIL_PASSWORD", ""),
            sender=cfg.get("MAIL_DEFAULT_SENDER", "Twinning Tracker <tracker@localhost>"),
            outbox_dir=Path(cfg.get("MAIL_OUTBOX_DIR", "instance/outbox")),
            timeout=float(cfg.get("MAIL_TIMEOUT", 30)),
            max_attempts=int(cfg.get("MAIL_MAX_ATTEMPTS", 12)),
            retry_base=timedelta(seconds=int(cfg.get("MAIL_RETRY_BASE_SECONDS", 60))),
            retry_max=timedelta(seconds=int(cfg.get("MAIL_RETRY_MAX_SECONDS", 6 * 3600))),
            lease=timedelta(seconds=int(cfg.get("MAIL_SEND_LEASE_SECONDS", 300))),
            ca_file=cfg.get("MAIL_TLS_CA_FILE", ""),
        )

    @property
    def envelope_sender(self) -> str:
        return parseaddr(self.sender)[1] or "tracker@localhost"


def backoff(attempts: int, settings: MailSettings) -> timedelta:
    """Wait before the next try: 1, 2, 4 … minutes after attempts 1, 2, 3 …, capped."""
    exponent = min(max(attempts - 1, 0), 30)
    wait: timedelta = settings.retry_base * (2**exponent)
    return min(wait, settings.retry_max)


def _header(value: str) -> str:
    """Header text must be one line: refuse rather than fold a smuggled header away."""
    if "\r" in value or "\n" in value:
        raise ValueError("a header value may not contain CR or LF")
    return value


def build(row: OutboxMessage, sender: str) -> EmailMessage:
    """The RFC 5322 message for a row: text and HTML alternatives, ``.ics`` attached.

    ``Date`` is when the row was written and ``Message-ID`` comes from the row, so
    a resent copy is recognisably the same message.
    """
    msg = EmailMessage(policy=POLICY)
    msg["From"] = _header(sender)
    msg["To"] = Address(display_name=_header(row.to_name), addr_spec=_header(row.to_addr))
    msg["Subject"] = _header(row.subject)
    msg["Date"] = format_datetime(row.created_dt)
    msg["Message-ID"] = _header(row.message_id)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Tracker-Key"] = _header(row.idempotency_key)
    msg.set_content(row.text_body)
    if row.html_body:
        msg.add_alternative(row.html_body, subtype="html")
    if row.ics:
        msg.add_attachment(
            row.ics, subtype="calendar", filename="deadline.ics", params={"method": "PUBLISH"}
        )
    return msg


@dataclass(frozen=True)
class Outgoing:
    """A claimed row, read before any network I/O (``message`` None: it cannot be built)."""

    id: int
    to_addr: str
    subject: str
    message_id: str
    stamp: str
    message: EmailMessage | None
    error: str = ""


@dataclass(frozen=True)
class Result:
    """What happened to one message: sent, retry later, or failed for good."""

    status: str
    error: str = ""


SENT = Result("sent")


def claim(now: datetime, settings: MailSettings, limit: int = 100) -> list[int]:
    """Take due rows for this sender (row locks skip rows another sender holds).

    A row still ``sending`` after its lease belongs to a sender that died; it is
    due again, unless that was its last attempt.
    """
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.status == "sending",
            OutboxMessage.next_attempt_dt <= now,
            OutboxMessage.attempts >= settings.max_attempts,
        )
        .values(status="failed", last_error="the sender stopped during the last attempt")
        .execution_options(synchronize_session=False)
    )
    due = (
        sa.select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_(("pending", "sending")),
            OutboxMessage.digest == "immediate",
            OutboxMessage.next_attempt_dt <= now,
        )
        .order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(due))
    if not ids:
        return []
    claimed = db.session.scalars(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            # as expressions, so the primary key (not the due index) answers this
            sa.func.coalesce(OutboxMessage.status, "").in_(("pending", "sending")),
            sa.func.coalesce(OutboxMessage.next_attempt_dt, now) <= now,
        )
        .values(
            status="sending",
            attempts=OutboxMessage.attempts + 1,
            next_attempt_dt=now + settings.lease,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed)


def load(ids: list[int], settings: MailSettings) -> list[Outgoing]:
    """Build the messages of claimed rows; a row that cannot be built fails alone."""
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    )
    out: list[Outgoing] = []
    for row in rows:
        stamp = row.created_dt.strftime("%Y%m%dT%H%M%S")
        try:
            message: EmailMessage | None = build(row, settings.sender)
            error = ""
        except ValueError as exc:
            message, error = None, f"refused to build the message: {exc}"
        out.append(
            Outgoing(row.id, row.to_addr, row.subject, row.message_id, stamp, message, error)
        )
    return out


def record(item: Outgoing, result: Result, now: datetime, settings: MailSettings) -> str:
    """Store the outcome of one attempt; returns the row's new status."""
    row = db.session.get(OutboxMessage, item.id, populate_existing=True)
    if row is None or row.status != "sending":
        return row.status if row else "missing"
    if result.status == "sent":
        row.status, row.sent_dt, row.last_error = "sent", now, ""
        log.info("mail sent id=%s message_id=%s attempt=%s", row.id, row.message_id, row.attempts)
    elif result.status == "failed" or row.attempts >= settings.max_attempts:
        row.status, row.last_error = "failed", result.error[:2000]
        log.error("mail failed id=%s after %s attempt(s): %r", row.id, row.attempts, result.error)
    else:
        row.status, row.last_error = "pending", result.error[:2000]
        row.next_attempt_dt = now + backoff(row.attempts, settings)
        log.warning(
            "mail retry id=%s attempt=%s next=%s: %r",
            row.id,
            row.attempts,
            row.next_attempt_dt.isoformat(),
            result.error,
        )
    db.session.flush()
    return row.status


class ConnectionLost(Exception):
    """The server went away: this and the remaining messages are retried later."""


class Transport(Protocol):
    def send(self, item: Outgoing) -> None: ...


class SmtpTransport:
    """One SMTP session (SSL or STARTTLS, optional login) for a batch of messages."""

    def __init__(self, settings: MailSettings, conn: smtplib.SMTP) -> None:
        self.settings = settings
        self.conn = conn

    def send(self, item: Outgoing) -> None:
        assert item.message is not None
        self.conn.send_message(
            item.message, from_addr=self.settings.envelope_sender, to_addrs=[item.to_addr]
        )


class FileTransport:
    """Development delivery: one ``.eml`` per message, named after the row (a resend overwrites)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def send(self, item: Outgoing) -> None:
        assert item.message is not None
        path = self.directory / f"{item.stamp}-{item.id:06d}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(item.message.as_bytes(policy=POLICY))
        os.replace(partial, path)
        log.info("mail written to %s for %s: %r", path, item.to_addr, item.subject)


@contextmanager
def connect(settings: MailSettings) -> Iterator[Transport]:
    """The configured transport; raises ``ConnectionLost`` when the server is unreachable."""
    if not settings.server:
        yield FileTransport(settings.outbox_dir)
        return
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    try:
        conn: smtplib.SMTP
        if settings.use_ssl:
            conn = smtplib.SMTP_SSL(
                settings.server, settings.port, timeout=settings.timeout, context=context
            )
        else:
            conn = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
        conn.ehlo()
        if settings.use_tls and not settings.use_ssl:
            conn.starttls(context=context)
            conn.ehlo()
        if settings.username:
            conn.login(settings.username, settings.password)
    except (OSError, smtplib.SMTPException) as exc:
        raise ConnectionLost(f"cannot reach {settings.server}:{settings.port}: {exc}") from exc
    try:
        yield SmtpTransport(settings, conn)
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()


def classify(exc: Exception) -> Result:
    """A 5xx refusal of the recipient or content is permanent; the rest is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        detail = "; ".join(f"{code} {text!r}" for code, text in exc.recipients.values())
        return Result("failed" if permanent else "retry", f"recipient refused: {detail}")
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError):
        return Result("retry", f"server refused the sender: {exc}")
    if isinstance(exc, smtplib.SMTPResponseException):
        permanent = 500 <= exc.smtp_code < 600
        return Result("failed" if permanent else "retry", f"{exc.smtp_code} {exc.smtp_error!r}")
    return Result("retry", str(exc) or type(exc).__name__)


def deliver(
    batch: list[Outgoing],
    settings: MailSettings,
    on_result: Callable[[Outgoing, Result], None],
) -> None:
    """Send a batch over one connection, reporting every message's outcome to ``on_result``.

    A message the server refuses does not stop the others; a lost connection
    leaves this and the remaining messages for a later try.
    """
    waiting = [item for item in batch if item.message is not None]
    for item in batch:
        if item.message is None:
            on_result(item, Result("failed", item.error))
    if not waiting:
        return
    try:
        with connect(settings) as transport:
            while waiting:
                item = waiting[0]
                try:
                    transport.send(item)
                    result = SENT
                except smtplib.SMTPServerDisconnected as exc:
                    raise ConnectionLost(str(exc) or type(exc).__name__) from exc
                except smtplib.SMTPException as exc:  # before OSError: it is one
                    result = classify(exc)
                except OSError as exc:
                    raise ConnectionLost(str(exc) or type(exc).__name__) from exc
                waiting.pop(0)
                on_result(item, result)
    except ConnectionLost as exc:
        log.warning("mail server unavailable, %d message(s) wait: %s", len(waiting), exc)
        for item in waiting:
            on_result(item, Result("retry", str(exc)))
