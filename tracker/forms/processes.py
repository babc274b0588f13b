"""Forms that open and move a file, confirm a condition, or comment on it."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from .fields import InputRequired, IntegerField


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class TransitionForm(FlaskForm):
    """Carries the version the user saw: a stale page cannot move the file."""

    version = IntegerField(validators=[InputRequired()])
    transition = HiddenField(validators=[InputRequired()])
    date = DateField(_l("Date"), validators=[Optional()])
    place = RadioField(
        _l("Where"),
        choices=[
            SelectChoice("home", _l("In Marousi")),
            SelectChoice("partner", _l("In the partner city")),
        ],
        validators=[Optional()],
    )
    successor = SelectField(
        _l("Successor authority"), coerce=str, validators=[Optional()], validate_choice=False
    )
    submit = SubmitField(_l("Go"))


def optional_id(value: object) -> int | None:
    """A select's id; its blank "choose …" option is no id at all (``None``)."""
    if value in (None, ""):
        return None
    return int(str(value))


class NewProcessForm(FlaskForm):
    """A new file: which kind of agreement, with whom, and where the idea came from.

    The partner list opens on a blank "choose a partner" option: a file must never be
    opened with the first partner of the list just because nobody changed it.
    """

    kind = SelectField(_l("Kind of agreement"), validators=[InputRequired()])
    partner = SelectField(
        _l("Partner authority"),
        coerce=optional_id,
        validators=[InputRequired(message=_l("Choose the partner authority."))],
    )
    title = StringField(
        _l("Title (optional)"), validators=[Optional(), Length(max=200)], filters=[_strip]
    )
    source = StringField(
        _l("Where the proposal came from"),
        validators=[Optional(), Length(max=200)],
        filters=[_strip],
    )
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Open the file"))


class FlagForm(FlaskForm):
    """Confirm or withdraw "final text agreed", tied to the version the user saw."""

    version = IntegerField(validators=[InputRequired()])
    value = HiddenField(validators=[InputRequired()])


class CommentForm(FlaskForm):
    """The hidden key makes a double click or a resubmission record the comment once."""

    body = TextAreaField(_l("Comment"), validators=[InputRequired(), Length(max=4000)])
    key = HiddenField(default=lambda: secrets.token_urlsafe(16))
    submit = SubmitField(_l("Add comment"))
