"""Periodic reviews: dormant files, a new municipal term, agreements about to expire.

Each prompt is an email with an idempotency key naming what prompted it
(the file and its last recorded activity, the term's first day, the expiry
date), so the daily job can run any number of times and each prompt goes once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from ..domain.calendar import to_local
from ..domain.text import pick
from ..extensions import db
from ..models import AuditLog, Process, Step, User
from .approvals import holders
from .mailtext import lang_of, render
from .outbox import enqueue
from .urls import external_url

IN_FORCE = ("active", "suspended")


@dataclass(frozen=True)
class TermSettings:
    """Municipal terms (5 years in Greece since 2024) and how early expiries are flagged."""

    first_start: date = date(2024, 1, 1)
    years: int = 5
    window_days: int = 60
    expiry_days: int = 90

    @classmethod
    def from_config(cls, app: Any) -> TermSettings:
        cfg = app.config
        return cls(
            first_start=date.fromisoformat(str(cfg.get("MUNICIPAL_TERM_START", "2024-01-01"))),
            years=int(cfg.get("MUNICIPAL_TERM_YEARS", 5)),
            window_days=int(cfg.get("REVIEW_TERM_WINDOW_DAYS", 60)),
            expiry_days=int(cfg.get("REVIEW_EXPIRY_DAYS", 90)),
        )


def term_start(today: date, settings: TermSettings) -> date | None:
    """The first day of the municipal term running on ``today`` (None before the first)."""
    if today < settings.first_start:
        return None
    terms = (today.year - settings.first_start.year) // settings.years
    start: date = settings.first_start + relativedelta(years=terms * settings.years)
    if start > today:
        start = start - relativedelta(years=settings.years)
    return start


@dataclass(frozen=True)
class Item:
    process: Process
    state: str
    last_dt: datetime
    dormant: bool
    link: str
    expires_on: date | None = None
    states: tuple[str, ...] = ()

    @property
    def in_force(self) -> bool:
        return bool(set(self.states) & set(IN_FORCE))


@dataclass(frozen=True)
class Overview:
    """What the review page shows: the term, the agreements in force, the dormant files."""

    term_start: date | None
    in_force: list[Item]
    dormant: list[Item]


def _last_activity() -> dict[int, datetime]:
    rows = db.session.execute(
        sa.select(AuditLog.process_id, sa.func.max(AuditLog.created_dt))
        .where(AuditLog.process_id.is_not(None))
        .group_by(AuditLog.process_id)
    )
    return {pid: last for pid, last in rows.tuples() if pid is not None}


def _open_states() -> dict[int, list[str]]:
    """Every open file's open states, in one query."""
    found: dict[int, list[str]] = {}
    rows = db.session.execute(
        sa.select(Step.process_id, Step.state).where(Step.status == "open").order_by(Step.state)
    )
    for process_id, state in rows.tuples():
        found.setdefault(process_id, []).append(state)
    return found


def _items(now: datetime, lang: str) -> list[Item]:
    last = _last_activity()
    open_states = _open_states()
    out = []
    for process in db.session.scalars(
        sa.select(Process).where(Process.is_closed.is_(False)).order_by(Process.id)
    ):
        months = int(process.definition.settings.get("dormant_months", 24))
        seen = last.get(process.id, process.created_dt)
        states = tuple(open_states.get(process.id, ()))
        title = ", ".join(pick(process.definition.states[s].title, lang) for s in states)
        out.append(
            Item(
                process,
                title,
                seen,
                seen <= now - relativedelta(months=months),
                external_url("processes.detail", process_id=process.id),
                process.expires_on,
                states,
            )
        )
    return out


def overview(now: datetime, lang: str, settings: TermSettings) -> Overview:
    """The agreements to review in this municipal term, and the files nothing happened on.

    The same lists the term's prompt email carries, for the page it links to;
    the longest-silent come first.
    """
    items = sorted(_items(now, lang), key=lambda i: (i.last_dt, i.process.id))
    return Overview(
        term_start=term_start(to_local(now).date(), settings),
        in_force=[i for i in items if i.in_force],
        dormant=[i for i in items if i.dormant],
    )


def _office(process: Process | None) -> list[User]:
    people = {u.id: u for u in holders(("head",))}
    if process is not None and process.owner is not None and process.owner.is_active:
        people.setdefault(process.owner.id, process.owner)
    return list(people.values())


def _send(user: User, key: str, reason: str, items: list[Item], **extra: Any) -> int:
    lang = lang_of(user)
    text = render("review", lang, user=user, reason=reason, items=items, **extra)
    process = items[0].process if len(items) == 1 else None
    made = enqueue(
        user, key, text.subject, text.text, text.html, category="review", process=process
    )
    return 1 if made is not None else 0


def prompt(now: datetime, settings: TermSettings) -> int:
    """Queue every review prompt that is due and not yet sent; returns messages queued."""
    today = to_local(now).date()
    made = 0
    items = _items(now, "el")
    for item in items:
        if item.dormant:
            key = f"review:dormant:{item.process.id}:{item.last_dt.date().isoformat()}"
            for user in _office(item.process):
                made += _send(user, key, "dormant", [item])
        expires = item.expires_on
        if expires and today <= expires <= today + timedelta(days=settings.expiry_days):
            key = f"review:expiry:{item.process.id}:{expires.isoformat()}"
            for user in _office(item.process):
                made += _send(user, key, "expiry", [item])
    start = term_start(today, settings)
    if start is not None and (today - start).days < settings.window_days:
        in_force = [i for i in items if i.in_force]
        if in_force:
            people = {u.id: u for u in holders(("head", "staff"))}
            for user in people.values():
                lang = lang_of(user)
                localised = _items(now, lang) if lang != "el" else items
                chosen = [i for i in localised if i.process.id in {x.process.id for x in in_force}]
                made += _send(
                    user,
                    f"review:term:{start.isoformat()}",
                    "term",
                    chosen,
                    term_start=start,
                    review_link=external_url("reports.review"),
                )
    db.session.flush()
    return made
