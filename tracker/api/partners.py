"""Partner authorities: list and detail (with their files)."""

from __future__ import annotations

from flask import Response, jsonify

from ..extensions import db
from ..models import Authority
from ..services import search
from ..services.errors import NotFound
from ..views.access import requires
from . import bp, serial
from .edge import lang, me, paged, paging, query_args
from .spec import PAGING, Field, operation

TAGS = ("partners",)


@bp.get("/partners")
@operation(
    "Partner authorities (and the home municipality), by key",
    "PartnerPage",
    tags=TAGS,
    query=(
        Field("country", "string", "ISO 3166 alpha-2.", pattern="^[A-Za-z]{2}$"),
        *PAGING,
    ),
)
@requires("partner.view")
def list_partners() -> Response:
    args = query_args()
    page, per_page = paging(args)
    found = search.partners(me(), args["country"], page, per_page)
    language = lang()
    return paged([serial.partner(a, language) for a in found.items], page, per_page, found.total)


@bp.get("/partners/<id:partner_id>")
@operation("A partner authority and its files", "PartnerDetail", tags=TAGS)
@requires("partner.view")
def partner_detail(partner_id: int) -> Response:
    partner = db.session.get(Authority, partner_id)
    if partner is None:
        raise NotFound()
    language = lang()
    rows = search.partner_processes(me(), partner)
    return jsonify(
        {
            **serial.partner(partner, language),
            "processes": [serial.summary(r, language) for r in rows],
        }
    )
