"""The dashboard: every file, most urgent first, with filters in the address bar."""

from __future__ import annotations

from datetime import datetime

from babel import Locale
from flask import Blueprint, render_template, request
from flask_babel import format_datetime, format_decimal, format_timedelta, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
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
    return render_template("dashboard/index.html", board=board, form=form)
