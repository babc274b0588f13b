"""Administrator pages: accounts and roles, everyone's delegations, workflow settings, email."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from ..domain.ladders import DEFAULT_LADDER
from ..extensions import db
from ..forms.account import AdminDelegationForm, options
from ..forms.admin import (
    POLICY_LABELS,
    ActionForm,
    StepSettingsForm,
    UserCreateForm,
    UserEditForm,
    role_choices,
)
from ..models import Delegation, User
from ..security import recently_authenticated
from ..services import accounts, delegations, outbox, twofactor, workflow_settings, workflows
from ..services.errors import Forbidden, NotFound
from ..services.permissions import can
from .access import password_confirmed, requires
from .edge import lang, run, show_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/")
@requires("user.manage")
def index() -> str:
    return render_template(
        "admin/index.html",
        users=accounts.users(),
        delegations=delegations.current_and_future(),
        workflows=[workflows.current(n) for n in workflow_settings.names()],
        mail=outbox.counts() if can(_me(), "mail.manage") else None,
    )


# --- Users -----------------------------------------------------------------------------------


@bp.route("/users")
@requires("user.manage")
def users() -> str:
    return render_template("admin/users.html", users=accounts.users(), action=ActionForm())


@bp.route("/users/new", methods=["GET", "POST"])
@requires("user.manage")
def user_new() -> str | Response:
    """A new colleague: roles now, a password of their own through the emailed link."""
    form = UserCreateForm()
    form.roles.choices = role_choices(lang())
    if form.validate_on_submit() and password_confirmed(form.password):
        user, error = run(
            accounts.invite_user,
            form.email.data or "",
            form.name.data or "",
            list(form.roles.data or []),
            _me(),
            form.language.data,
        )
        if error is None and user is not None:
            flash(
                _("Account created; %(name)s has been emailed a link.", name=user.name), "success"
            )
            return redirect(url_for(".users"))
        if error is not None:
            show_error(error, form)
    return render_template(
        "admin/user_form.html", form=form, user=None, reauth=not recently_authenticated()
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("user.manage")
def user_edit(user_id: int) -> str | Response:
    """Name, language and roles; changing roles asks for the administrator's password."""
    user = _user_or_404(user_id)
    form = UserEditForm(name=user.name, language=user.language, roles=sorted(user.role_keys))
    form.roles.choices = role_choices(lang())
    if form.validate_on_submit():
        roles = list(form.roles.data or [])
        if sorted(roles) == sorted(user.role_keys) or password_confirmed(form.password):
            _result, error = run(
                accounts.update_user, user, form.name.data or "", form.language.data, roles, _me()
            )
            if error is None:
                flash(_("Saved."), "success")
                return redirect(url_for(".user_edit", user_id=user.id))
            show_error(error, form)
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        action=ActionForm(),
        reauth=not recently_authenticated(),
        delegations=delegations.current_and_future(user),
    )


def _user_action(user_id: int, call: Any, *args: Any, message: str) -> Response:
    user = _user_or_404(user_id)
    _result, error = run(call, user, *args, _me())
    if isinstance(error, Forbidden):
        abort(403)
    if error is not None:
        show_error(error)
    else:
        flash(message, "success")
    return redirect(url_for(".user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires("user.manage")
def user_deactivate(user_id: int) -> Response:
    """Deactivation ends every session of that person at once."""
    return _user_action(
        user_id, accounts.set_active, False, message=_("Account deactivated; sessions ended.")
    )


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@requires("user.manage")
def user_activate(user_id: int) -> Response:
    return _user_action(user_id, accounts.set_active, True, message=_("Account active again."))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@requires("user.manage")
def user_invite(user_id: int) -> Response:
    return _user_action(
        user_id, accounts.resend_invitation, message=_("A new set-password link was emailed.")
    )


@bp.route("/users/<int:user_id>/totp-reset", methods=["POST"])
@requires("user.manage")
def user_totp_reset(user_id: int) -> Response:
    """For a lost phone: the second factor is turned off; the user may enrol again."""
    return _user_action(user_id, twofactor.disable, message=_("The second factor was turned off."))


# --- Delegations -------------------------------------------------------------------------------


def _delegation_form() -> AdminDelegationForm:
    form = AdminDelegationForm()
    form.user.choices = options((u.id, u.name) for u in delegations.approvers())
    form.substitute.choices = options(
        (u.id, u.name) for u in accounts.users() if u.is_active and can(u, "approval.decide")
    )
    return form


@bp.route("/delegations", methods=["GET", "POST"])
@requires("delegation.manage")
def delegation_list() -> str | Response:
    """Everyone's current and future delegations; name one for anybody."""
    form = _delegation_form()
    if form.validate_on_submit():
        user = db.session.get(User, form.user.data)
        substitute = db.session.get(User, form.substitute.data)
        if user is None:
            abort(404)
        _result, error = run(
            delegations.create, user, substitute, form.start_date.data, form.end_date.data, _me()
        )
        if error is None:
            flash(_("The substitute is set."), "success")
            return redirect(url_for(".delegation_list"))
        show_error(error, form)
    return render_template(
        "admin/delegations.html",
        form=form,
        delegations=delegations.current_and_future(),
        action=ActionForm(),
    )


@bp.route("/delegations/<int:delegation_id>/cancel", methods=["POST"])
@requires("delegation.manage")
def delegation_cancel(delegation_id: int) -> Response:
    if db.session.get(Delegation, delegation_id) is None:
        abort(404)
    _result, error = run(delegations.cancel, delegation_id, _me())
    if error is not None:
        show_error(error)
    else:
        flash(_("The delegation was cancelled."), "info")
    return redirect(url_for(".delegation_list"))


# --- Email ---------------------------------------------------------------------------------------


@bp.route("/mail")
@requires("mail.manage")
def mail() -> str:
    """Emails that failed or wait for another try, so that nobody is left uninformed."""
    return render_template("admin/mail.html", queue=outbox.overview())


def _mail_action(call: Any, message_id: int, message: str) -> Response:
    _result, error = run(call, message_id, _me())
    if isinstance(error, NotFound):
        abort(404)
    if error is not None:
        show_error(error)
    else:
        flash(message, "success")
    return redirect(url_for(".mail"))


@bp.route("/mail/<int:message_id>/send-again", methods=["POST"])
@requires("mail.manage")
def mail_send_again(message_id: int) -> Response:
    return _mail_action(
        outbox.send_again,
        message_id,
        _("The message is queued again; it goes at the sender's next run."),
    )


@bp.route("/mail/<int:message_id>/dismiss", methods=["POST"])
@requires("mail.manage")
def mail_dismiss(message_id: int) -> Response:
    """Dealt with otherwise (a new invitation, a phone call): off the list and the alarm."""
    return _mail_action(
        outbox.dismiss, message_id, _("The message is marked as dealt with; it stays on record.")
    )


@bp.route("/mail/send-all-again", methods=["POST"])
@requires("mail.manage")
def mail_send_all_again() -> Response:
    count, error = run(outbox.send_all_again, _me())
    if error is not None:
        show_error(error)
    else:
        flash(
            ngettext(
                "%(num)s message is queued again.", "%(num)s messages are queued again.", count or 0
            ),
            "success",
        )
    return redirect(url_for(".mail"))


# --- Workflow settings ---------------------------------------------------------------------------


@bp.route("/workflows")
@requires("workflow.edit")
def workflow_list() -> str:
    return render_template(
        "admin/workflows.html",
        workflows=[
            (workflows.current(n), workflow_settings.versions(n)) for n in workflow_settings.names()
        ],
    )


def _workflow_or_404(name: str) -> Any:
    try:
        return workflows.current(name)
    except NotFound:
        abort(404)


@bp.route("/workflows/<name>")
@requires("workflow.edit")
def workflow_detail(name: str) -> str:
    """The newest version's steps with their settings, and every version with its files."""
    latest = _workflow_or_404(name)
    versions = workflow_settings.versions(name)
    return render_template(
        "admin/workflow.html",
        latest=latest,
        definition=latest.definition,
        versions=versions,
        running=workflow_settings.running_counts(name),
        authors={u.id: u.name for u in accounts.users()},
        policies=POLICY_LABELS,
    )


def _settings_form(latest: Any, state: str) -> StepSettingsForm:
    """The form filled from the newest version, with blank rows to add reminders or groups."""
    step = latest.data["states"][state]
    deadline = step.get("deadline") or {}
    ladder = step.get("ladder") or {}
    approval = step.get("approval") or {}
    rungs = [dict(r, to=", ".join(r.get("to", []))) for r in ladder.get("rungs", [])]
    if not rungs and deadline and not ladder:
        rungs = [dict(r.to_dict(), to=", ".join(r.to)) for r in DEFAULT_LADDER.rungs]
    form = StepSettingsForm(
        data={
            "seen_version": str(latest.version),
            "has_deadline": bool(deadline),
            "amount": deadline.get("amount"),
            "unit": deadline.get("unit", "calendar"),
            "rungs": rungs,
            "repeat_every_days": ladder.get("repeat_every_days"),
            "ordered": approval.get("ordered", False),
            "groups": approval.get("groups", []),
        }
    )
    for _i in range(2):
        form.rungs.append_entry()
    form.groups.append_entry()
    return form


@bp.route("/workflows/<name>/steps/<state>", methods=["GET", "POST"])
@requires("workflow.edit")
def step_settings(name: str, state: str) -> str | Response:
    """Deadline, reminder ladder and approval policy of one step → a new workflow version."""
    latest = _workflow_or_404(name)
    if state not in latest.data["states"]:
        abort(404)
    form = StepSettingsForm() if request.method == "POST" else _settings_form(latest, state)
    form.set_role_choices(lang())
    if form.validate_on_submit():
        try:
            seen = int(form.seen_version.data or 0)
        except ValueError:
            seen = 0
        row, error = run(
            workflow_settings.save_step,
            name,
            state,
            seen,
            form.deadline_data(),
            form.ladder_data(),
            form.approval_data(),
            _me(),
            form.comment.data or "",
        )
        if error is None and row is not None:
            flash(
                _(
                    "Saved as version %(version)s. Files already running keep their version.",
                    version=row.version,
                ),
                "success",
            )
            return redirect(url_for(".workflow_detail", name=name))
        if error is not None:
            show_error(error, form)
            if any(r.code == "workflow_changed" for r in error.reasons):
                # What was typed stays; saving again applies it to the version saved meanwhile.
                latest = _workflow_or_404(name)
                form.seen_version.data = str(latest.version)
    return render_template(
        "admin/step.html",
        form=form,
        latest=latest,
        state=latest.definition.states[state],
    )
