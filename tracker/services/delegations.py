"""Stand-ins: an approver on leave names a substitute for a date range.

Approval requests created while a delegation is active go to the substitute
(``approvals.substitute_for``), who acts on the approver's behalf; the history
names both. Dates are Europe/Athens calendar days, both ends included.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from .. import clock
from ..domain.calendar import to_local
from ..domain.text import Reason, day_text
from ..extensions import db
from ..models import Delegation, User
from . import audit
from .errors import Invalid, NotFound, Refused
from .permissions import can, require


def today() -> date:
    return to_local(clock.utcnow()).date()


def _require_for(user: User, actor: User) -> None:
    """Approvers manage their own leave; administrators anyone's."""
    if actor.id == user.id and can(actor, "delegation.own"):
        return
    require(actor, "delegation.manage")


def substitutes_for(user: User) -> list[User]:
    """Who may stand in for ``user``: active colleagues who can approve."""
    rows = db.session.scalars(
        sa.select(User).where(User.is_active.is_(True), User.id != user.id).order_by(User.name)
    )
    return [u for u in rows if can(u, "approval.decide")]


def approvers() -> list[User]:
    """Everyone who could go on leave from approving (for the administrator's form)."""
    rows = db.session.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.name))
    return [u for u in rows if can(u, "delegation.own")]


def _overlapping(user: User, start: date, end: date) -> Delegation | None:
    return db.session.scalars(
        sa.select(Delegation).where(
            Delegation.user_id == user.id,
            Delegation.is_cancelled.is_(False),
            Delegation.start_date <= end,
            Delegation.end_date >= start,
        )
    ).first()


def create(user: User, substitute: User | None, start: date, end: date, actor: User) -> Delegation:
    """Name ``substitute`` for ``user`` from ``start`` to ``end`` (both included)."""
    _require_for(user, actor)
    errors: dict[str, list[Reason]] = {}
    if not can(user, "delegation.own"):
        errors["user"] = [Reason("delegation_not_approver", {"name": user.name})]
    if substitute is None or not substitute.is_active or not can(substitute, "approval.decide"):
        errors["substitute"] = [Reason("delegation_substitute")]
    elif substitute.id == user.id:
        errors["substitute"] = [Reason("delegation_self")]
    if end < start:
        errors["end_date"] = [Reason("date_order", {"after": day_text(start)})]
    elif end < today():
        errors["end_date"] = [Reason("delegation_past")]
    if not errors:
        clash = _overlapping(user, start, end)
        if clash is not None:
            errors["start_date"] = [
                Reason(
                    "delegation_overlap",
                    {
                        "start": day_text(clash.start_date),
                        "end": day_text(clash.end_date),
                    },
                )
            ]
    if errors or substitute is None:
        raise Invalid(fields=errors)
    row = Delegation(
        user_id=user.id,
        substitute_id=substitute.id,
        start_date=start,
        end_date=end,
        created_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "delegation.create",
        actor,
        obj=row,
        on_behalf_of=user if actor.id != user.id else None,
        data=_describe(row, user, substitute),
    )
    return row


def _describe(row: Delegation, user: User, substitute: User) -> dict[str, object]:
    return {
        "user": user.name,
        "user_id": user.id,
        "substitute": substitute.name,
        "substitute_id": substitute.id,
        "start": row.start_date.isoformat(),
        "end": row.end_date.isoformat(),
    }


def cancel(delegation_id: int, actor: User) -> Delegation:
    """End a delegation early (or before it starts); the history keeps it."""
    row = db.session.get(Delegation, delegation_id)
    if row is None:
        raise NotFound([Reason("not_found")])
    _require_for(row.user, actor)
    if row.is_cancelled or row.end_date < today():
        raise Refused([Reason("delegation_cancelled")])
    row.is_cancelled = True
    audit.record(
        "delegation.cancel",
        actor,
        obj=row,
        on_behalf_of=row.user if actor.id != row.user_id else None,
        data=_describe(row, row.user, row.substitute),
    )
    return row


def current_and_future(user: User | None = None) -> list[Delegation]:
    """Delegations not yet over: of ``user`` (as approver or substitute), or everyone's."""
    stmt = sa.select(Delegation).where(
        Delegation.is_cancelled.is_(False), Delegation.end_date >= today()
    )
    if user is not None:
        stmt = stmt.where(
            sa.or_(Delegation.user_id == user.id, Delegation.substitute_id == user.id)
        )
    return list(db.session.scalars(stmt.order_by(Delegation.start_date, Delegation.id)))
