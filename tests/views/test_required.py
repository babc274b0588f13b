"""One wording for a missing value, whether the form or the service notices it.

WTForms' own catalogue says «Αυτό το πεδίο είναι υποχρεωτικό» (no full stop); the
services' ``required`` reason said «Το πεδίο είναι υποχρεωτικό.». Both now read
«Αυτό το πεδίο είναι υποχρεωτικό.», the form's through ``tracker.forms.fields``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
import wtforms
from wtforms.fields.core import UnboundField

import tracker.forms
from tests.api.test_tokens import login
from tracker.domain.text import Reason

SAID = "Αυτό το πεδίο είναι υποχρεωτικό."


def _validators(field: UnboundField) -> list[object]:
    found = field.kwargs.get("validators") or (field.args[1] if len(field.args) > 1 else [])
    return list(found or [])


def form_classes() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(tracker.forms.__path__):
        module = importlib.import_module(f"tracker.forms.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, wtforms.Form):
                found.append(value)
    return found


def test_every_required_validator_carries_the_projects_message() -> None:
    """A bare WTForms InputRequired/DataRequired would bring back its catalogue's text."""
    bare = []
    classes = form_classes()
    assert len(classes) > 20
    for form in classes:
        for name in dir(form):
            field = getattr(form, name, None)
            if not isinstance(field, UnboundField):
                continue
            for v in _validators(field):
                kinds = (wtforms.validators.InputRequired, wtforms.validators.DataRequired)
                if isinstance(v, kinds) and v.message is None:
                    bare.append(f"{form.__name__}.{name}")
    assert bare == []


def test_the_service_reason_says_the_same() -> None:
    assert Reason("required").text("el") == SAID


@pytest.mark.parametrize("name", ["", "   "])  # the form notices the first, the service the second
def test_a_missing_token_name_reads_the_same_either_way(auth, client, team, name):
    login(auth, "staff@example.org")
    page = auth.post("/account/tokens/", {"name": name}, page="/account/tokens/")
    assert page.status_code == 400
    errors = re.search(
        r'<ul class="errors" id="name-err">(.*?)</ul>', page.get_data(as_text=True), re.S
    )
    assert errors and errors.group(1).strip() == f"<li>{SAID}</li>"
