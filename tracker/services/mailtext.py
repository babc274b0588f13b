"""Email and calendar wording: templates rendered in the recipient's language, Athens times.

Every message is a ``templates/email/<kind>.txt`` + ``.html`` pair. The text template
also defines ``{% block subject %}``, so subject and bodies come from one place and
one translation catalogue (Flask-Babel, forced to the recipient's language).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from babel.dates import format_date, format_datetime
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..domain.calendar import HOME_TZ, to_local
from ..domain.text import pick
from ..models import Deadline, Process, User
from .outbox import single_line

LANGS = ("el", "en")


def lang_of(user: User) -> str:
    """The language the user reads their mail in (Greek unless they chose English)."""
    return user.language if user.language in LANGS else "el"


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Translate to ``lang`` inside the block, whatever the current request speaks."""
    with force_locale(lang if lang in LANGS else "el"):
        yield


def when(moment: datetime, lang: str) -> str:
    """A moment as people in Athens read it: "Τρίτη 1 Δεκεμβρίου 2026, 23:59"."""
    return format_datetime(moment, "EEEE d MMMM y, HH:mm", tzinfo=HOME_TZ, locale=lang)


def day(value: date | datetime, lang: str) -> str:
    """A date (an aware moment is first taken to its Athens date)."""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return format_date(value, "d MMMM y", locale=lang)


def title_of(process: Process, lang: str) -> str:
    """The file's title in ``lang``: the default one ("Αδελφοποίηση — Ουμεό") is made again
    from the workflow's title and the partner's name in that language; a title typed
    by staff stays as typed."""
    defn, partner = process.definition, process.partner
    if process.title == default_title(defn.title, partner.name_el):
        return default_title(defn.title, partner.name(lang), lang)
    return process.title


def default_title(kind: Mapping[str, str], partner: str, lang: str = "el") -> str:
    """What ``create_process`` calls a file nobody gave a title: kind — partner."""
    return f"{pick(kind, lang)} — {partner}"


def deadline_title(deadline: Deadline, lang: str) -> str:
    """What a deadline is about: the step's title, or the kind of statutory timer."""
    process = deadline.process
    state = deadline.state
    if deadline.kind == "step" and state is not None and state in process.definition.states:
        return pick(process.definition.states[state].title, lang)
    with speaking(lang):
        titles = {
            "appeal": _("Appeal window"),
            "expiry": _("Expiry of the agreement"),
            "review": _("Review of the agreement"),
            "report": _("Annual report"),
        }
        return str(titles.get(deadline.kind, _("Deadline")))


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, lang: str, /, **context: Any) -> Rendered:
    """Subject, plain text and HTML of ``templates/email/<template>`` in ``lang``."""
    env = current_app.jinja_env
    values = {
        "lang": lang,
        "when": lambda m: when(m, lang),
        "day": lambda d: day(d, lang),
        "title_of": lambda p: title_of(p, lang),
    }
    values.update(context)
    with speaking(lang):
        text_tpl = env.get_template(f"email/{template}.txt")
        subject = "".join(text_tpl.blocks["subject"](text_tpl.new_context(values)))
        text = text_tpl.render(values)
        html = env.get_template(f"email/{template}.html").render(values)
    return Rendered(single_line(subject), text.strip() + "\n", html)
