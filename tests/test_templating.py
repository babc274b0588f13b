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
