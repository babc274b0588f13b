"""The dashboard: every file, most urgent first, with filters in the address bar."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel import Locale
from flask import Blueprint, get_template_attribute, render_template, request, url_for
from flask_babel import (
    format_datetime,
    format_decimal,
    format_timedelta,
    get_locale,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from .. import clock
from ..domain.text import pick
from ..flags import flag
from ..forms.dashboard import FilterForm
from ..forms.options import options
from ..services import queries
from ..services.permissions import can
from .access import requires
from .edge import lang

bp = Blueprint("dashboard", __name__)


@bp.app_template_filter("country")
def country_name(code: str) -> str:
    """The country's name in the page's language (Babel's CLDR data), or the code."""
    locale = get_locale() or Locale("el")
    return str(locale.territories.get((code or "").upper(), code))


@bp.app_template_filter("number")
def number(value: float | int | None) -> str:
    """Numbers as the language writes them: 71.800 in Greek, 71,800 in English."""
    return "—" if value is None else str(format_decimal(value))


@bp.app_template_filter("relative")
def relative(value: datetime | None) -> str:
    """ "in 4 days" / "3 days ago", in the page's language, from the movable clock."""
    if value is None:
        return ""
    return str(format_timedelta(value - clock.utcnow(), add_direction=True, threshold=1.1))


@bp.app_template_filter("when")
def when(value: datetime | None) -> str:
    """A moment in Europe/Athens, day and time, written the page's way ("23 Οκτ 2026, 23:59")."""
    return "—" if value is None else str(format_datetime(value, "d MMM y, HH:mm"))


@bp.app_template_filter("urgency_of")
def urgency_of(value: datetime | None) -> str:
    return queries.urgency(value, clock.utcnow())


@bp.app_template_global("may")
def may(action: str) -> bool:
    """Whether the current user's roles allow ``action`` (to show or hide a control)."""
    return can(current_user, action)


@bp.app_template_global("flag_shapes")
def flag_shapes(country: str) -> list[dict[str, object]]:
    return flag(country)


#: Marks a named placeholder in markup rendered once: ``\x00name\x00`` (never in real text).
HOLE = "\x00"


def hole(name: str) -> str:
    return f"{HOLE}{name}{HOLE}"


class Stamp:
    """Markup rendered once with named holes, then filled in for each row by joining strings.

    A macro call costs more than everything else a row needs: the dashboard
    renders each macro once per distinct shape (urgency, progress, which optional
    parts a row has) and fills in what differs from file to file.
    """

    def __init__(self, html: Markup) -> None:
        assert isinstance(html, Markup), "a macro's output"
        pieces = str(html).split(HOLE)
        self.texts, self.names = pieces[0::2], pieces[1::2]

    def __call__(self, escaped: Mapping[str, str]) -> Markup:
        """``escaped``: each hole's markup, already escaped (or a macro's output)."""
        out = [self.texts[0]]
        for name, text in zip(self.names, self.texts[1:], strict=True):
            out += (escaped[name], text)
        return Markup("".join(out))  # noqa: S704 - the macro's markup and escaped values only


class Lines:
    """The dashboard's rows as markup, for one page.

    Each translation, date format and macro is worked out once per distinct value
    (country, partner, workflow and states, urgency, progress, minute, shape of
    the row) and reused: ~30,000 template calls for 1,000 rows became a few
    dozen (docs/performance.md, figure 1). The markup itself stays in the
    templates (``dashboard/_row.html``, ``_macros/workflow.html``). The lookups
    are written out, without closures or key tuples where a plain key does:
    fewer objects per row is less garbage collection on a large page.
    """

    def __init__(self, lang: str, now: datetime) -> None:
        self.lang, self.now = lang, now
        self.macro: dict[str, Any] = {
            name: get_template_attribute("_macros/workflow.html", name)
            for name in ("flag", "state_badge", "progress_bar", "due_chip", "due_chip_text")
        }
        self.row = get_template_attribute("dashboard/_row.html", "row")
        self.href = str(escape(url_for("processes.detail", process_id=1).removesuffix("1")))
        self.progress_of = escape(_("Progress of %(partner)s"))
        self.since_fmt = escape(_("since %(when)s"))
        self.no_due = str(self.macro["due_chip"](None, "none"))
        self.stamps: dict[int, Stamp] = {}  # per shape of row
        self.chips: dict[str, Stamp] = {}  # per urgency
        self.partners: dict[int, tuple[str, str]] = {}  # flag and name per partner
        self.kinds: dict[int, str] = {}  # per workflow version
        self.badges: dict[tuple[Any, ...], str] = {}  # per workflow version and states
        self.bars: dict[tuple[float, int], str] = {}  # per progress and partner
        self.people: dict[str, str] = {}  # per "who must act"
        self.hints: dict[tuple[int, str], str] = {}  # per workflow version and state
        self.days: dict[datetime, str] = {}  # "since …" per minute
        self.minutes: dict[datetime, str] = {}  # deadline per minute
        self.relative: dict[int, str] = {}  # "in 3 days" per second

    def line(self, row: queries.DashboardRow) -> Markup:
        p = row.process
        defn, wid, partner = p.definition, p.workflow_id, p.partner
        since = row.since if row.since and not p.is_closed else None
        hint = row.due_state if row.due_state and row.due_state in defn.states else None
        shape = (4 if row.waiting_on_me else 0) | (2 if since else 0) | (1 if hint else 0)
        stamp = self.stamps.get(shape) or self._stamp(shape)
        flag, name = self.partners.get(partner.id) or self._partner(partner)
        kind = self.kinds.get(wid)
        if kind is None:
            kind = self.kinds[wid] = str(escape(pick(defn.title, self.lang)))
        badges = self.badges.get((wid, *row.states))
        if badges is None:
            badge = self.macro["state_badge"]
            badges = self.badges[(wid, *row.states)] = "".join(
                f"{badge(defn, s)} " for s in row.states
            )
        bar = self.bars.get((row.progress, partner.id))
        if bar is None:
            label = self.progress_of % {"partner": partner.name(self.lang)}
            bar = self.bars[(row.progress, partner.id)] = str(
                self.macro["progress_bar"](row.progress, label)
            )
        joined = ", ".join(row.who)
        who = self.people.get(joined)
        if who is None:
            who = self.people[joined] = str(escape(joined or "—"))
        values = {
            "css": f"urgency-{row.urgency} closed" if p.is_closed else f"urgency-{row.urgency}",
            "href": f"{self.href}{p.id}",
            "flag": flag,
            "partner": name,
            "kind": kind,
            "badges": badges,
            "progress": bar,
            "due": self.due(row.next_due, row.urgency) if row.next_due else self.no_due,
            "who": who,
        }
        if since:
            minute = since.replace(second=0, microsecond=0)
            text = self.days.get(minute)
            if text is None:
                when = format_datetime(since, "d MMM y")
                text = self.days[minute] = str(self.since_fmt % {"when": when})
            values["since"] = text
        if hint:
            text = self.hints.get((wid, hint))
            if text is None:
                title = pick(defn.states[hint].title, self.lang)
                text = self.hints[(wid, hint)] = str(escape(title))
            values["due_hint"] = text
        return stamp(values)

    def _stamp(self, shape: int) -> Stamp:
        """The row macro with a hole per text, the optional parts on or off."""
        names = ("css", "href", "flag", "partner", "kind", "badges", "progress", "due", "who")
        holes: dict[str, Any] = {name: hole(name) for name in names}
        holes.update(
            mine=bool(shape & 4),
            since=hole("since") if shape & 2 else "",
            due_hint=hole("due_hint") if shape & 1 else "",
        )
        found = self.stamps[shape] = Stamp(self.row(holes))
        return found

    def _partner(self, partner: queries.PartnerRef) -> tuple[str, str]:
        found = self.partners[partner.id] = (
            str(self.macro["flag"](partner.country)),
            str(escape(partner.name(self.lang))),
        )
        return found

    def due(self, due: datetime, urgency: str) -> str:
        """The deadline chip: day and time in the page's zone, and how far off, in its language.

        Athens is a whole number of hours from UTC, so the minute in UTC decides the
        minute shown; Babel counts whole seconds, so they decide the "in 3 days".
        """
        minute = due.replace(second=0, microsecond=0)
        shown = self.minutes.get(minute)
        if shown is None:
            shown = self.minutes[minute] = str(escape(format_datetime(due, "d MMM y, HH:mm")))
        delta = due - self.now
        seconds = delta.days * 86400 + delta.seconds
        rel = self.relative.get(seconds)
        if rel is None:
            rel = self.relative[seconds] = str(
                escape(format_timedelta(delta, add_direction=True, threshold=1.1))
            )
        chip = self.chips.get(urgency)
        if chip is None:
            holes = (hole("iso"), hole("when"), hole("rel"))
            chip = self.chips[urgency] = Stamp(self.macro["due_chip_text"](urgency, *holes))
        return str(chip({"iso": due.isoformat(), "when": shown, "rel": rel}))


@bp.route("/")
@requires("process.view")
def index() -> str:
    form = FilterForm(formdata=request.args)
    wanted = queries.Filters(
        kind=form.kind.data or "",
        state=form.state.data or "",
        country=form.country.data or "",
        overdue=bool(form.overdue.data),
        mine=bool(form.mine.data),
    )
    board = queries.dashboard(current_user, wanted, lang())
    form.kind.choices = options([("", _("All kinds")), *board.kinds])
    form.state.choices = options([("", _("All states")), *board.states])
    form.country.choices = options(
        [("", _("All countries")), *[(c, country_name(c)) for c in board.countries]]
    )
    lines = Lines(lang(), clock.utcnow())
    return render_template(
        "dashboard/index.html", board=board, form=form, lines=[lines.line(r) for r in board.rows]
    )
