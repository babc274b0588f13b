"""The approver's decision form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from .fields import InputRequired


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approved", _l("Approve")),
            SelectChoice("sent_back", _l("Send back")),
            SelectChoice("rejected", _l("Reject")),
        ],
        validators=[InputRequired()],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=4000)])
    password = PasswordField(_l("Confirm your password"), validators=[Optional(), Length(max=1024)])
    submit = SubmitField(_l("Submit decision"))
