"""Personal API tokens: name a new one and its lifetime (password confirmed), revoke one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import Length, Optional

from ..services.tokens import DEFAULT_LIFETIME, LIFETIMES
from .fields import InputRequired
from .options import options

#: One label per lifetime the service allows (``LIFETIMES``); a test keeps the two equal.
LIFETIME_LABELS = {
    30: _l("30 days"),
    90: _l("90 days"),
    365: _l("365 days (one year)"),
}


def _days(value: object) -> int | None:
    """The chosen number of days; text that is no number becomes None, which the choice
    check refuses with the same "Not a valid choice" as a number not offered."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else None


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[InputRequired(), Length(max=80)],
        description=_l("What it is for, e.g. “council minutes script”."),
    )
    # No InputRequired: the select always sends a value; a post without one gets the default.
    lifetime = SelectField(
        _l("Valid for"),
        choices=options((days, LIFETIME_LABELS[days]) for days in LIFETIMES),
        coerce=_days,
        default=DEFAULT_LIFETIME,
        description=_l("After this the token stops working; make a new one before then."),
    )
    password = PasswordField(_l("Confirm your password"), validators=[Optional(), Length(max=1024)])


class RevokeForm(FlaskForm):
    """Only the CSRF token: the token to revoke is in the URL."""
