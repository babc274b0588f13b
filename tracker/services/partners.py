"""Partner authorities: their details, and recording that one was merged into another."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa

from .. import clock
from ..domain import engine
from ..domain.calendar import to_local
from ..domain.text import Reason
from ..extensions import db
from ..models import Authority, Process, User
from . import audit, processes
from .errors import Invalid, NotFound
from .permissions import require
from .urls import is_web_url

REORGANISED = "partner_reorganised"
FIELDS = (
    "name_el",
    "name_en",
    "name_native",
    "country",
    "timezone",
    "language",
    "population",
    "website",
    "notes",
)


@dataclass
class AuthorityInput:
    """What staff may change on an authority's profile (nothing else is ever assigned)."""

    name_el: str
    name_en: str
    name_native: str
    country: str
    timezone: str
    language: str
    population: int | None = None
    website: str = ""
    notes: str = ""


def _errors(data: AuthorityInput) -> dict[str, list[Reason]]:
    errors: dict[str, list[Reason]] = {}
    for name in ("name_el", "name_en", "name_native"):
        value = getattr(data, name).strip()
        if not value:
            errors[name] = [Reason("required")]
        elif len(value) > 200:
            errors[name] = [Reason("too_long", {"max": 200})]
    if not re.fullmatch(r"[A-Z]{2}", data.country.strip()):
        errors["country"] = [Reason("country_code")]
    if data.timezone.strip() not in available_timezones():
        errors["timezone"] = [Reason("timezone_unknown")]
    if not re.fullmatch(r"[a-z]{2,3}", data.language.strip()):
        errors["language"] = [Reason("input_invalid", {"field": "language"})]
    if data.population is not None and data.population < 0:
        errors["population"] = [Reason("vote_negative")]
    website = data.website.strip()
    if website and (not is_web_url(website) or len(website) > 300):
        errors["website"] = [Reason("url_scheme")]
    if len(data.notes) > 4000:
        errors["notes"] = [Reason("too_long", {"max": 4000})]
    return errors


def get(authority_id: int) -> Authority:
    found = db.session.get(Authority, authority_id)
    if found is None:
        raise NotFound()
    return found


def update(authority_id: int, data: AuthorityInput, actor: User) -> Authority:
    """Change an authority's details; the history keeps what changed, from what to what."""
    require(actor, "partner.edit")
    authority = get(authority_id)
    errors = _errors(data)
    if errors:
        raise Invalid(fields=errors)
    changes: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(data, name)
        value = value.strip() if isinstance(value, str) else value
        if getattr(authority, name) != value:
            changes[name] = [getattr(authority, name), value]
            setattr(authority, name, value)
    if changes:
        audit.record("partner.update", actor, obj=authority, data={"changes": changes})
    db.session.flush()
    return authority


def set_successor(
    authority_id: int, successor_id: int, reorganised_on: date | None, actor: User
) -> list[Process]:
    """Record that ``authority`` is now part of ``successor``; its live agreements go to review.

    Each agreement that can take the "partner reorganised" step takes it (so its
    own history says so) when the actor may fire it; the others simply keep the
    new link on the partner.
    """
    require(actor, "partner.edit")
    authority = get(authority_id)
    successor = db.session.get(Authority, successor_id)
    if successor is None or successor.id == authority.id or successor.is_home:
        raise Invalid(fields={"successor": [Reason("successor_invalid")]})
    seen: set[int] = set()
    step: Authority | None = successor
    while step is not None and step.id not in seen:
        if step.id == authority.id:
            raise Invalid(
                fields={"successor": [Reason("successor_cycle", {"name": successor.name_en})]}
            )
        seen.add(step.id)
        step = step.successor
    moved = []
    live = db.session.scalars(
        sa.select(Process)
        .where(Process.partner_id == authority.id, Process.is_closed.is_(False))
        .order_by(Process.id)
    ).all()
    for process in live:
        defn = process.definition
        payload = {"successor": str(successor.id)}
        if REORGANISED not in defn.transitions or not any(
            t.key == REORGANISED for t in engine.candidates(defn, processes.facts_for(process))
        ):
            continue
        if not processes.check(process, REORGANISED, actor, payload):
            processes.transition(process.id, REORGANISED, actor, payload=payload)
            moved.append(process)
    authority.successor_id = successor.id
    authority.reorganised_on = reorganised_on or to_local(clock.utcnow()).date()
    audit.record(
        "partner.successor",
        actor,
        obj=authority,
        data={"successor": successor.key, "files": [p.id for p in moved]},
    )
    db.session.flush()
    return moved
