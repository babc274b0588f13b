"""The dashboard: every file, most urgent first, with filters in the address bar."""

from __future__ import annotations

from dataclasses import dataclass
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


#: Marks a named hole in markup rendered once, filled in per row: ``\x00name\x00`` (NUL never
#: occurs in real text: unstorable input is refused before any view runs).
HOLE = "\x00"


def hole(name: str) -> str:
    return f"{HOLE}{name}{HOLE}"


class Stamp:
    """A macro's markup rendered once with named holes, filled in per row by ``Markup %``.

    A macro call costs more than everything else a row needs: the dashboard
    renders the deadline chip once per urgency and fills in each row's date and
    "in 3 days". ``Markup``'s own ``%`` escapes whatever is filled in.
    """

    def __init__(self, html: Markup, names: tuple[str, ...]) -> None:
        assert isinstance(html, Markup), "a macro's output"
        fmt = html.replace("%", "%%")
        for name in names:
            fmt = fmt.replace(hole(name), f"%({name})s")
        self.fmt = fmt

    def __call__(self, **values: str) -> Markup:
        return self.fmt % values


@dataclass(slots=True)
class Line:
    """One dashboard row: its class, its partner's texts and its other cells' markup."""

    css: str
    flag: Markup
    href: str
    partner: Markup
    mine: bool
    kind: Markup
    stands: Markup
    progress: Markup
    deadline: Markup
    who: Markup


class Lines:
    """The dashboard's rows, ready to print, for one page.

    Each translation, date format and macro is worked out once per distinct value
    (country, partner, workflow and states, urgency, progress, minute) and reused:
    ~30,000 template calls for 1,000 rows became a few dozen, and the row loop in
    ``dashboard/index.html`` only prints (docs/performance.md, figure 1). The
    lookups are written out, without closures or key tuples where a plain key
    does: fewer objects per row is less garbage collection on a large page.
    """

    def __init__(self, lang: str, now: datetime) -> None:
        self.lang, self.now = lang, now
        self.macro: dict[str, Any] = {
            name: get_template_attribute("_macros/workflow.html", name)
            for name in ("flag", "state_badge", "progress_bar", "due_chip", "due_chip_text")
        }
        self.href = url_for("processes.detail", process_id=1).removesuffix("1")
        self.cell: dict[str, Any] = {
            name: get_template_attribute("dashboard/_cells.html", name)
            for name in ("kind", "stands", "progress", "deadline", "who")
        }
        self.progress_of = escape(_("Progress of %(partner)s"))
        self.chips: dict[tuple[str, str | None], Stamp] = {}  # per urgency and step
        self.partners: dict[int, tuple[Markup, Markup]] = {}  # flag and name per partner
        self.kinds: dict[int, Markup] = {}  # per workflow version
        self.stands: dict[tuple[Any, ...], Markup] = {}  # per workflow version, states, since
        self.bars: dict[tuple[float, int], Markup] = {}  # per progress and partner
        self.people: dict[str, Markup] = {}  # per "who must act"
        self.hints: dict[tuple[int, str], str] = {}  # per workflow version and state
        self.days: dict[datetime, str] = {}  # "since …" per minute
        self.minutes: dict[datetime, Markup] = {}  # deadline per minute
        self.relative: dict[int, Markup] = {}  # "in 3 days" per second

    def line(self, row: queries.DashboardRow) -> Line:
        p = row.process
        defn, wid, partner = p.definition, p.workflow_id, p.partner
        flag, name = self.partners.get(partner.id) or self._partner(partner)
        kind = self.kinds.get(wid)
        if kind is None:
            kind = self.kinds[wid] = self.cell["kind"](pick(defn.title, self.lang))
        day = ""
        if row.since and not p.is_closed:
            minute = row.since.replace(second=0, microsecond=0)
            day = self.days.get(minute) or self.days.setdefault(
                minute, str(format_datetime(row.since, "d MMM y"))
            )
        stands = self.stands.get((wid, day, *row.states))
        if stands is None:
            badge = self.macro["state_badge"]
            badges = escape("").join(x for s in row.states for x in (badge(defn, s), " "))
            stands = self.stands[(wid, day, *row.states)] = self.cell["stands"](badges, day)
        bar = self.bars.get((row.progress, partner.id))
        if bar is None:
            label = self.progress_of % {"partner": partner.name(self.lang)}
            bar = self.bars[(row.progress, partner.id)] = self.cell["progress"](
                self.macro["progress_bar"](row.progress, label)
            )
        joined = ", ".join(row.who)
        who = self.people.get(joined)
        if who is None:
            who = self.people[joined] = self.cell["who"](row.who)
        hint = None
        if row.due_state and row.due_state in defn.states:
            hint = self.hints.get((wid, row.due_state))
            if hint is None:
                hint = self.hints[(wid, row.due_state)] = pick(
                    defn.states[row.due_state].title, self.lang
                )
        return Line(
            css=f"urgency-{row.urgency} closed" if p.is_closed else f"urgency-{row.urgency}",
            flag=flag,
            href=f"{self.href}{p.id}",
            partner=name,
            mine=bool(row.waiting_on_me),
            kind=kind,
            stands=stands,
            progress=bar,
            deadline=self.due(row.next_due, row.urgency, hint),
            who=who,
        )

    def _partner(self, partner: queries.PartnerRef) -> tuple[Markup, Markup]:
        found = self.partners[partner.id] = (
            self.macro["flag"](partner.country),
            escape(partner.name(self.lang)),
        )
        return found

    def due(self, due: datetime | None, urgency: str, hint: str | None) -> Markup:
        """The deadline cell: day and time in the page's zone, how far off, and its step.

        Athens is a whole number of hours from UTC, so the minute in UTC decides the
        minute shown; Babel counts whole seconds, so they decide the "in 3 days".
        """
        chip = self.chips.get((urgency if due else "", hint))
        if chip is None:
            names = ("iso", "when", "rel") if due else ()
            inner = self.macro["due_chip_text"](urgency, *map(hole, names)) if due else None
            html = self.cell["deadline"](inner or self.macro["due_chip"](None, "none"), hint)
            chip = self.chips[(urgency if due else "", hint)] = Stamp(html, names)
        if due is None:
            return chip()
        minute = due.replace(second=0, microsecond=0)
        shown = self.minutes.get(minute)
        if shown is None:
            shown = self.minutes[minute] = escape(format_datetime(due, "d MMM y, HH:mm"))
        delta = due - self.now
        seconds = delta.days * 86400 + delta.seconds
        rel = self.relative.get(seconds)
        if rel is None:
            rel = self.relative[seconds] = escape(
                format_timedelta(delta, add_direction=True, threshold=1.1)
            )
        return chip(iso=due.isoformat(), when=shown, rel=rel)


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
