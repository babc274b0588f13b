"""The approver's inbox and the decision page linked from the email.

Approving, rejecting and sending back all happen right in the inbox; the
decision page shows the file, its documents and the earlier decisions of the
round. Either way the password is asked again unless it was given in the last
15 minutes, and nobody can decide a request that is not theirs.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..domain.roles import ROLES
from ..domain.text import pick
from ..extensions import db
from ..forms.approvals import DecisionForm
from ..models import ApprovalRequest, Deadline, Document
from ..security import mark_reauthenticated, recently_authenticated
from ..services import accounts, approvals
from .access import requires
from .edge import lang, run
from .replies import refused

bp = Blueprint("approvals", __name__, url_prefix="/approvals")
log = logging.getLogger("tracker.security")


def _due_by_step(requests: list[ApprovalRequest]) -> dict[int, Deadline]:
    """The open deadline of each request's step, in one query."""
    steps = {r.step_id for r in requests}
    if not steps:
        return {}
    rows = db.session.scalars(
        sa.select(Deadline).where(Deadline.step_id.in_(steps), Deadline.status == "open")
    )
    return {d.step_id: d for d in rows if d.step_id is not None}


@bp.route("/")
@requires("approval.decide")
def inbox() -> str:
    requests = approvals.pending_for(current_user)
    return render_template(
        "approvals/inbox.html",
        requests=requests,
        due=_due_by_step(requests),
        needs_password=not recently_authenticated(),
        blank_form=DecisionForm,
    )


def _load_own(request_id: int) -> ApprovalRequest:
    """The request, if it is the current user's; 403 (logged) for anyone else's."""
    row = db.session.get(ApprovalRequest, request_id)
    if row is None:
        abort(404)
    if row.approver_id != current_user.id:
        log.warning(
            "denied approval=%s user=%s owner=%s path=%s",
            row.id,
            current_user.id,
            row.approver_id,
            request.path,
        )
        abort(403)
    return row


def _page(row: ApprovalRequest, form: DecisionForm, status: int = 200) -> tuple[str, int]:
    others = list(
        db.session.scalars(
            sa.select(ApprovalRequest)
            .where(
                ApprovalRequest.step_id == row.step_id,
                ApprovalRequest.round == row.round,
                ApprovalRequest.id != row.id,
            )
            .order_by(ApprovalRequest.group_index, ApprovalRequest.id)
        )
    )
    docs = list(
        db.session.scalars(
            sa.select(Document)
            .where(Document.process_id == row.process_id)
            .order_by(Document.id.desc())
        )
    )
    earlier = approvals.awaited(row)
    return render_template(
        "approvals/decide.html",
        r=row,
        waiting_for=[ROLES[k] for k in earlier] if earlier else None,
        form=form,
        others=others,
        documents=docs,
        due=_due_by_step([row]).get(row.step_id),
        needs_password=not recently_authenticated(),
    ), status


def _done(decision: str, state: str, partner: str) -> str:
    if decision == "sent_back":
        return _(
            "You sent “%(state)s” back for %(partner)s; the drafter is told why.",
            state=state,
            partner=partner,
        )
    if decision == "rejected":
        return _("You rejected “%(state)s” for %(partner)s.", state=state, partner=partner)
    return _("You approved “%(state)s” for %(partner)s.", state=state, partner=partner)


@bp.route("/<int:request_id>", methods=["GET", "POST"])
@requires("approval.decide")
def decide(request_id: int) -> tuple[str, int] | Response:
    row = _load_own(request_id)
    form = DecisionForm()
    if not form.is_submitted():
        return _page(row, form)
    if not form.validate_on_submit():
        return _page(row, form, 422)
    if not recently_authenticated():
        if not accounts.verify_password(current_user, form.password.data or ""):
            form.password.errors = [_("Confirm your password to decide.")]
            return _page(row, form, 422)
        mark_reauthenticated()
    state = pick(row.process.definition.states[row.state].title, lang())
    _result, error = run(
        approvals.decide, row.id, current_user, form.decision.data, form.comment.data or ""
    )
    if error is not None:
        db.session.refresh(row)
        return _page(row, form, refused(error, form))
    flash(_done(form.decision.data or "", state, row.process.partner.name(lang())), "success")
    if request.form.get("from") == "inbox":
        return redirect(url_for(".inbox"))
    return redirect(url_for("processes.detail", process_id=row.process_id))
