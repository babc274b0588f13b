"""Real mail and a movable clock: an in-process SMTP server (aiosmtpd) receives everything."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from tracker import clock, jobs

#: A Monday morning in Athens, before a spring full of holidays (Clean Monday, Easter).
T0 = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)


@dataclass
class Received:
    rcpt: list[str]
    message: EmailMessage

    @property
    def key(self) -> str:
        return str(self.message["X-Tracker-Key"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def attachment(self, subtype: str = "calendar") -> str | None:
        for part in self.message.iter_attachments():
            if part.get_content_subtype() == subtype:
                return str(part.get_content())
        return None


class Inbox:
    """The SMTP server's handler: refuses any address containing "bounce" with a 550."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.port = _free_port()
        self.controller: Controller | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if "bounce" in address:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def keyed(self, prefix: str) -> list[Received]:
        return [r for r in self.received if r.key.startswith(prefix)]

    def duplicates(self) -> dict[str, int]:
        counts = Counter(r.message_id for r in self.received)
        return {mid: n for mid, n in counts.items() if n > 1}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(app: Flask) -> Iterator[Inbox]:
    """A running SMTP server the app delivers to (``MAIL_SERVER`` set)."""
    inbox = Inbox()
    inbox.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port, MAIL_TIMEOUT=5)
    yield inbox
    inbox.stop()


@pytest.fixture
def tick(app: Flask) -> Callable[..., None]:
    """Run the scheduler's jobs at the frozen moment, as the scheduler would."""

    def run(send: bool = True) -> None:
        jobs.close_timers()
        jobs.top_up_reminders()
        jobs.sweep_reminders()
        if send:
            jobs.send_outbox()

    return run


def advance(until: datetime, step: timedelta, each: Callable[[], None]) -> None:
    """Move the frozen clock in steps, running ``each`` at every one."""
    now = clock.utcnow()
    while now < until:
        now = min(now + step, until)
        clock.freeze(now)
        each()


def wait_for(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
