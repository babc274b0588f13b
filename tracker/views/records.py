"""Record forms for staff: council decisions, outside decisions, moved deadlines.

Each form carries the file's version as the user saw it; a refused or stale
submission comes back with what was typed and a message next to each field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..domain.calendar import to_local
from ..domain.text import COUNCIL_PURPOSES, EXTERNAL_EVENTS, OUTCOMES, PHASES, pick
from ..extensions import db
from ..forms.options import options
from ..forms.records import AdaCorrectionForm, CouncilForm, ExtendForm, ExternalForm, PostingForm
from ..models import CouncilDecision, Deadline, Process
from ..services import deadlines, records
from ..services.errors import Stale
from .access import requires
from .edge import lang, run
from .processes import load
from .replies import refused

bp = Blueprint("records", __name__)
T = TypeVar("T")


@dataclass
class Sent:
    """What became of a record form on this request."""

    result: Any = None
    status: int = 200  # of the page, when it is shown again
    done: bool = False


def submit(
    form: FlaskForm, process: Process, call: Callable[..., Any], *args: Any, **kw: Any
) -> Sent:
    """The steps every record form shares, so each view says only what is its own.

    A valid form runs ``call`` with the file's version as the user saw it; a refusal
    puts its reasons next to the fields (409/422) and a form that does not validate
    comes back as typed (422); a fresh form gets the file's current version, and so
    does one refused as stale, whose page now shows the file as it stands.
    """
    if form.validate_on_submit():
        result, error = run(call, *args, seen_version=form.version.data, **kw)
        if error is None:
            return Sent(result, done=True)
        if isinstance(error, Stale):  # the page shows the file as it is now: so does the form
            form.version.data = process.version
            form.version.raw_data = [str(process.version)]  # what the hidden input shows
        return Sent(status=refused(error, form))
    if form.is_submitted():
        return Sent(status=422)
    form.version.data = process.version
    return Sent()


def _load_or_404(model: type[T], object_id: int) -> T:
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _back(process: Process, anchor: str | None = None) -> Response:
    return redirect(url_for("processes.detail", process_id=process.id, _anchor=anchor))


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
    sent = submit(form, process, records.record_council_decision, process.id, data, current_user)
    if sent.done:
        decision = sent.result
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
        if decision.posted_on:
            _flash_appeal(process)
        return _back(process, "council-h")
    return render_template(
        "records/council.html", p=process, form=form, rule=rule, today=_today()
    ), sent.status


@bp.route("/council-decisions/<int:decision_id>/posting", methods=["GET", "POST"])
@requires("council.record")
def posting(decision_id: int) -> tuple[str, int] | Response:
    """Add the ΑΔΑ and/or posting date a decision was recorded without."""
    decision = _load_or_404(CouncilDecision, decision_id)
    process = load(decision.process_id)
    form = PostingForm()
    sent = submit(
        form,
        process,
        records.add_posting,
        decision.id,
        current_user,
        ada=form.ada.data or "",
        posted_on=form.posted_on.data,
    )
    if sent.done:
        flash(
            _("Decision %(number)s: Diavgeia posting added.", number=decision.decision_number),
            "success",
        )
        if form.posted_on.data:
            _flash_appeal(process)
        return _back(process, "council-h")
    if sent.status != 200:
        db.session.refresh(decision)
    return render_template("records/posting.html", p=process, c=decision, form=form), sent.status


@bp.route("/council-decisions/<int:decision_id>/ada", methods=["GET", "POST"])
@requires("council.record")
def correct_ada(decision_id: int) -> tuple[str, int] | Response:
    """Correct a mistyped ΑΔΑ, with a reason the history keeps."""
    decision = _load_or_404(CouncilDecision, decision_id)
    process = load(decision.process_id)
    form = AdaCorrectionForm()
    sent = submit(
        form,
        process,
        records.correct_ada,
        decision.id,
        current_user,
        form.ada.data or "",
        form.reason.data or "",
    )
    if sent.done:
        flash(
            _(
                "Decision %(number)s: the ΑΔΑ is now %(ada)s.",
                number=decision.decision_number,
                ada=sent.result.ada,
            ),
            "success",
        )
        return _back(process, "council-h")
    if sent.status != 200:
        db.session.refresh(decision)
    return render_template("records/ada.html", p=process, c=decision, form=form), sent.status


def _flash_appeal(process: Process) -> None:
    """Say until when the appeal window, just opened, holds the signing back."""
    appeal = _open_appeal(process.id)
    if appeal is not None:
        flash(
            _(
                "The appeal window is open until %(when)s; signing waits until then.",
                when=format_datetime(appeal.due_dt, "d MMM y, HH:mm"),
            ),
            "info",
        )


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
    sent = submit(
        form,
        process,
        records.record_external,
        process.id,
        kind,
        form.outcome.data or "",
        form.event_date.data,
        current_user,
        reference=form.reference.data or "",
        notes=form.notes.data or "",
    )
    if sent.done:
        flash(
            _(
                "Recorded: %(event)s — %(outcome)s.",
                event=pick(EXTERNAL_EVENTS[kind], lang()),
                outcome=pick(OUTCOMES[form.outcome.data or ""], lang()),
            ),
            "success",
        )
        return _back(process)
    if not form.is_submitted():
        if request.args.get("outcome") in records.EXTERNAL_OUTCOMES[kind]:
            form.outcome.data = request.args["outcome"]
        form.event_date.data = _today()
    return render_template(
        "records/external.html", p=process, form=form, kind=kind, event=EXTERNAL_EVENTS[kind]
    ), sent.status


@bp.route("/deadlines/<int:deadline_id>/extend", methods=["GET", "POST"])
@requires("deadline.extend")
def extend(deadline_id: int) -> tuple[str, int] | Response:
    deadline = _load_or_404(Deadline, deadline_id)
    process = load(deadline.process_id)
    form = ExtendForm()
    sent = submit(
        form,
        process,
        deadlines.extend,
        deadline.id,
        form.new_due.data,
        form.reason.data or "",
        current_user,
    )
    if sent.done:
        when = format_datetime(sent.result.due_dt, "d MMM y, HH:mm")
        flash(_("The deadline is now %(when)s.", when=when), "success")
        return _back(process, "dl-h")
    if sent.status != 200:
        db.session.refresh(deadline)
    elif not form.is_submitted():
        form.new_due.data = to_local(deadline.due_dt).date()
    return render_template("records/extend.html", p=process, d=deadline, form=form), sent.status
