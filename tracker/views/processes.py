"""A file's page, opening a new file, and the small actions taken right on the page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import clock
from ..domain.definitions import WorkflowDef
from ..domain.text import FLAG_TITLES, pick
from ..extensions import db
from ..forms.documents import UploadForm
from ..forms.options import options
from ..forms.processes import CommentForm, FlagForm, NewProcessForm, TransitionForm
from ..models import AuditLog, Authority, Process
from ..services import comments, documents, history, processes, queries, workflows
from .access import requires
from .edge import lang, run
from .replies import refused

bp = Blueprint("processes", __name__, url_prefix="/processes")

DOCUMENT_KINDS = {
    "draft": _l("Draft"),
    "protocol": _l("Protocol"),
    "letter": _l("Letter"),
    "decision": _l("Decision"),
    "minutes": _l("Minutes"),
    "report": _l("Report"),
    "photo": _l("Photo"),
    "other": _l("Other"),
}


@bp.app_template_global("describe")
def describe(row: AuditLog, defn: WorkflowDef | None) -> history.Line:
    """A history row as a readable line, dates in the page's language and time zone."""
    return history.describe(
        row, defn, lang(), lambda value: format_datetime(value, "d MMM y, HH:mm")
    )


def load(process_id: int) -> Process:
    process = db.session.get(Process, process_id)
    if process is None:
        abort(404)
    return process


def upload_form(**kw: Any) -> UploadForm:
    form = UploadForm(**kw)
    form.kind.choices = options((k, str(v)) for k, v in DOCUMENT_KINDS.items())
    return form


def successor_choices(process: Process) -> list[tuple[str, str]]:
    others = db.session.scalars(
        sa.select(Authority)
        .where(Authority.is_home.is_(False), Authority.id != process.partner_id)
        .order_by(Authority.name_el if lang() == "el" else Authority.name_en)
    )
    return [(str(a.id), f"{a.name(lang())} ({a.country})") for a in others]


def render_page(process: Process, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The file's page; a failed form passed in keeps what was typed and its messages."""
    forms.setdefault("comment_form", CommentForm())
    forms.setdefault("upload_form", upload_form())
    return render_template(
        "processes/detail.html",
        p=process,
        view=queries.process_page(process, current_user, lang()),
        successors=successor_choices(process),
        document_kinds=DOCUMENT_KINDS,
        FINAL_TEXT=FLAG_TITLES["final_text_agreed"],
        now=clock.utcnow(),
        **forms,
    ), status


@bp.route("/<int:process_id>")
@requires("process.view")
def detail(process_id: int) -> tuple[str, int]:
    return render_page(load(process_id))


@bp.route("/<int:process_id>/transition", methods=["POST"])
@requires("process.view")
def transition(process_id: int) -> tuple[str, int] | Response:
    process = load(process_id)
    form = TransitionForm()
    form.successor.choices = options(successor_choices(process))
    if not form.validate_on_submit():
        flash(_("The form was incomplete; nothing was changed."), "error")
        return render_page(process, 400, failed=form)
    payload = {"date": form.date.data, "place": form.place.data, "successor": form.successor.data}
    t = process.definition.transitions.get(form.transition.data or "")
    missing = [name for name in (t.inputs if t else ()) if payload.get(name) in (None, "")]
    for name in missing:
        getattr(form, name).errors = [_("This field is required.")]
    if missing:
        return render_page(process, 422, failed=form)
    _result, error = run(
        processes.transition,
        process.id,
        form.transition.data or "",
        current_user,
        seen_version=form.version.data,
        payload=payload,
    )
    if error is not None:
        return render_page(process, refused(error, form), failed=form)
    title = pick(process.definition.transitions[form.transition.data or ""].title, lang())
    flash(_("Done: %(what)s.", what=title), "success")
    return redirect(url_for(".detail", process_id=process_id))


@bp.route("/new", methods=["GET", "POST"])
@requires("process.create")
def new() -> tuple[str, int] | Response:
    form = NewProcessForm()
    form.kind.choices = options(
        [
            (name, pick(workflows.current(name).definition.title, lang()))
            for name in processes.KIND_WORKFLOW
        ]
    )
    partners = db.session.scalars(
        sa.select(Authority)
        .where(Authority.is_home.is_(False))
        .order_by(Authority.name_el if lang() == "el" else Authority.name_en)
    )
    form.partner.choices = options(
        [("", _("— choose a partner —"))]
        + [(a.id, f"{a.name(lang())} ({a.country})") for a in partners]
    )
    status = 200
    if form.validate_on_submit():
        partner = db.session.get(Authority, form.partner.data)
        if partner is None:
            abort(400)
        process, error = run(
            processes.create_process,
            form.kind.data or "",
            partner,
            current_user,
            title=form.title.data or "",
            source=form.source.data or "",
            summary=form.summary.data or "",
        )
        if error is None and process is not None:
            flash(_("The file was opened."), "success")
            return redirect(url_for(".detail", process_id=process.id))
        assert error is not None
        status = refused(error, form)
    elif form.is_submitted():
        status = 422
    return render_template("processes/new.html", form=form), status


@bp.route("/<int:process_id>/flag", methods=["POST"])
@requires("process.flag")
def flag(process_id: int) -> tuple[str, int] | Response:
    """Confirm that the final text is agreed (or withdraw it)."""
    process = load(process_id)
    form = FlagForm()
    if not form.validate_on_submit():
        flash(_("The form was incomplete; nothing was changed."), "error")
        return render_page(process, 400)
    value = form.value.data == "1"
    _result, error = run(
        processes.set_flag,
        process.id,
        "final_text_agreed",
        value,
        current_user,
        seen_version=form.version.data,
    )
    if error is not None:
        return render_page(process, refused(error))
    flash(
        _("Confirmed: the final text is agreed.") if value else _("Withdrawn: final text agreed."),
        "success",
    )
    return redirect(url_for(".detail", process_id=process.id))


@bp.route("/<int:process_id>/comments", methods=["POST"])
@requires("comment.add")
def comment(process_id: int) -> tuple[str, int] | Response:
    process = load(process_id)
    form = CommentForm()
    if form.validate_on_submit():
        _result, error = run(
            comments.add, process.id, form.body.data or "", current_user, form.key.data
        )
        if error is None:
            flash(_("Your comment was added."), "success")
            return redirect(url_for(".detail", process_id=process.id, _anchor="comments-h"))
        return render_page(process, refused(error, form), comment_form=form)
    return render_page(process, 422, comment_form=form)


@bp.route("/<int:process_id>/documents", methods=["POST"])
@requires("document.upload")
def upload(process_id: int) -> tuple[str, int] | Response:
    process = load(process_id)
    form = upload_form()
    if form.validate_on_submit():
        file = form.file.data
        _doc, error = run(
            documents.upload,
            process.id,
            file.stream,
            file.filename or "",
            form.title.data or "",
            form.kind.data or "",
            current_user,
        )
        if error is None:
            flash(_("The document was uploaded."), "success")
            return redirect(url_for(".detail", process_id=process.id, _anchor="docs-h"))
        return render_page(process, refused(error, form), upload_form=form)
    return render_page(process, 422, upload_form=form)
