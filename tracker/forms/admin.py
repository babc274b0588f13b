"""Administrator forms: accounts and roles, workflow step settings."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain.calendar import UNITS
from ..domain.definitions import POLICIES
from ..domain.ladders import ANCHORS, KINDS
from ..domain.roles import ROLE_KEYS, ROLES
from ..domain.text import pick
from .account import LANGUAGES, options
from .fields import DataRequired, InputRequired, IntegerField


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of labelled checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices(lang: str) -> list[SelectChoice]:
    return options((key, pick(ROLES[key], lang)) for key in ROLE_KEYS)


class _ReauthMixin:
    password = PasswordField(
        _l("Your own password (asked again before changing roles)"),
        validators=[Optional(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class UserCreateForm(_ReauthMixin, FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    language = RadioField(
        _l("Language"),
        choices=options(LANGUAGES),
        default="el",
        validators=[InputRequired()],
    )
    roles = MultiCheckboxField(_l("Roles"), validators=[DataRequired()])
    submit = SubmitField(_l("Create account and send invitation"))


class UserEditForm(_ReauthMixin, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    language = RadioField(
        _l("Language"),
        choices=options(LANGUAGES),
        validators=[InputRequired()],
    )
    roles = MultiCheckboxField(_l("Roles"), validators=[DataRequired()])
    submit = SubmitField(_l("Save"))


class ActionForm(FlaskForm):
    """A bare button (deactivate, resend invitation): CSRF only."""

    submit = SubmitField(_l("Confirm"))


# --- Workflow step settings ------------------------------------------------------------------

UNIT_LABELS = {"calendar": _l("calendar days"), "working": _l("working days")}
ANCHOR_LABELS = {"start": _l("from the start of the step"), "due": _l("from the due date")}
KIND_LABELS = {
    "before": _l("before"),
    "due": _l("due"),
    "overdue": _l("overdue"),
    "escalation": _l("escalation"),
    "reminder": _l("reminder"),
    "opening": _l("opening"),
    "closing": _l("closing"),
}
POLICY_LABELS = {
    "any": _l("any one of them"),
    "all": _l("all of them"),
    "majority": _l("a majority"),
    "at_least": _l("at least n"),
}
RECIPIENT_GROUPS = ("assignees", "owner", "approvers", *ROLE_KEYS)


class RungForm(Form):
    """One reminder of the ladder; a row with an empty key is ignored."""

    key = StringField(_l("Name"), validators=[Optional(), Length(max=40)])
    offset = IntegerField(_l("Days (negative: before)"), validators=[Optional()])
    unit = SelectField(_l("Unit"), choices=options((u, UNIT_LABELS[u]) for u in UNITS))
    anchor = SelectField(_l("Counted"), choices=options((a, ANCHOR_LABELS[a]) for a in ANCHORS))
    kind = SelectField(_l("Kind"), choices=options((k, KIND_LABELS[k]) for k in KINDS))
    to = StringField(_l("Recipients"), validators=[Optional(), Length(max=300)])


class GroupForm(Form):
    """One approver group; a row with no roles is ignored."""

    roles = MultiCheckboxField(_l("Approver roles"), validators=[Optional()])
    policy = SelectField(
        _l("Decides when"), choices=options((p, POLICY_LABELS[p]) for p in POLICIES)
    )
    n = IntegerField(_l("n (for “at least n”)"), validators=[Optional(), NumberRange(min=1)])
    veto = BooleanField(_l("One rejection rejects"))


class StepSettingsForm(FlaskForm):
    seen_version = HiddenField()
    has_deadline = BooleanField(_l("This step has a deadline"))
    amount = IntegerField(_l("Length"), validators=[Optional(), NumberRange(min=0, max=3650)])
    unit = SelectField(_l("Counted in"), choices=options((u, UNIT_LABELS[u]) for u in UNITS))
    rungs = FieldList(FormField(RungForm), min_entries=0, max_entries=30)
    repeat_every_days = IntegerField(
        _l("Also remind every … calendar days"), validators=[Optional(), NumberRange(1, 365)]
    )
    ordered = BooleanField(_l("Groups decide one after another"))
    groups = FieldList(FormField(GroupForm), min_entries=0, max_entries=10)
    comment = TextAreaField(_l("Why (kept with the version)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Save as a new version"))

    def set_role_choices(self, lang: str) -> None:
        for group in self.groups:
            group.form.roles.choices = role_choices(lang)

    # -- turning the form into definition data (shape only; the domain validates meaning) --

    def deadline_data(self) -> dict[str, Any] | None:
        if not self.has_deadline.data:
            return None
        return {"amount": self.amount.data or 0, "unit": self.unit.data}

    def ladder_data(self) -> dict[str, Any] | None:
        """Exactly the reminders listed (none if every name is empty)."""
        rungs = []
        for row in self.rungs:
            f = row.form
            key = (f.key.data or "").strip()
            if not key:
                continue
            to = [t.strip() for t in (f.to.data or "").split(",") if t.strip()]
            rungs.append(
                {
                    "key": key,
                    "offset": f.offset.data or 0,
                    "unit": f.unit.data,
                    "anchor": f.anchor.data,
                    "kind": f.kind.data,
                    "to": to or ["assignees", "owner"],
                }
            )
        if not self.has_deadline.data:
            return None  # reminders count from a deadline: without one they never fire
        return {"rungs": rungs, "repeat_every_days": self.repeat_every_days.data}

    def approval_data(self) -> dict[str, Any] | None:
        groups = []
        for row in self.groups:
            f = row.form
            if not f.roles.data:
                continue
            group: dict[str, Any] = {"roles": list(f.roles.data), "policy": f.policy.data}
            if f.policy.data == "at_least":
                group["n"] = f.n.data
            if f.veto.data:
                group["veto"] = True
            groups.append(group)
        if not groups:
            return None
        return {"groups": groups, "ordered": bool(self.ordered.data)}

    def validate_rungs(self, field: Any) -> None:
        """Recipients must be known groups; a row with a name needs its number of days."""
        for row in field:
            f = row.form
            if not (f.key.data or "").strip():
                continue
            if f.offset.data is None:
                f.offset.errors = [*f.offset.errors, _l("Give the number of days.")]
                raise ValidationError(_l("Check the reminders."))
            unknown = [
                t.strip()
                for t in (f.to.data or "").split(",")
                if t.strip() and t.strip() not in RECIPIENT_GROUPS
            ]
            if unknown:
                f.to.errors = [
                    *f.to.errors,
                    # gettext, not lazy_gettext: a lazy string counts as safe markup
                    # in a template, and these names are what the user typed.
                    _("Unknown recipients: %(names)s", names=", ".join(unknown)),
                ]
                raise ValidationError(_l("Check the reminders."))

    def validate_groups(self, field: Any) -> None:
        for row in field:
            f = row.form
            if f.roles.data and f.policy.data == "at_least" and not f.n.data:
                f.n.errors = [*f.n.errors, _l("“At least n” needs n.")]
                raise ValidationError(_l("Check the approvers."))
