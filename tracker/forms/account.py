"""The user's own account: profile, second factor, leave (delegations)."""

from __future__ import annotations

from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import Length, Optional

from .fields import DataRequired, InputRequired


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


LANGUAGES = (("el", "Ελληνικά"), ("en", "English"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    language = RadioField(
        _l("Language"),
        choices=options(LANGUAGES),
        validators=[InputRequired()],
    )
    notify = RadioField(
        _l("Email notices"),
        choices=options(
            [
                ("immediate", _l("At once, one email each")),
                ("daily", _l("A daily digest")),
                ("weekly", _l("A weekly digest")),
            ]
        ),
        validators=[InputRequired()],
    )
    submit = SubmitField(_l("Save"))


class DelegationForm(FlaskForm):
    """An approver's own leave: who stands in, from when, until when."""

    substitute = SelectField(_l("Substitute"), coerce=int, validators=[InputRequired()])
    start_date = DateField(_l("From"), validators=[InputRequired()])
    end_date = DateField(_l("Until (inclusive)"), validators=[InputRequired()])
    submit = SubmitField(_l("Name substitute"))


class AdminDelegationForm(DelegationForm):
    """The administrator's variant also picks whose leave it is."""

    user = SelectField(_l("Approver on leave"), coerce=int, validators=[InputRequired()])


class PasswordConfirmForm(FlaskForm):
    """A button that needs the password (turning the second factor off)."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Confirm"))


class TotpEnrolForm(FlaskForm):
    code = StringField(
        _l("Six-digit code shown by the app"),
        validators=[DataRequired(), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    password = PasswordField(
        _l("Your password"),
        validators=[Optional(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Turn on"))
