"""A scheduler that dies on purpose, in its own process: ``python -m tests.reminders.crashworker``.

Arguments: database URL, SMTP port, the frozen clock (ISO), and where to die:

- ``after-claim``: reminders claimed and committed, then killed before any is handled;
- ``after-accept``: the SMTP server accepted the first message, then killed before the
  outbox row was marked sent;
- ``run``: no crash, sweep and send until nothing is left (a second scheduler).

``os._exit`` skips every cleanup, like ``kill -9``.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

from config import TestingConfig
from tracker import clock, create_app, jobs
from tracker.services import mailer, reminders

CRASHED = 17


def main(url: str, port: int, frozen: str, mode: str) -> None:
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_TIMEOUT=5,
    )
    clock.freeze(datetime.fromisoformat(frozen))
    if mode == "after-claim":
        reminders.process = lambda *a, **k: os._exit(CRASHED)  # type: ignore[assignment]
    elif mode == "after-accept":
        mailer.record = lambda *a, **k: os._exit(CRASHED)  # type: ignore[assignment]
    with app.app_context():
        for _ in range(100):
            handled = jobs.sweep_reminders()
            report = jobs.send_outbox()
            if not handled and not report.sent and not report.retry:
                break


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
