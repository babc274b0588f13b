"""iCalendar (RFC 5545) for deadlines and ceremonies, built with the ``icalendar`` package.

A deadline is always the same calendar entry: its ``UID`` never changes and its
``SEQUENCE`` rises with every extension, so a moved deadline updates the entry in
the recipient's calendar instead of adding a second one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Component, Event

from ..domain.calendar import to_local
from ..models import Deadline, ExternalEvent, Process
from .mailtext import deadline_title, speaking, title_of, when
from .urls import external_url

PRODID = "-//Municipality of Amarousion//Twinning Tracker//EL"


def new_calendar(method: str | None = "PUBLISH", name: str | None = None) -> Calendar:
    """An empty VCALENDAR; ``method`` is set for email attachments, not for feeds."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Athens")
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    return cal


def _all_day(event: Event, day: date) -> None:
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))


def deadline_event(deadline: Deadline, lang: str, now: datetime) -> Event:
    """One all-day entry on the deadline's Athens date; the exact time is in the text."""
    process = deadline.process
    link = external_url("processes.detail", process_id=process.id)
    title = deadline_title(deadline, lang)
    with speaking(lang):
        summary = _("%(what)s — %(partner)s", what=title, partner=process.partner.name(lang))
        description = _("Due %(when)s", when=when(deadline.due_dt, lang))
    event = Event()
    event.add("uid", deadline.uid)
    event.add("sequence", deadline.sequence)
    event.add("dtstamp", now)
    _all_day(event, to_local(deadline.due_dt).date())
    event.add("summary", summary)
    event.add("description", f"{title_of(process, lang)}\n{description}\n{link}")
    event.add("url", link)
    event.add("status", "CANCELLED" if deadline.status == "cancelled" else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    return event


def signing_event(signing: ExternalEvent, process: Process, lang: str, now: datetime) -> Event:
    """A signing ceremony (phase A, B or joint) on its day, where it takes place."""
    with speaking(lang):
        phases = {
            "A": _("Signing ceremony, phase A"),
            "B": _("Signing ceremony, phase B"),
            "joint": _("Joint signing ceremony"),
        }
        home = _("Amarousion")
    place = signing.data.get("place") if isinstance(signing.data, dict) else None
    event = Event()
    event.add("uid", f"signing-{signing.id}@twinning-tracker")
    event.add("sequence", 0)
    event.add("dtstamp", now)
    _all_day(event, signing.event_date)
    phase = phases.get(signing.outcome, phases["joint"])
    event.add("summary", f"{phase} — {process.partner.name(lang)}")
    event.add("location", home if place == "home" else process.partner.name(lang))
    event.add("description", title_of(process, lang))
    event.add("url", external_url("processes.detail", process_id=process.id))
    event.add("transp", "TRANSPARENT")
    return event


def deadline_ics(deadline: Deadline, lang: str, now: datetime) -> str:
    """The attachment for a message about ``deadline`` (METHOD:PUBLISH, one VEVENT)."""
    cal = new_calendar()
    cal.add_component(deadline_event(deadline, lang, now))
    return str(cal.to_ical().decode("utf-8"))


def merge(parts: list[str]) -> str | None:
    """One calendar with every distinct event of several attachments (for digests).

    Of two versions of one entry the higher ``SEQUENCE`` wins.
    """
    events: dict[str, Component] = {}
    for part in parts:
        for event in Calendar.from_ical(part).walk("VEVENT"):
            uid = str(event["UID"])
            seen = events.get(uid)
            if seen is None or int(event.get("SEQUENCE", 0)) >= int(seen.get("SEQUENCE", 0)):
                events[uid] = event
    if not events:
        return None
    cal = new_calendar()
    for event in events.values():
        cal.add_component(event)
    return str(cal.to_ical().decode("utf-8"))


__all__ = ["deadline_event", "deadline_ics", "merge", "new_calendar", "signing_event"]
