"""Logging in and out, and choosing the language."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from .. import clock
from ..extensions import db
from ..forms.auth import LoginForm
from ..security import start_session
from ..services import accounts, audit
from .access import AUTHENTICATED, public, requires
from .edge import safe_next

bp = Blueprint("auth", __name__)
log = logging.getLogger("tracker.security")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.find_by_email(form.email.data or "")
        ok = accounts.verify_password(user, form.password.data or "")
        if ok and user is not None and user.is_active:
            target = safe_next(form.next.data)
            lang = session.get("lang")
            session.clear()  # nothing from before the login survives it
            if lang:
                session["lang"] = lang
            login_user(user, remember=bool(form.remember.data))
            start_session(user)
            user.last_login_dt = clock.utcnow()
            audit.record("login.success", user)
            db.session.commit()
            return redirect(target or url_for("dashboard.index"))
        audit.record("login.failure", user, data={"email": (form.email.data or "")[:254]})
        db.session.commit()
        flash(_("The email or password is not correct."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires(AUTHENTICATED)
def logout() -> Response:
    user = current_user._get_current_object()
    accounts.end_sessions(user)
    audit.record("logout", user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
@public
def language(code: str) -> Response:
    if code in ("el", "en"):
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.index"))
