"""The month view of every deadline and signing ceremony, in Europe/Athens."""

from __future__ import annotations

import re

from babel.dates import get_day_names, get_month_names
from flask import Blueprint, render_template, request
from flask_babel import get_locale

from .. import clock
from ..domain.calendar import to_local
from ..services import queries
from .access import requires

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _month_arg(raw: str | None) -> tuple[int, int]:
    """``?month=2026-05``; anything else (or nothing) means this month."""
    today = to_local(clock.utcnow()).date()
    found = re.fullmatch(r"(\d{4})-(\d{2})", raw or "")
    if found:
        year, month = int(found.group(1)), int(found.group(2))
        if 1900 <= year <= 2200 and 1 <= month <= 12:
            return year, month
    return today.year, today.month


@bp.route("/")
@requires("calendar.view")
def month() -> str:
    year, month_ = _month_arg(request.args.get("month"))
    locale = get_locale()
    return render_template(
        "calendar/month.html",
        m=queries.month(year, month_),
        month_name=get_month_names("wide", context="stand-alone", locale=locale)[month_],
        day_names=get_day_names("wide", context="format", locale=locale),
        day_abbr=get_day_names("abbreviated", context="format", locale=locale),
    )
