"""The dashboard's filters: a GET form (bookmarkable, changes nothing, so no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validate_choice=False)
    state = SelectField(_l("State"), validate_choice=False)
    country = SelectField(_l("Country"), validate_choice=False)
    overdue = BooleanField(_l("Overdue only"))
    mine = BooleanField(_l("Waiting on me"))
