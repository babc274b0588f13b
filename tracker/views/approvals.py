"""The approver's inbox and the decision page linked from the email."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms.approvals import DecisionForm
from ..models import ApprovalRequest
from ..security import mark_reauthenticated, recently_authenticated
from ..services import accounts, approvals
from .access import requires
from .edge import run, show_error

bp = Blueprint("approvals", __name__, url_prefix="/approvals")


@bp.route("/")
@requires("approval.decide")
def inbox() -> str:
    return render_template(
        "approvals/inbox.html", requests=approvals.pending_for(current_user), form=DecisionForm()
    )


@bp.route("/<int:request_id>", methods=["GET", "POST"])
@requires("approval.decide")
def decide(request_id: int) -> str | Response:
    request_row = db.session.get(ApprovalRequest, request_id)
    if request_row is None:
        abort(404)
    if request_row.approver_id != current_user.id:
        abort(403)
    form = DecisionForm()
    if form.validate_on_submit():
        if not recently_authenticated():
            if not accounts.verify_password(current_user, form.password.data or ""):
                form.password.errors = [_("Confirm your password to decide.")]
                return render_template("approvals/decide.html", r=request_row, form=form), 400
            mark_reauthenticated()
        _result, error = run(
            approvals.decide, request_id, current_user, form.decision.data, form.comment.data or ""
        )
        if error is None:
            flash(_("Your decision was recorded."), "success")
            return redirect(url_for(".inbox"))
        show_error(error, form)
    return render_template(
        "approvals/decide.html",
        r=request_row,
        form=form,
        needs_password=not recently_authenticated(),
    )
