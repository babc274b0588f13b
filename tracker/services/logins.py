"""Brute-force limits, counted in the database so that every worker shares them.

An account takes at most ``ACCOUNT_LIMIT`` failed attempts (password or
second-factor code) per hour; an address at most ``ADDRESS_LIMIT`` per
``ADDRESS_WINDOW`` whatever accounts it tries. The real user gets back in
after the window, or at once by resetting the password: failures from before
the last password change do not count.

The table would grow forever: ``prune`` (the scheduler's housekeeping job)
deletes attempts older than ``RETENTION``, never any a limit still counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context

from .. import clock
from ..extensions import db
from ..models import LoginAttempt, User

ACCOUNT_LIMIT = 100
ACCOUNT_WINDOW = timedelta(hours=1)
ADDRESS_LIMIT = 30
ADDRESS_WINDOW = timedelta(minutes=15)
#: Attempts older than this are deleted by the housekeeping job. The limits read only the
#: last hour; the rest is kept for looking into a campaign (the history keeps every log-in).
RETENTION = timedelta(days=30)
RESET_ACCOUNT_LIMIT = 3  # reset emails per account per hour: no mail-bombing
RESET_ADDRESS_LIMIT = 10
RESET_WINDOW = timedelta(hours=1)
FAILURE_KINDS = ("password", "totp")


def _limit(name: str, default: int) -> int:
    if has_app_context():
        return int(current_app.config.get(name, default))
    return default


def record(email: str, ip: str, success: bool, kind: str = "password") -> None:
    """One attempt; the caller's transaction commits it with the audit row."""
    db.session.add(
        LoginAttempt(email=email.strip().lower()[:254], ip=ip[:64], success=success, kind=kind)
    )
    db.session.flush()


def _failures(*conditions: sa.ColumnElement[bool]) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.success.is_(False), LoginAttempt.kind.in_(FAILURE_KINDS), *conditions
            )
        )
        or 0
    )


def account_blocked(email: str) -> bool:
    """Too many failures for this email in the last hour (since its last password change)."""
    email = email.strip().lower()[:254]
    since = clock.utcnow() - ACCOUNT_WINDOW
    changed = db.session.scalar(sa.select(User.password_changed_dt).where(User.email == email))
    if changed is not None and changed > since:
        since = changed
    limit = min(_limit("LOGIN_ACCOUNT_LIMIT", ACCOUNT_LIMIT), ACCOUNT_LIMIT)
    return _failures(LoginAttempt.email == email, LoginAttempt.created_dt > since) >= limit


def address_blocked(ip: str) -> bool:
    since = clock.utcnow() - ADDRESS_WINDOW
    limit = _limit("LOGIN_ADDRESS_LIMIT", ADDRESS_LIMIT)
    return _failures(LoginAttempt.ip == ip[:64], LoginAttempt.created_dt > since) >= limit


def blocked(email: str, ip: str) -> bool:
    """Whether a login attempt for ``email`` from ``ip`` is refused without checking it."""
    return address_blocked(ip) or account_blocked(email)


def reset_allowed(email: str, ip: str) -> bool:
    """Reset emails are capped per account and per address (checked before recording)."""
    since = clock.utcnow() - RESET_WINDOW
    base = sa.select(sa.func.count()).select_from(LoginAttempt)
    base = base.where(LoginAttempt.kind == "reset", LoginAttempt.created_dt > since)
    per_account = db.session.scalar(base.where(LoginAttempt.email == email)) or 0
    per_address = db.session.scalar(base.where(LoginAttempt.ip == ip[:64])) or 0
    return per_account < RESET_ACCOUNT_LIMIT and per_address < RESET_ADDRESS_LIMIT


def prune(now: datetime, limit: int = 1000) -> int:
    """Delete up to ``limit`` attempts older than the retention; returns how many.

    The cut-off is never younger than the longest window a limit reads, whatever
    ``LOGIN_ATTEMPT_RETENTION_DAYS`` says, so pruning can never lift a block.
    Deleted in bounded batches so a backlog never holds a long lock.
    """
    days = _limit("LOGIN_ATTEMPT_RETENTION_DAYS", RETENTION.days)
    keep = max(timedelta(days=days), ACCOUNT_WINDOW, ADDRESS_WINDOW, RESET_WINDOW)
    oldest = (
        sa.select(LoginAttempt.id)
        .where(LoginAttempt.created_dt < now - keep)
        .order_by(LoginAttempt.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(oldest))
    if ids:
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.id.in_(ids)))
        db.session.flush()
    return len(ids)
