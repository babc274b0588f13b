"""Outbox sending to a local aiosmtpd server: messages per second.

    .venv/bin/python -m bench.outbox [--messages 1000] [--database-url postgresql://…/bench_db]

Each message is a realistic one (text, HTML and an .ics attachment, Greek
text); every outcome is committed one by one, as in production.
"""

from __future__ import annotations

import argparse
import socket
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tracker import clock, jobs
from tracker.extensions import db
from tracker.models import OutboxMessage

from ._setup import fresh_app

T0 = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nMETHOD:PUBLISH\r\n"
    "BEGIN:VEVENT\r\nUID:bench@twinning-tracker\r\nSEQUENCE:0\r\nDTSTAMP:20270301T070000Z\r\n"
    "DTSTART;VALUE=DATE:20270331\r\nSUMMARY:Διερευνητική επαφή — Ουμεό\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _queue(n: int) -> None:
    text = "«Διερευνητική επαφή» του φακέλου «Αδελφοποίηση — Ουμεό»: προθεσμία έως 31/3.\n" * 5
    html = "<p>" + text.replace("\n", "<br>") + "</p>"
    rows = [
        {
            "idempotency_key": f"bench:{i}",
            "message_id": f"<{uuid.uuid4().hex}@bench>",
            "to_addr": f"user{i % 50}@example.org",
            "to_name": "Χρήστης Δοκιμής",
            "subject": "Υπενθύμιση: Διερευνητική επαφή — Ουμεό",
            "text_body": text,
            "html_body": html,
            "ics": ICS,
            "category": "reminder",
            "digest": "immediate",
            "status": "pending",
            "attempts": 0,
            "next_attempt_dt": T0,
            "last_error": "",
            "created_dt": T0,
        }
        for i in range(n)
    ]
    db.session.execute(sa.insert(OutboxMessage), rows)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--database-url", help="a PostgreSQL database to wipe and use")
    args = parser.parse_args()
    handler, port = Counter(), _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app = fresh_app(args.database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        with app.app_context():
            clock.freeze(T0)
            _queue(args.messages)
            started = time.perf_counter()
            sent = 0
            while sent < args.messages:
                report = jobs.send_outbox()
                if not report.sent:
                    break
                sent += report.sent
            elapsed = time.perf_counter() - started
            clock.reset()
            print(f"database: {db.engine.dialect.name}")
            print(f"{sent} messages sent, {handler.count} received by aiosmtpd in {elapsed:.2f} s")
            print(f"throughput: {sent / elapsed:.0f} messages/second")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
