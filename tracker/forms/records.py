"""What staff record from outside: council votes, outside decisions, moved deadlines.

Only the shape of the input is checked here; quorum, majority, ΑΔΑ and dates
are the services' rules and come back as messages next to each field.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from .fields import InputRequired, IntegerField


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class CouncilForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])
    purpose = SelectField(_l("Purpose of the decision"), validators=[InputRequired()])
    phase = SelectField(
        _l("Signing phase (travel decisions only)"),
        choices=[SelectChoice(v, v or "—") for v in ("", "A", "B", "joint")],
        validators=[Optional()],
    )
    session_date = DateField(_l("Session date"), validators=[InputRequired()])
    session_number = StringField(
        _l("Session number"), validators=[Optional(), Length(max=40)], filters=[_strip]
    )
    decision_number = StringField(
        _l("Decision number"), validators=[InputRequired(), Length(max=40)], filters=[_strip]
    )
    ada = StringField(
        _l("ΑΔΑ (Diavgeia posting number)"),
        validators=[Optional(), Length(max=40)],
        filters=[_strip],
    )
    posted_on = DateField(_l("Posted on Diavgeia on"), validators=[Optional()])
    members = IntegerField(_l("Council members"), validators=[InputRequired()])
    present = IntegerField(_l("Present"), validators=[InputRequired()])
    votes_for = IntegerField(_l("For"), validators=[InputRequired()])
    against = IntegerField(_l("Against"), validators=[InputRequired()])
    abstain = IntegerField(_l("Abstaining"), validators=[InputRequired()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])


class PostingForm(FlaskForm):
    """The Diavgeia details a council decision was recorded without (either or both)."""

    version = IntegerField(validators=[InputRequired()])
    ada = StringField(
        _l("ΑΔΑ (Diavgeia posting number)"),
        validators=[Optional(), Length(max=40)],
        filters=[_strip],
    )
    posted_on = DateField(_l("Posted on Diavgeia on"), validators=[Optional()])


class AdaCorrectionForm(FlaskForm):
    """A recorded ΑΔΑ that was mistyped: the right one, and why (the history keeps both).

    Whether each is given and well formed is the service's to say, so both messages
    show at once.
    """

    version = IntegerField(validators=[InputRequired()])
    ada = StringField(_l("Correct ΑΔΑ"), filters=[_strip])
    reason = TextAreaField(_l("Reason for the correction"))


class ExternalForm(FlaskForm):
    """One outside event; its kind comes from the page, its possible outcomes from the kind."""

    version = IntegerField(validators=[InputRequired()])
    outcome = RadioField(_l("Outcome"), validators=[InputRequired()])
    event_date = DateField(_l("Date"), validators=[InputRequired()])
    reference = StringField(
        _l("Reference (protocol number)"), validators=[Optional(), Length(max=120)]
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])


class ExtendForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])
    new_due = DateField(_l("New due date"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])
