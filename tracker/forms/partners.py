"""An authority's details and its successor after a merger."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from .fields import InputRequired, IntegerField


class AuthorityForm(FlaskForm):
    name_el = StringField(_l("Name in Greek"), validators=[InputRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[InputRequired(), Length(max=200)])
    name_native = StringField(
        _l("Name in its own language"), validators=[InputRequired(), Length(max=200)]
    )
    country = StringField(_l("Country code"), validators=[InputRequired(), Length(max=2)])
    timezone = StringField(_l("Time zone"), validators=[InputRequired(), Length(max=64)])
    language = StringField(_l("Language code"), validators=[InputRequired(), Length(max=8)])
    population = IntegerField(
        _l("Population"), validators=[Optional(), NumberRange(min=0, max=100_000_000)]
    )
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])


class SuccessorForm(FlaskForm):
    successor = SelectField(_l("Now part of"), coerce=int, validators=[InputRequired()])
    reorganised_on = DateField(_l("Since"), validators=[Optional()])
