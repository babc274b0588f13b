"""Jinja filters and globals: Athens times, bilingual titles, state badges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Mapping

from flask import Flask
from flask_babel import format_date, format_datetime, get_translations, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .domain.errors import DefinitionError
from .domain.ladders import Ladder, Rung
from .domain.roles import ROLES
from .domain.text import COUNCIL_PURPOSES, EXTERNAL_EVENTS, OUTCOMES, PHASES, Reason, pick
from .services.urls import is_web_url
from .views.edge import lang

#: A moment as every page writes it: "26 Νοε 2026, 05:51" / "26 Nov 2026, 05:51".
#: Babel's "short" ("26/11/26, 5:50 π.μ.", in English "11/26/26, 5:54 AM") left
#: the day and the month to guess, which matters for a token's expiry.
MOMENT = "d MMM y, HH:mm"


def localdt(value: datetime | None, fmt: str = MOMENT) -> str:
    """Aware UTC in, Europe/Athens text out (Flask-Babel's timezone selector)."""
    if value is None:
        return "—"
    return format_datetime(value, fmt)


def localdate(value: date | datetime | None, fmt: str = "medium") -> str:
    """A day as "18 Nov 2026" / "18 Νοε 2026", the same shape as ``localdt``.

    Babel's English "medium" is "Nov 18, 2026": next to "29 Sep 2026, 03:31"
    on the same page it read as two conventions.
    """
    if value is None:
        return "—"
    pattern = "d MMM y" if fmt == "medium" else fmt
    if isinstance(value, datetime):
        return format_datetime(value, pattern)
    return format_date(value, pattern)


def bilingual(value: Mapping[str, str] | None) -> str:
    return pick(value or {}, lang())


def sentence(value: str | None) -> str:
    """The first letter up, the rest as written: "γνώμη του Υπουργείου Εσωτερικών".

    Jinja's ``capitalize`` lowers the rest, which turned the ministry's name into
    «υπουργείου εσωτερικών».
    """
    text = value or ""
    return text[:1].upper() + text[1:]


def _rung(key: str, ladder: Mapping[str, Any] | None) -> Rung | None:
    try:
        rungs = Ladder.from_dict(ladder).rungs if ladder else ()
    except DefinitionError:
        return None
    return next((r for r in rungs if r.key == key), None)


def rung_label(reminder: Any, deadline: Any) -> str:
    """What a reminder of a deadline's ladder is, as its list on the file page says it.

    Two rungs of one kind read apart by their distance from the due date: «5 εργάσιμες
    πριν από τη λήξη» and «1 εργάσιμη πριν από τη λήξη», not «πριν από τη λήξη» twice.
    """
    rung = _rung(reminder.rung, deadline.ladder)
    if rung is not None and rung.anchor == "due" and rung.kind in ("before", "overdue"):
        n = abs(rung.offset)
        working = rung.unit == "working"
        if rung.kind == "before" and working:
            return ngettext(
                "%(num)s working day before the deadline",
                "%(num)s working days before the deadline",
                n,
            )
        if rung.kind == "before":
            return ngettext(
                "%(num)s day before the deadline", "%(num)s days before the deadline", n
            )
        if working:
            return ngettext(
                "%(num)s working day after the deadline",
                "%(num)s working days after the deadline",
                n,
            )
        return ngettext("%(num)s day after the deadline", "%(num)s days after the deadline", n)
    labels = {
        "before": _("before the deadline"),
        "due": _("on the due day"),
        "overdue": _("overdue"),
        "escalation": _("escalation"),
        "reminder": _("reminder"),
        "opening": _("opening notice"),
        "closing": _("closing notice"),
    }
    return labels.get(reminder.kind, reminder.kind)


def reason_text(reason: Reason) -> str:
    return reason.text(lang())


def file_title(process: Any) -> str:
    """The file's title in the page's language (a default title follows the language)."""
    from .services.mailtext import title_of

    return title_of(process, lang())


def web_url(value: str | None) -> str:
    """A user-entered address for ``href``: http(s) only, else nothing (no ``javascript:``).

    The service already refuses other schemes when the address is saved; this
    also covers rows written before that rule or by other means.
    """
    text = (value or "").strip()
    return text if is_web_url(text) else ""


def page_gettext(lookup: Callable[[str], str]) -> Callable[..., str]:
    """Jinja's new-style ``_``/``gettext`` over a catalogue already resolved for the page.

    The same contract as the i18n extension's: the message is always a ``%`` format
    (so "%%" reads "%"), and under autoescape it is ``Markup``, so the values put into
    it are escaped and the translation's own markup is kept.
    """

    @pass_context
    def gettext(context: Context, message: str, /, **variables: Any) -> str:
        text: str = lookup(message)
        if context.eval_ctx.autoescape:
            # Our own catalogue's text, trusted; the values put into it escape through %.
            text = Markup(text)  # noqa: S704  # nosec B704
        return text % variables

    return gettext


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        localdt=localdt,
        localdate=localdate,
        pick=bilingual,
        reason=reason_text,
        sentence=sentence,
        web_url=web_url,
        file_title=file_title,
    )
    app.jinja_env.globals["rung_label"] = rung_label
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "lang": lang(),
            "ROLES": ROLES,
            "COUNCIL_PURPOSES": COUNCIL_PURPOSES,
            "EXTERNAL_EVENTS": EXTERNAL_EVENTS,
            "OUTCOMES": OUTCOMES,
            "PHASES": PHASES,
            "me": current_user,
            # Flask-Babel's `_` looks the request's catalogue up again on every call (a few
            # hundred per file page); a page resolves it once when it starts rendering.
            # Macros imported without context, and mail (mailtext renders from the
            # environment under force_locale), keep Flask-Babel's own `_`.
            "gettext": page_gettext(get_translations().ugettext),
        }
