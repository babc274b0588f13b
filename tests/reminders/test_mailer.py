"""Email delivery: real SMTP, retries with backoff, failures that stay alone, no injection."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from icalendar import Calendar

from tracker import clock, jobs
from tracker.extensions import db
from tracker.models import OutboxMessage
from tracker.services import mailer
from tracker.services.outbox import enqueue

from .conftest import T0, Inbox, advance
from .helpers import approve_all, open_deadline, outbox


def _queue(user, n=1, prefix="note", **kw):
    rows = [enqueue(user, f"{prefix}:{i}", f"Subject {i}", f"Body {i}\n", **kw) for i in range(n)]
    db.session.commit()
    return rows


def _status(rows):
    for row in rows:
        db.session.refresh(row)
    return [row.status for row in rows]


def test_without_a_server_each_message_is_an_eml_file(app, team, make_process, tmp_path):
    clock.freeze(T0)
    process = make_process("umea")
    approve_all(process)  # the owner hears of the move, with the new deadline attached
    report = jobs.send_outbox()
    assert report.sent >= 1 and report.failed == 0
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == report.sent
    row = outbox("moved:")[0]
    assert row.status == "sent"
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    [moved] = [m for m in parsed if m["Message-ID"] == row.message_id]
    assert moved["To"].addresses[0].addr_spec == "staff@example.org"
    assert moved.get_body(("plain",)) is not None and moved.get_body(("html",)) is not None
    [ics] = [p for p in moved.iter_attachments() if p.get_content_type() == "text/calendar"]
    event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == open_deadline(process).uid


def test_a_message_has_text_html_calendar_and_its_own_message_id(app, team, make_process, smtp):
    clock.freeze(T0)
    process = make_process("umea")
    approve_all(process)
    jobs.send_outbox()
    row = outbox("moved:")[0]
    [got] = [m for m in smtp.received if m.message_id == row.message_id]
    msg = got.message
    assert got.rcpt == ["staff@example.org"]
    assert msg["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Date"] is not None
    assert msg.get_content_type() == "multipart/mixed"
    assert "Άνοιγμα του φακέλου" in msg.get_body(("html",)).get_content()  # Greek recipient
    assert "http://localhost/processes/" in got.text()  # links come from BASE_URL
    ics = got.attachment()
    assert "METHOD:PUBLISH" in ics and "SEQUENCE:0" in ics


def test_backoff_doubles_and_is_capped():
    settings = mailer.MailSettings("", 25, False, False, "", "", "x@y", None)  # type: ignore[arg-type]
    waits = [mailer.backoff(n, settings) for n in range(1, 12)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=6) and waits == sorted(waits)


def test_an_hour_without_smtp_loses_nothing(app, team, smtp):
    clock.freeze(T0)
    smtp.stop()
    rows = _queue(team["staff"], 5) + _queue(team["head"], 3, prefix="other")
    advance(T0 + timedelta(hours=1), timedelta(minutes=5), jobs.send_outbox)
    assert smtp.received == []
    assert set(_status(rows)) == {"pending"}
    attempts = [row.attempts for row in rows]
    assert min(attempts) >= 5 and all(row.last_error for row in rows)

    smtp.start()  # the server is back, on the same port
    advance(T0 + timedelta(hours=3), timedelta(minutes=5), jobs.send_outbox)
    assert set(_status(rows)) == {"sent"}
    assert sorted(m.message_id for m in smtp.received) == sorted(r.message_id for r in rows)
    assert not smtp.duplicates()


def test_a_bad_address_fails_alone_and_at_once(app, team, make_user, smtp):
    clock.freeze(T0)
    bad = make_user("staff", email="bounce@example.org")
    rows = _queue(team["staff"], 2) + _queue(bad, 1, prefix="bad") + _queue(team["head"], 2, "h")
    report = jobs.send_outbox()
    assert (report.sent, report.failed) == (4, 1)
    statuses = dict(zip([r.to_addr for r in rows], _status(rows), strict=False))
    assert statuses["bounce@example.org"] == "failed"
    failed = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.status == "failed"))
    [row] = list(failed)
    assert row.attempts == 1 and "550" in row.last_error
    assert len(smtp.received) == 4


def test_after_the_last_try_a_message_is_failed_and_visible(app, team, smtp):
    clock.freeze(T0)
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp.stop()
    [row] = _queue(team["staff"], 1)
    advance(T0 + timedelta(hours=2), timedelta(minutes=1), jobs.send_outbox)
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "cannot reach" in row.last_error
    smtp.start()
    advance(T0 + timedelta(hours=4), timedelta(minutes=10), jobs.send_outbox)
    assert smtp.received == []


@pytest.mark.parametrize(
    "name,subject",
    [
        ("Evil\r\nBcc: victim@example.org", "Hello\r\nBcc: victim@example.org"),
        ("Evil\nX-Injected: yes", "Hello\nX-Injected: yes"),
    ],
)
def test_newlines_in_names_and_subjects_never_make_headers(app, make_user, smtp, name, subject):
    clock.freeze(T0)
    user = make_user("staff", email="target@example.org", name=name)
    enqueue(user, "evil", subject, "Body\n")
    db.session.commit()
    jobs.send_outbox()
    [got] = smtp.received
    assert got.rcpt == ["target@example.org"]
    assert got.message["Bcc"] is None and got.message["X-Injected"] is None
    assert "\n" not in got.subject and got.subject.startswith("Hello")
    assert [a.addr_spec for a in got.message["To"].addresses] == ["target@example.org"]


def test_a_row_with_a_raw_newline_is_refused_not_sent(app, team, smtp):
    clock.freeze(T0)
    [row] = _queue(team["staff"], 1)
    row.subject = "Hello\r\nBcc: victim@example.org"  # as if written around enqueue()
    db.session.commit()
    report = jobs.send_outbox()
    assert report.failed == 1 and smtp.received == []
    db.session.refresh(row)
    assert row.status == "failed" and "CR or LF" in row.last_error


class _Auth:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"tracker" and auth_data.password == b"s3cret-pass"
        return AuthResult(success=ok)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_credentials_from_config_are_used(app, team):
    inbox = Inbox()
    inbox.controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=inbox.port,
        authenticator=_Auth(),
        auth_require_tls=False,
        auth_required=True,
    )
    inbox.controller.start()
    try:
        clock.freeze(T0)
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=inbox.port,
            MAIL_USERNAME="tracker",
            MAIL_PASSWORD="wrong",
            MAIL_TIMEOUT=2,  # aiosmtpd answers a failed login by going silent
        )
        [row] = _queue(team["staff"], 1)
        jobs.send_outbox()
        db.session.refresh(row)
        assert row.status == "pending" and inbox.received == []
        app.config["MAIL_PASSWORD"] = "s3cret-pass"
        clock.shift(timedelta(minutes=2))
        jobs.send_outbox()
        db.session.refresh(row)
        assert row.status == "sent" and len(inbox.received) == 1
    finally:
        inbox.stop()


def test_digest_rows_wait_for_their_digest(app, team, smtp):
    clock.freeze(T0)
    team["staff"].notify = "daily"
    db.session.commit()
    [later] = _queue(team["staff"], 1)
    [now] = _queue(team["staff"], 1, prefix="urgent", urgent=True)
    jobs.send_outbox()
    assert _status([later, now]) == ["pending", "sent"]
    assert later.digest == "daily"
