"""The calendar-feed buttons: create (or replace) and revoke; CSRF comes with FlaskForm."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField
from wtforms.validators import Length, Optional


class FeedForm(FlaskForm):
    next = HiddenField(validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Create my calendar link"))


class RevokeFeedForm(FlaskForm):
    next = HiddenField(validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Revoke this link"))
