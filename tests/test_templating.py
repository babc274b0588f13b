"""The page's own ``_``: the i18n extension's contract, without its private helper."""

from __future__ import annotations

from jinja2 import Environment

from tracker.templating import page_gettext

CATALOGUE = {"Hello %(name)s": "Γεια σου %(name)s", "100%% sure": "100%% σίγουρα"}


def render(source: str, autoescape: bool, **values: object) -> str:
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
    env.globals["gettext"] = page_gettext(lambda m: CATALOGUE.get(m, m))
    return env.from_string(source).render(**values)


def test_values_are_escaped_and_the_translation_kept():
    page = render('{{ _("Hello %(name)s", name=who) }}', True, who="<b>x</b>")
    assert page == "Γεια σου &lt;b&gt;x&lt;/b&gt;"


def test_the_message_is_always_a_format():
    assert render('{{ _("100%% sure") }}', True) == "100% σίγουρα"
    assert render("{% trans %}100%% sure{% endtrans %}", False) == "100% σίγουρα"


def test_without_autoescape_text_stays_text():
    assert render('{{ _("Hello %(name)s", name="<i>") }}', False) == "Γεια σου <i>"


def test_values_may_be_called_context_or_message():
    page = render('{{ _("Hello %(message)s", message=m, context="x") }}', True, m="<b>")
    assert page == "Hello &lt;b&gt;"


# --- Reminder labels on a file page: rungs of one kind read apart. ---

RUNG_CASES = [
    ("before_5", "before", "5 εργάσιμες πριν από τη λήξη", "5 working days before the deadline"),
    ("before_1", "before", "1 εργάσιμη πριν από τη λήξη", "1 working day before the deadline"),
    ("due", "due", "την ημέρα λήξης", "on the due day"),
    ("overdue_2", "overdue", "2 εργάσιμες μετά τη λήξη", "2 working days after the deadline"),
    ("escalation", "escalation", "κλιμάκωση", "escalation"),
    ("repeat", "reminder", "υπενθύμιση", "reminder"),  # a repeat has no rung of its own
]


def test_each_rung_says_how_far_from_the_due_date_it_is(app):
    from types import SimpleNamespace

    from flask_babel import force_locale

    from tracker.domain.ladders import DEFAULT_LADDER
    from tracker.templating import rung_label

    deadline = SimpleNamespace(ladder=DEFAULT_LADDER.to_dict())
    calendar_days = SimpleNamespace(
        ladder={
            "rungs": [
                {"key": "b", "offset": -3, "unit": "calendar", "anchor": "due", "kind": "before"},
                {"key": "o", "offset": 1, "unit": "calendar", "anchor": "due", "kind": "overdue"},
            ]
        }
    )
    with app.test_request_context():
        for lang, column in (("el", 2), ("en", 3)):
            with force_locale(lang):
                for case in RUNG_CASES:
                    reminder = SimpleNamespace(rung=case[0], kind=case[1])
                    assert rung_label(reminder, deadline) == case[column]
                before = SimpleNamespace(rung="b", kind="before")
                after = SimpleNamespace(rung="o", kind="overdue")
                assert rung_label(before, calendar_days) == (
                    "3 ημέρες πριν από τη λήξη" if lang == "el" else "3 days before the deadline"
                )
                assert rung_label(after, calendar_days) == (
                    "1 ημέρα μετά τη λήξη" if lang == "el" else "1 day after the deadline"
                )
        # A ladder the label cannot read still gives the kind's name.
        broken = SimpleNamespace(ladder={"rungs": [{"key": "x"}]})
        with force_locale("el"):
            assert rung_label(SimpleNamespace(rung="x", kind="before"), broken) == (
                "πριν από τη λήξη"
            )
