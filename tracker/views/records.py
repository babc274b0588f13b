"""Record forms for staff: council decisions, outside decisions, moved deadlines.

Each form carries the file's version as the user saw it; a refused or stale
submission comes back with what was typed and a message next to each field.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..domain.calendar import to_local
from ..domain.text import COUNCIL_PURPOSES, EXTERNAL_EVENTS, OUTCOMES, PHASES, pick
from ..extensions import db
from ..forms.options import options
from ..forms.records import CouncilForm, ExtendForm, ExternalForm, PostingForm
from ..models import CouncilDecision, Deadline
from ..services import deadlines, records
from .access import requires
from .edge import lang, run
from .processes import load
from .replies import refused

bp = Blueprint("records", __name__)


def _council_form(process_members: int) -> CouncilForm:
    form = CouncilForm()
    form.purpose.choices = options(
        (k, pick(v, lang()).capitalize()) for k, v in COUNCIL_PURPOSES.items()
    )
    form.phase.choices = options([("", "—")] + [(k, pick(v, lang())) for k, v in PHASES.items()])
    if not form.is_submitted():
        form.members.data = process_members
        form.purpose.data = request.args.get("purpose", "approval")
        if request.args.get("phase") in PHASES:
            form.phase.data = request.args["phase"]
    return form


@bp.route("/processes/<int:process_id>/council", methods=["GET", "POST"])
@requires("council.record")
def council(process_id: int) -> tuple[str, int] | Response:
    process = load(process_id)
    rule = records.council_rule(dict(process.definition.settings))
    form = _council_form(rule.members)
    status = 200
    if form.validate_on_submit():
        data = records.CouncilInput(
            purpose=form.purpose.data or "",
            phase=form.phase.data or None,
            session_date=form.session_date.data,
            session_number=form.session_number.data or "",
            decision_number=form.decision_number.data or "",
            members=form.members.data,
            present=form.present.data,
            votes_for=form.votes_for.data,
            against=form.against.data,
            abstain=form.abstain.data,
            ada=form.ada.data or "",
            posted_on=form.posted_on.data,
            notes=form.notes.data or "",
        )
        decision, error = run(
            records.record_council_decision,
            process.id,
            data,
            current_user,
            seen_version=form.version.data,
        )
        if error is None and decision is not None:
            outcome = pick(OUTCOMES[decision.outcome], lang())
            flash(
                _(
                    "Decision %(number)s recorded: %(outcome)s (%(votes_for)s for, "
                    "%(present)s present).",
                    number=decision.decision_number,
                    outcome=outcome,
                    votes_for=decision.votes_for,
                    present=decision.present,
                ),
                "success",
            )
            appeal = _open_appeal(process.id) if decision.posted_on else None
            if appeal is not None:
                flash(
                    _(
                        "The appeal window is open until %(when)s; signing waits until then.",
                        when=format_datetime(appeal.due_dt, "d MMM y, HH:mm"),
                    ),
                    "info",
                )
            return redirect(url_for("processes.detail", process_id=process.id, _anchor="council-h"))
        assert error is not None
        status = refused(error, form)
    elif form.is_submitted():
        status = 422
    if not form.is_submitted():
        form.version.data = process.version
    return render_template(
        "records/council.html", p=process, form=form, rule=rule, today=_today()
    ), status


@bp.route("/council-decisions/<int:decision_id>/posting", methods=["GET", "POST"])
@requires("council.record")
def posting(decision_id: int) -> tuple[str, int] | Response:
    """Add the ΑΔΑ and/or posting date a decision was recorded without."""
    decision = db.session.get(CouncilDecision, decision_id)
    if decision is None:
        abort(404)
    process = load(decision.process_id)
    form = PostingForm()
    status = 200
    if form.validate_on_submit():
        _result, error = run(
            records.add_posting,
            decision.id,
            current_user,
            ada=form.ada.data or "",
            posted_on=form.posted_on.data,
            seen_version=form.version.data,
        )
        if error is None:
            flash(
                _("Decision %(number)s: Diavgeia posting added.", number=decision.decision_number),
                "success",
            )
            appeal = _open_appeal(process.id) if form.posted_on.data else None
            if appeal is not None:
                flash(
                    _(
                        "The appeal window is open until %(when)s; signing waits until then.",
                        when=format_datetime(appeal.due_dt, "d MMM y, HH:mm"),
                    ),
                    "info",
                )
            return redirect(url_for("processes.detail", process_id=process.id, _anchor="council-h"))
        status = refused(error, form)
        db.session.refresh(decision)
    elif form.is_submitted():
        status = 422
    else:
        form.version.data = process.version
    return render_template("records/posting.html", p=process, c=decision, form=form), status


def _open_appeal(process_id: int) -> Deadline | None:
    return db.session.scalars(
        sa.select(Deadline).where(
            Deadline.process_id == process_id, Deadline.kind == "appeal", Deadline.status == "open"
        )
    ).first()


def _today() -> date:
    from .. import clock

    return to_local(clock.utcnow()).date()


@bp.route("/processes/<int:process_id>/record/<kind>", methods=["GET", "POST"])
@requires("external.record")
def external(process_id: int, kind: str) -> tuple[str, int] | Response:
    if kind not in records.EXTERNAL_OUTCOMES:
        abort(404)
    process = load(process_id)
    form = ExternalForm()
    form.outcome.choices = options(
        (o, pick(OUTCOMES[o], lang()).capitalize()) for o in records.EXTERNAL_OUTCOMES[kind]
    )
    status = 200
    if form.validate_on_submit():
        _event, error = run(
            records.record_external,
            process.id,
            kind,
            form.outcome.data or "",
            form.event_date.data,
            current_user,
            reference=form.reference.data or "",
            notes=form.notes.data or "",
            seen_version=form.version.data,
        )
        if error is None:
            flash(
                _(
                    "Recorded: %(event)s — %(outcome)s.",
                    event=pick(EXTERNAL_EVENTS[kind], lang()),
                    outcome=pick(OUTCOMES[form.outcome.data or ""], lang()),
                ),
                "success",
            )
            return redirect(url_for("processes.detail", process_id=process.id))
        status = refused(error, form)
    elif form.is_submitted():
        status = 422
    else:
        form.version.data = process.version
        if request.args.get("outcome") in records.EXTERNAL_OUTCOMES[kind]:
            form.outcome.data = request.args["outcome"]
        form.event_date.data = _today()
    return render_template(
        "records/external.html", p=process, form=form, kind=kind, event=EXTERNAL_EVENTS[kind]
    ), status


@bp.route("/deadlines/<int:deadline_id>/extend", methods=["GET", "POST"])
@requires("deadline.extend")
def extend(deadline_id: int) -> tuple[str, int] | Response:
    deadline = db.session.get(Deadline, deadline_id)
    if deadline is None:
        abort(404)
    process = load(deadline.process_id)
    form = ExtendForm()
    status = 200
    if form.validate_on_submit():
        _result, error = run(
            deadlines.extend,
            deadline.id,
            form.new_due.data,
            form.reason.data or "",
            current_user,
            seen_version=form.version.data,
        )
        if error is None:
            flash(_("The deadline was moved."), "success")
            return redirect(url_for("processes.detail", process_id=process.id, _anchor="dl-h"))
        status = refused(error, form)
        db.session.refresh(deadline)
    elif form.is_submitted():
        status = 422
    else:
        form.version.data = process.version
        form.new_due.data = to_local(deadline.due_dt).date()
    return render_template("records/extend.html", p=process, d=deadline, form=form), status
