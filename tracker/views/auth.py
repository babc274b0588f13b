"""Logging in (with the optional second factor) and out, password reset, language."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from .. import clock
from ..domain.text import Reason
from ..extensions import db
from ..forms.auth import CodeForm, LoginForm, NewPasswordForm, ResetRequestForm
from ..models import User
from ..security import keep_language, renew_session, start_session
from ..services import accounts, audit, logins, twofactor
from .access import AUTHENTICATED, public, requires
from .edge import lang, run, safe_next, show_error

bp = Blueprint("auth", __name__)
log = logging.getLogger("tracker.security")

PENDING_SECONDS = 5 * 60  # time to type the second-factor code after the password
PENDING_TRIES = 5


def _ip() -> str:
    return request.remote_addr or ""


def _throttled(form: Any, template: str) -> tuple[str, int]:
    flash(
        _("Too many failed attempts. Wait a while and try again, or reset your password."),
        "error",
    )
    return render_template(template, form=form), 429


def _complete_login(user: User, remember: bool, target: str | None) -> Response:
    """Renew the session (nothing from before survives), log in, record it."""
    renew_session()
    login_user(user, remember=remember)
    start_session(user)
    user.last_login_dt = clock.utcnow()
    logins.record(user.email, _ip(), success=True)
    audit.record(
        "login.success", user, data={"remember": remember, "second_factor": bool(user.totp_secret)}
    )
    db.session.commit()
    return redirect(target or url_for("dashboard.index"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data or "")[:254]
        if logins.blocked(email, _ip()):
            audit.record("login.throttled", None, data={"email": email})
            db.session.commit()
            return _throttled(form, "auth/login.html")
        user = accounts.find_by_email(email)
        ok = accounts.verify_password(user, form.password.data or "")
        if ok and user is not None and user.is_active:
            target = safe_next(form.next.data)
            if user.totp_secret:
                return _ask_code(user, bool(form.remember.data), target)
            return _complete_login(user, bool(form.remember.data), target)
        logins.record(email, _ip(), success=False)
        audit.record("login.failure", user, data={"email": email})
        db.session.commit()
        flash(_("The email or password is not correct."), "error")
    elif session.pop("expired", False):
        flash(_("Your session has ended. Please log in again."), "info")
    return render_template("auth/login.html", form=form)


def _ask_code(user: User, remember: bool, target: str | None) -> Response:
    """Password right: the second factor comes next, before the session is granted."""
    session["pending_login"] = {
        "uid": user.id,
        "ver": user.session_version,
        "remember": remember,
        "next": target or "",
        "at": int(clock.utcnow().timestamp()),
        "tries": 0,
    }
    db.session.commit()  # a re-hashed password is kept
    return redirect(url_for(".second_factor"))


def _pending_user(pending: Any) -> User | None:
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int):
        return None
    if int(clock.utcnow().timestamp()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending["uid"])
    if user is None or not user.is_active or not user.totp_secret:
        return None
    return user if user.session_version == pending.get("ver") else None


@bp.route("/login/code", methods=["GET", "POST"])
@public
def second_factor() -> Any:
    pending = session.get("pending_login")
    user = _pending_user(pending)
    if user is None or not isinstance(pending, dict):
        session.pop("pending_login", None)
        flash(_("Please log in again."), "info")
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit():
        if logins.blocked(user.email, _ip()):
            session.pop("pending_login", None)
            audit.record("login.throttled", user, data={"email": user.email, "factor": "totp"})
            db.session.commit()
            return _throttled(LoginForm(formdata=None), "auth/login.html")
        if twofactor.verify(user, form.code.data or ""):
            return _complete_login(user, bool(pending["remember"]), safe_next(pending["next"]))
        logins.record(user.email, _ip(), success=False, kind="totp")
        audit.record("login.failure", user, data={"email": user.email, "factor": "totp"})
        db.session.commit()
        pending["tries"] = int(pending.get("tries", 0)) + 1
        if pending["tries"] >= PENDING_TRIES:
            session.pop("pending_login", None)
            flash(_("Please log in again."), "info")
            return redirect(url_for(".login"))
        session["pending_login"] = pending
        form.code.errors = [Reason("totp_wrong").text(lang())]
    return render_template("auth/code.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires(AUTHENTICATED)
def logout() -> Response:
    """End this session and every other one (the session version moves on)."""
    user = current_user._get_current_object()
    accounts.end_sessions(user)
    audit.record("logout", user)
    db.session.commit()
    keep_language(user.language)
    logout_user()
    renew_session()
    session["_remember"] = "clear"  # Flask-Login deletes the remember-me cookie
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset", methods=["GET", "POST"])
@public
def reset_request() -> Any:
    """Ask for a reset link: the same answer whether or not the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data or "", _ip())
        db.session.commit()
        flash(
            _(
                "If an account uses this address, a link to choose a new password is on its "
                "way. It works for one hour."
            ),
            "info",
        )
        return redirect(url_for(".login"))
    return render_template("auth/reset_request.html", form=form)


def _response(body: Any, status: int = 200) -> Response:
    """Pages that handle a reset token are never cached."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/reset/<token>")
@public
def reset_with_token(token: str) -> Response:
    """The emailed link: keep the token in the session and drop it from the address bar."""
    if accounts.user_for_token(token) is None:
        return _response(render_template("auth/reset_invalid.html"), 400)
    session["reset_token"] = token
    return redirect(url_for(".reset_password"))


@bp.route("/reset/password", methods=["GET", "POST"])
@public
def reset_password() -> Response:
    token = session.get("reset_token") or ""
    user = accounts.user_for_token(token) if token else None
    if user is None:
        session.pop("reset_token", None)
        return _response(render_template("auth/reset_invalid.html"), 400)
    form = NewPasswordForm()
    if form.validate_on_submit():
        _result, error = run(accounts.reset_with_token, token, form.password.data or "")
        if error is None:
            session.pop("reset_token", None)
            flash(_("Your password is set. Log in with it."), "success")
            return redirect(url_for(".login"))
        show_error(error, form)
    return _response(render_template("auth/reset_password.html", form=form, user=user))


@bp.route("/language/<code>", methods=["POST"])
@public
def language(code: str) -> Response:
    if code in ("el", "en"):
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.index"))
