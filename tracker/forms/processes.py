"""Forms that move a file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.validators import InputRequired, Optional


class TransitionForm(FlaskForm):
    """Carries the version the user saw: a stale page cannot move the file."""

    version = IntegerField(validators=[InputRequired()])
    transition = HiddenField(validators=[InputRequired()])
    date = DateField(_l("Date"), validators=[Optional()])
    place = RadioField(
        _l("Where"),
        choices=[("home", _l("In Marousi")), ("partner", _l("In the partner city"))],
        validators=[Optional()],
    )
    successor = SelectField(_l("Successor authority"), coerce=str, validators=[Optional()])
    submit = SubmitField(_l("Go"))
