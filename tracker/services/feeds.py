"""Personal calendar feeds: a secret, revocable URL with the user's deadlines and ceremonies.

The URL carries a token signed with the app's secret key naming the user and a
random nonce kept in ``calendar_feed``. Revoking deletes the nonce (and a new
link gets a new one), so every copy of an old URL stops working at once.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..extensions import db
from ..models import ApprovalRequest, CalendarFeed, Deadline, ExternalEvent, Process, User
from . import audit, ical
from .mailtext import lang_of

SALT = "calendar-feed"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user: User) -> str | None:
    """The user's current feed token, or None when they have no feed."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        return None
    return str(_serializer().dumps({"u": user.id, "n": feed.nonce}))


def create(user: User) -> str:
    """Give the user a feed URL; an existing one is replaced (the old URL dies)."""
    feed = db.session.get(CalendarFeed, user.id)
    nonce = secrets.token_urlsafe(24)
    if feed is None:
        db.session.add(CalendarFeed(user_id=user.id, nonce=nonce))
    else:
        feed.nonce = nonce
    audit.record("feed.create", user, data={"replaced": feed is not None})
    db.session.flush()
    token = token_for(user)
    assert token is not None
    return token


def revoke(user: User) -> bool:
    """Withdraw the user's feed; returns whether there was one."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        return False
    db.session.delete(feed)
    audit.record("feed.revoke", user)
    db.session.flush()
    return True


def user_for(token: str) -> User | None:
    """The active user a token belongs to, if the token is genuine and not revoked."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    feed = db.session.get(CalendarFeed, data["u"])
    nonce = data.get("n")
    if feed is None or not isinstance(nonce, str) or not hmac.compare_digest(feed.nonce, nonce):
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.is_active else None


def processes_of(user: User) -> list[Process]:
    """The user's files: those they own or were asked to approve; the head sees every file."""
    stmt = sa.select(Process).order_by(Process.id)
    if not user.has_role("head"):
        asked = sa.select(ApprovalRequest.process_id).where(
            sa.or_(
                ApprovalRequest.approver_id == user.id,
                ApprovalRequest.on_behalf_of_id == user.id,
            )
        )
        stmt = stmt.where(sa.or_(Process.owner_id == user.id, Process.id.in_(asked)))
    return list(db.session.scalars(stmt))


def calendar(user: User, now: datetime) -> bytes:
    """The feed itself (RFC 5545): open deadlines and signing ceremonies of the user's files."""
    lang = lang_of(user)
    cal = ical.new_calendar(method=None, name=f"Twinning Tracker — {user.name}")
    files = {p.id: p for p in processes_of(user)}
    if files:
        for deadline in db.session.scalars(
            sa.select(Deadline)
            .where(Deadline.process_id.in_(files), Deadline.status == "open")
            .order_by(Deadline.due_dt, Deadline.id)
        ):
            cal.add_component(ical.deadline_event(deadline, lang, now))
        for signing in db.session.scalars(
            sa.select(ExternalEvent)
            .where(ExternalEvent.process_id.in_(files), ExternalEvent.kind == "signing")
            .order_by(ExternalEvent.event_date, ExternalEvent.id)
        ):
            process = files[signing.process_id]
            cal.add_component(ical.signing_event(signing, process, lang, now))
    return bytes(cal.to_ical())
