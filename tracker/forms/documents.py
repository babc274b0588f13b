"""Uploading a document to a file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length

from .fields import REQUIRED, InputRequired


class UploadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    kind = SelectField(_l("Type of document"), validators=[InputRequired()])
    file = FileField(_l("File (PDF, DOCX, ODT, PNG or JPEG)"), validators=[FileRequired(REQUIRED)])
    submit = SubmitField(_l("Upload"))
