"""Personal API tokens: name a new one (password confirmed), revoke one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[InputRequired(), Length(max=80)],
        description=_l("What it is for, e.g. “council minutes script”."),
    )
    password = PasswordField(_l("Confirm your password"), validators=[Optional(), Length(max=1024)])


class RevokeForm(FlaskForm):
    """Only the CSRF token: the token to revoke is in the URL."""
