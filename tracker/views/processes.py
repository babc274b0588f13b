"""A file's page and the actions that move it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms.processes import TransitionForm
from ..models import Process
from ..services import processes, queries
from .access import requires
from .edge import run, show_error

bp = Blueprint("processes", __name__, url_prefix="/processes")


def _load(process_id: int) -> Process:
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    return process


@bp.route("/<int:process_id>")
@requires("process.view")
def detail(process_id: int) -> str:
    process = _load(process_id)
    view = queries.process_page(process, current_user)
    return render_template("processes/detail.html", p=process, view=view, form=TransitionForm())


@bp.route("/<int:process_id>/transition", methods=["POST"])
@requires("process.view")
def transition(process_id: int) -> str | Response:
    process = _load(process_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        flash(_("The form was incomplete; nothing was changed."), "error")
        return redirect(url_for(".detail", process_id=process.id))
    payload = {
        "date": form.date.data,
        "place": form.place.data,
        "successor": form.successor.data,
    }
    _result, error = run(
        processes.transition,
        process.id,
        form.transition.data or "",
        current_user,
        seen_version=form.version.data,
        payload=payload,
    )
    if error is not None:
        show_error(error)
        return redirect(url_for(".detail", process_id=process_id))
    flash(_("Done."), "success")
    return redirect(url_for(".detail", process_id=process_id))
