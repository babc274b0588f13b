"""The administrator sees the email that did not go out, and sends it again once mended.

Delivery is real (aiosmtpd); the page is reached through the test client as an
administrator would; old delivered messages lose their bodies, never their rows.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.views.screens import Browser
from tracker import clock, jobs
from tracker.extensions import db
from tracker.models import AuditLog, OutboxMessage
from tracker.services import accounts, outbox
from tracker.services.errors import Forbidden, Refused
from tracker.services.outbox import enqueue

from .conftest import T0, advance


def _fail_one(app, user, smtp, subject="Approval needed: Umeå"):
    """One message to ``user`` that fails for good: the server is down for every try."""
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp.stop()
    row = enqueue(user, f"test:{subject}", subject, "Body\n", urgent=True)
    db.session.commit()
    advance(clock.utcnow() + timedelta(minutes=30), timedelta(minutes=1), jobs.send_outbox)
    db.session.refresh(row)
    assert row.status == "failed"
    return row


def _status(row):
    db.session.expire_all()
    return db.session.get(OutboxMessage, row.id).status


def test_a_failed_message_is_shown_and_sent_again_once(app, team, smtp):
    clock.freeze(T0)
    row = _fail_one(app, team["c1"], smtp)
    admin = _english_admin(app)

    index = admin.text("/admin/")
    assert "1 message failed." in index
    page = admin.text("/admin/mail")
    assert "Approval needed: Umeå" in page and "c1@example.org" in page
    assert "cannot reach" in page  # the last error, so the administrator knows why

    smtp.start()  # the mail server is mended
    assert admin.post(f"/admin/mail/{row.id}/send-again").status_code == 302
    assert _status(row) == "pending"
    jobs.send_outbox()
    assert [m.message_id for m in smtp.received] == [row.message_id]  # the same Message-ID
    assert _status(row) == "sent"
    jobs.send_outbox()
    assert len(smtp.received) == 1  # once
    trail = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "mail.send_again"))
    [entry] = list(trail)
    assert entry.actor_id == team["admin"].id and "cannot reach" in entry.data["last_error"]
    assert "No message has failed." in admin.text("/admin/mail")


def test_times_are_written_as_every_page_writes_them(app, team, smtp):
    """«1 Μαρ 2027, 09:00» / "1 Mar 2027, 09:00", not Babel's short "3/1/27, 9:00 AM"."""
    clock.freeze(T0)  # 07:00 UTC is 09:00 in Athens
    _fail_one(app, team["c1"], smtp)
    admin = Browser(app, "admin@example.org")
    assert "1 Μαρ 2027, 09:00" in admin.text("/admin/mail")
    admin.language("en")
    page = admin.text("/admin/mail")
    assert "1 Mar 2027, 09:00" in page and "3/1/27" not in page


def test_sent_again_to_the_corrected_address(app, team, make_user, smtp):
    clock.freeze(T0)
    member = make_user("council_member", email="bounce.c9@example.org", name="C. Nine")
    app.config["MAIL_MAX_ATTEMPTS"] = 12
    row = enqueue(member, "test:bounce", "Vote needed", "Body\n", urgent=True)
    db.session.commit()
    jobs.send_outbox()
    assert _status(row) == "failed"  # a 550 fails at once
    member.email = "c9@example.org"
    db.session.commit()
    outbox.send_again(row.id, team["admin"])
    db.session.commit()
    jobs.send_outbox()
    assert [r.rcpt for r in smtp.received] == [["c9@example.org"]]


def test_send_all_again_skips_deactivated_recipients(app, team, smtp):
    clock.freeze(T0)
    first = _fail_one(app, team["c1"], smtp, "First")
    second = _fail_one(app, team["c2"], smtp, "Second")
    accounts.set_active(team["c2"], False, team["admin"])
    db.session.commit()
    smtp.start()
    assert outbox.send_all_again(team["admin"]) == 1
    db.session.commit()
    jobs.send_outbox()
    assert (_status(first), _status(second)) == ("sent", "failed")
    with pytest.raises(Refused) as refused:
        outbox.send_again(second.id, team["admin"])
    assert refused.value.reasons[0].code == "mail_recipient_inactive"


def test_only_a_failed_message_can_be_sent_again(app, team, smtp):
    clock.freeze(T0)
    row = enqueue(team["c1"], "test:ok", "Fine", "Body\n", urgent=True)
    db.session.commit()
    jobs.send_outbox()
    admin = _english_admin(app)
    reply = admin.post(f"/admin/mail/{row.id}/send-again", follow_redirects=True)
    assert "This message has not failed" in reply.get_data(as_text=True)
    assert _status(row) == "sent" and len(smtp.received) == 1
    assert admin.post("/admin/mail/999999/send-again").status_code == 404


@pytest.mark.parametrize("who", ["head", "staff", "c1", "viewer"])
def test_only_administrators_reach_the_mail_page(app, team, client, auth, smtp, who):
    clock.freeze(T0)
    row = _fail_one(app, team["c1"], smtp)
    auth.login(team[who].email)
    assert client.get("/admin/mail").status_code == 403
    assert auth.post(f"/admin/mail/{row.id}/send-again").status_code == 403
    assert auth.post("/admin/mail/send-all-again").status_code == 403
    assert _status(row) == "failed"
    with pytest.raises(Forbidden):
        outbox.send_again(row.id, team[who])


def test_an_invitation_is_not_sent_again_and_is_dismissed_instead(app, team, smtp):
    """Its link may have expired: the administrator sends a new one; the old is dealt with."""
    clock.freeze(T0)
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp.stop()
    accounts.invite_user("new@example.org", "New Colleague", ["staff"], team["admin"])
    db.session.commit()
    advance(T0 + timedelta(minutes=30), timedelta(minutes=1), jobs.send_outbox)
    [row] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.category == "account"))
    assert row.status == "failed"
    smtp.start()
    admin = _english_admin(app)
    page = admin.text("/admin/mail")
    assert "An invitation or password reset: its link may have expired." in page
    assert f"/admin/mail/{row.id}/send-again" not in page  # no button that cannot work
    assert outbox.send_all_again(team["admin"]) == 0
    with pytest.raises(Refused):
        outbox.send_again(row.id, team["admin"])
    db.session.rollback()
    assert "1 message failed." in admin.text("/admin/")

    assert admin.post(f"/admin/mail/{row.id}/dismiss").status_code == 302
    assert _status(row) == "failed"  # still the record of what did not arrive
    assert "No message has failed." in admin.text("/admin/")
    assert "No message has failed." in admin.text("/admin/mail")
    trail = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action == "mail.dismiss"))
    assert list(trail) == ["mail.dismiss"]
    again = admin.post(f"/admin/mail/{row.id}/dismiss", follow_redirects=True)
    assert "This message has not failed" in again.get_data(as_text=True)  # nothing twice
    jobs.send_outbox()
    assert smtp.received == []


def test_a_failed_digest_line_goes_alone_and_at_once(app, team, smtp):
    """A message that waited for a daily digest is sent on its own when sent again."""
    clock.freeze(T0)
    team["c1"].notify = "daily"
    db.session.commit()
    row = enqueue(team["c1"], "test:digest", "For the digest", "Body\n")
    db.session.commit()
    assert row.digest == "daily"
    row.status, row.last_error = "failed", "the account is inactive"
    db.session.commit()
    outbox.send_again(row.id, team["admin"])
    db.session.commit()
    jobs.send_outbox()
    assert [m.subject for m in smtp.received] == ["For the digest"]


def test_old_delivered_mail_loses_its_body_and_keeps_its_row(app, team, smtp):
    clock.freeze(T0)
    old = enqueue(
        team["c1"], "test:old", "Old", "Old body\n", html="<p>Old</p>", ics="X", urgent=True
    )
    db.session.commit()
    jobs.send_outbox()
    failed = _fail_one(app, team["c2"], smtp, "Failed long ago")
    smtp.start()
    app.config["OUTBOX_RETENTION_DAYS"] = 365
    clock.freeze(T0 + timedelta(days=364))
    recent = enqueue(team["c1"], "test:recent", "Recent", "Recent body\n", urgent=True)
    db.session.commit()
    jobs.send_outbox()
    assert jobs.housekeeping() == 0  # not a year yet

    # Counted from delivery: one written before the retention but delivered late keeps it.
    late = enqueue(team["c1"], "test:late", "Late", "Late body\n", urgent=True)
    db.session.commit()
    jobs.send_outbox()
    db.session.refresh(late)
    assert late.status == "sent"
    late.created_dt = T0 - timedelta(days=30)  # written long before, delivered at day 364
    db.session.commit()

    clock.freeze(T0 + timedelta(days=366))
    assert jobs.housekeeping() == 1
    assert db.session.get(OutboxMessage, late.id).text_body == "Late body\n"
    db.session.expire_all()
    kept = db.session.get(OutboxMessage, old.id)
    assert (kept.status, kept.subject, kept.message_id) == ("sent", "Old", old.message_id)
    assert (kept.text_body, kept.html_body, kept.ics) == ("", "", None)
    assert db.session.get(OutboxMessage, recent.id).text_body == "Recent body\n"
    assert db.session.get(OutboxMessage, failed.id).text_body == "Body\n"  # failed: kept whole
    # The key stays taken, so the same prompt is not sent a second time.
    assert enqueue(team["c1"], "test:old", "Old", "Old body\n") is None
    assert jobs.housekeeping() == 0


def _english_admin(app):
    """The administrator, reading English (the assertions quote the English texts)."""
    admin = Browser(app, "admin@example.org")
    admin.language("en")
    return admin
