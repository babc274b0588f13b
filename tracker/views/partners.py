"""Partner authorities: the list, each profile with its agreements, and their upkeep."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms.options import options
from ..forms.partners import AuthorityForm, SuccessorForm
from ..models import Authority
from ..services import partners, queries
from ..services.errors import NotFound
from ..services.permissions import can
from .access import requires
from .edge import lang, run
from .replies import refused

bp = Blueprint("partners", __name__, url_prefix="/partners")


def _load(authority_id: int) -> Authority:
    try:
        return partners.get(authority_id)
    except NotFound:
        abort(404)


def _successor_form(authority: Authority) -> SuccessorForm:
    form = SuccessorForm()
    others = db.session.scalars(
        sa.select(Authority)
        .where(Authority.is_home.is_(False), Authority.id != authority.id)
        .order_by(Authority.name_el if lang() == "el" else Authority.name_en)
    )
    form.successor.choices = options((a.id, f"{a.name(lang())} ({a.country})") for a in others)
    return form


def _profile(authority: Authority, status: int = 200, **forms: object) -> tuple[str, int]:
    if can(current_user, "partner.edit"):
        forms.setdefault("successor_form", _successor_form(authority))
    return render_template(
        "partners/profile.html",
        a=authority,
        profile=queries.partner_profile(authority),
        merged=queries.predecessors(authority),
        **forms,
    ), status


@bp.route("/")
@requires("partner.view")
def index() -> str:
    return render_template("partners/index.html", rows=queries.partners())


@bp.route("/<int:authority_id>")
@requires("partner.view")
def profile(authority_id: int) -> tuple[str, int]:
    return _profile(_load(authority_id))


@bp.route("/<int:authority_id>/edit", methods=["GET", "POST"])
@requires("partner.edit")
def edit(authority_id: int) -> tuple[str, int] | Response:
    authority = _load(authority_id)
    form = AuthorityForm(obj=authority)
    status = 200
    if form.validate_on_submit():
        data = partners.AuthorityInput(
            name_el=form.name_el.data or "",
            name_en=form.name_en.data or "",
            name_native=form.name_native.data or "",
            country=(form.country.data or "").strip().upper(),
            timezone=form.timezone.data or "",
            language=(form.language.data or "").strip().lower(),
            population=form.population.data,
            website=form.website.data or "",
            notes=form.notes.data or "",
        )
        _result, error = run(partners.update, authority.id, data, current_user)
        if error is None:
            flash(_("The partner's details were saved."), "success")
            return redirect(url_for(".profile", authority_id=authority.id))
        status = refused(error, form)
    elif form.is_submitted():
        status = 422
    return render_template("partners/edit.html", a=authority, form=form), status


@bp.route("/<int:authority_id>/successor", methods=["POST"])
@requires("partner.edit")
def successor(authority_id: int) -> tuple[str, int] | Response:
    authority = _load(authority_id)
    form = _successor_form(authority)
    if not form.validate_on_submit():
        return _profile(authority, 422, successor_form=form)
    moved, error = run(
        partners.set_successor,
        authority.id,
        form.successor.data,
        form.reorganised_on.data,
        current_user,
    )
    if error is not None:
        return _profile(authority, refused(error, form), successor_form=form)
    count = len(moved or [])
    flash(
        ngettext(
            "Successor recorded; %(num)d agreement went to review.",
            "Successor recorded; %(num)d agreements went to review.",
            count,
        )
        if count
        else _("Successor recorded."),
        "success",
    )
    return redirect(url_for(".profile", authority_id=authority.id))
