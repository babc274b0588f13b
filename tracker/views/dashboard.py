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
    get_timezone,
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


#: Where a value goes in markup rendered once and filled in per row (never in real text).
HOLE = "\x00"


class Stamp:
    """Markup rendered once with ``HOLE`` placeholders, filled in per row by joining strings.

    A macro call costs about as much as the rest of a row: the dashboard calls
    each macro once per distinct value (urgency, progress) and fills in the texts
    that differ from row to row, escaped.
    """

    def __init__(self, html: Markup) -> None:
        assert isinstance(html, Markup), "a macro's output"
        self.parts = html.split(HOLE)  # Markup pieces: joining escapes only the values

    def __call__(self, *values: str) -> Markup:
        out = [self.parts[0]]
        for value, part in zip(values, self.parts[1:], strict=True):
            out += (value, part)
        return Markup("").join(out)


@dataclass(slots=True)
class Line:
    """One dashboard row with every text and piece of markup ready: the template only prints."""

    css: str
    href: str
    flag: Markup
    partner: str
    mine: bool
    kind: str
    badges: Markup
    since: str
    progress: Markup
    due: Markup
    due_hint: str
    who: str


class Lines:
    """Turns the dashboard's rows into ``Line``s for one page.

    Each translation, date format and macro is worked out once per distinct value
    (country, workflow and states, urgency, progress, day, minute) and reused:
    ~30,000 template calls for 1,000 rows became a few hundred (docs/performance.md).
    """

    def __init__(self, lang: str, now: datetime) -> None:
        self.lang, self.now, self.tz = lang, now, get_timezone()
        self.macro: dict[str, Any] = {
            name: get_template_attribute("_macros/workflow.html", name)
            for name in ("flag", "state_badge", "progress_bar", "due_chip", "due_chip_text")
        }
        self.href = url_for("processes.detail", process_id=1).removesuffix("1")
        self.progress_of = escape(_("Progress of %(partner)s"))
        self.since_fmt = escape(_("since %(when)s"))
        self.no_due = self.macro["due_chip"](None, "none")
        self.memo: dict[tuple[Any, ...], Any] = {}

    def _once(self, key: tuple[Any, ...], make: Any) -> Any:
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = make()
        return found

    def line(self, row: queries.DashboardRow) -> Line:
        p, m = row.process, self.macro
        defn, wid = p.definition, p.workflow_id
        partner = p.partner.name(self.lang)
        bar = self._once(
            ("progress", row.progress), lambda: Stamp(m["progress_bar"](row.progress, HOLE))
        )
        since = ""
        if row.since and not p.is_closed:
            day = row.since.astimezone(self.tz).date()
            since = self._once(
                ("since", day),
                lambda: self.since_fmt % {"when": format_datetime(row.since, "d MMM y")},
            )
        hint = ""
        if row.due_state and row.due_state in defn.states:
            hint = self._once(
                ("hint", wid, row.due_state),
                lambda: pick(defn.states[row.due_state].title, self.lang),
            )
        return Line(
            css=f"urgency-{row.urgency} closed" if p.is_closed else f"urgency-{row.urgency}",
            href=f"{self.href}{p.id}",
            flag=self._once(("flag", p.partner.country), lambda: m["flag"](p.partner.country)),
            partner=partner,
            mine=bool(row.waiting_on_me),
            kind=self._once(("kind", wid), lambda: pick(defn.title, self.lang)),
            badges=self._once(
                ("badges", wid, *row.states),
                lambda: Markup("").join(
                    x for s in row.states for x in (m["state_badge"](defn, s), " ")
                ),
            ),
            since=since,
            progress=bar(self.progress_of % {"partner": partner}),
            due=self.due(row.next_due, row.urgency) if row.next_due else self.no_due,
            due_hint=hint,
            who=", ".join(row.who) if row.who else "—",
        )

    def due(self, due: datetime, urgency: str) -> Markup:
        """The deadline chip: day and time in the page's zone, and how far off, in its language."""
        local = due.astimezone(self.tz)
        shown = self._once(
            ("when", local.date(), local.hour, local.minute),
            lambda: str(format_datetime(due, "d MMM y, HH:mm")),
        )
        delta = due - self.now
        seconds = delta.days * 86400 + delta.seconds  # Babel's own rounding: whole seconds
        rel = self._once(
            ("rel", seconds),
            lambda: str(format_timedelta(delta, add_direction=True, threshold=1.1)),
        )
        chip = self._once(
            ("chip", urgency), lambda: Stamp(self.macro["due_chip_text"](urgency, HOLE, HOLE, HOLE))
        )
        return chip(due.isoformat(), shown, rel)


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
