"""The user's own account: profile, password, second factor and leave."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ..domain.roles import ROLE_KEYS, ROLES
from ..domain.text import pick
from ..extensions import db
from ..forms.account import (
    DelegationForm,
    PasswordConfirmForm,
    ProfileForm,
    TotpEnrolForm,
    options,
)
from ..forms.auth import ChangePasswordForm
from ..models import User
from ..security import recently_authenticated, renew_session, start_session
from ..services import accounts, delegations, twofactor
from ..services.errors import Forbidden
from ..services.permissions import can
from .access import AUTHENTICATED, password_confirmed, requires
from .edge import lang, run, show_error

bp = Blueprint("account", __name__, url_prefix="/account")


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def substitute_choices(user: User) -> list[SelectChoice]:
    """Each colleague with their roles: two people of one name, or a councillor and the
    deputy mayor, must not be confused when choosing who approves in one's place."""
    language = lang()

    def roles(u: User) -> str:
        return ", ".join(pick(ROLES[r], language) for r in ROLE_KEYS if r in u.role_keys)

    return options((u.id, f"{u.name} ({roles(u)})") for u in delegations.substitutes_for(user))


def _page(profile: ProfileForm | None = None, leave: DelegationForm | None = None) -> str:
    me = _me()
    profile = profile or ProfileForm(obj=me)
    if leave is None and can(me, "delegation.own"):
        leave = DelegationForm()
    if leave is not None:
        leave.substitute.choices = substitute_choices(me)
    return render_template(
        "account/index.html",
        profile=profile,
        leave=leave,
        delegations=delegations.current_and_future(me),
    )


@bp.route("/", methods=["GET", "POST"])
@requires(AUTHENTICATED)
def index() -> str | Response:
    form = ProfileForm(obj=_me())
    if form.validate_on_submit():
        _result, error = run(
            accounts.update_profile,
            _me(),
            form.name.data or "",
            form.language.data,
            form.notify.data,
        )
        if error is None:
            session["lang"] = form.language.data
            flash(_("Your details were saved."), "success")
            return redirect(url_for(".index"))
        show_error(error, form)
    return _page(profile=form)


def _keep_signed_in(user: User) -> None:
    """After a password change every other session is over; this one carries on."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    renew_session()
    login_user(user, remember=remembered)
    start_session(user)


@bp.route("/password", methods=["GET", "POST"])
@requires(AUTHENTICATED)
def password() -> str | Response:
    """Change the password; also the first page of an account created with a temporary one."""
    me = _me()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        _result, error = run(accounts.change_password, me, form.current.data, form.new.data)
        if error is None:
            _keep_signed_in(me)
            flash(_("Your password was changed. Other sessions have been logged out."), "success")
            return redirect(url_for("dashboard.index"))
        show_error(error, form)
    return render_template("account/password.html", form=form, first=me.must_change_password)


@bp.route("/totp", methods=["GET", "POST"])
@requires(AUTHENTICATED)
def totp() -> str | Response:
    """Turn on the second factor: show the secret, then ask for a code to prove it works."""
    me = _me()
    if me.totp_secret:
        return render_template("account/totp.html", enabled=True, form=PasswordConfirmForm())
    secret = session.get("totp_enrol") or twofactor.new_secret()
    session["totp_enrol"] = secret
    form = TotpEnrolForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        _result, error = run(twofactor.enable, me, secret, form.code.data or "")
        if error is None:
            session.pop("totp_enrol", None)
            flash(
                _("The second factor is on. You will be asked for a code at each log-in."),
                "success",
            )
            return redirect(url_for(".index"))
        show_error(error, form)
    return render_template(
        "account/totp.html",
        enabled=False,
        form=form,
        secret=twofactor.grouped(secret),
        uri=twofactor.provisioning_uri(me, secret),
        reauth=not recently_authenticated(),
    )


@bp.route("/totp/disable", methods=["POST"])
@requires(AUTHENTICATED)
def totp_disable() -> str | Response:
    me = _me()
    form = PasswordConfirmForm()
    if form.validate_on_submit() and password_confirmed(form.password):
        run(twofactor.disable, me, me)
        flash(_("The second factor is off."), "info")
        return redirect(url_for(".index"))
    return render_template("account/totp.html", enabled=True, form=form), 400  # type: ignore[return-value]


@bp.route("/delegations", methods=["POST"])
@requires("delegation.own")
def delegation_create() -> str | Response:
    """Name a substitute for one's own leave."""
    me = _me()
    form = DelegationForm()
    form.substitute.choices = substitute_choices(me)
    if form.validate_on_submit():
        substitute = db.session.get(User, form.substitute.data)
        _result, error = run(
            delegations.create, me, substitute, form.start_date.data, form.end_date.data, me
        )
        if error is None:
            flash(_("Your substitute is set."), "success")
            return redirect(url_for(".index") + "#leave")
        show_error(error, form)
    return _page(leave=form)


@bp.route("/delegations/<int:delegation_id>/cancel", methods=["POST"])
@requires("delegation.own")
def delegation_cancel(delegation_id: int) -> Response:
    """End one's own delegation early (the CSRF token is checked for every POST)."""
    _result, error = run(delegations.cancel, delegation_id, _me())
    if isinstance(error, Forbidden):
        abort(403)
    if error is not None:
        show_error(error)
    else:
        flash(_("The delegation was cancelled."), "info")
    return redirect(url_for(".index") + "#leave")
