"""My pending approvals, and deciding one."""

from __future__ import annotations

from flask import Response, jsonify

from .. import clock
from ..extensions import db
from ..models import ApprovalRequest
from ..services import approvals, locking, search
from ..services.errors import Forbidden, NotFound
from ..views.access import requires
from . import bp, serial
from .edge import commit, json_body, lang, me, paged, paging, query_args, seen_version
from .spec import MAX_ID, PAGING, Field, operation

TAGS = ("approvals",)


@bp.get("/approvals")
@operation(
    "My pending approvals (current rounds only), oldest first",
    "PendingApprovalPage",
    tags=TAGS,
    query=PAGING,
)
@requires("approval.decide")
def pending() -> Response:
    page, per_page = paging(query_args())
    rows = approvals.pending_for(me())
    chunk = rows[(page - 1) * per_page : page * per_page]
    language = lang()
    summaries = {
        r.process.id: serial.summary(r, language)
        for r in search.rows_for(
            list({a.process_id: a.process for a in chunk}.values()),
            me(),
            clock.utcnow(),
        )
    }
    items = [{**serial.approval(a, language), "process": summaries[a.process_id]} for a in chunk]
    return paged(items, page, per_page, len(rows))


def _decide(request_id: int, decision: str, comment: str, version: int | None) -> ApprovalRequest:
    """Check the version the approver saw under the file's lock, then decide."""
    row = db.session.get(ApprovalRequest, request_id)
    if row is None:
        raise NotFound()
    if row.approver_id != me().id:
        raise Forbidden()
    if version is not None:
        locking.lock_process(row.process_id, version)
    return approvals.decide(request_id, me(), decision, comment)


@bp.post("/approvals/<id:request_id>/decision")
@operation(
    "Approve, reject or send back",
    "Decision",
    tags=TAGS,
    etag=True,
    if_match=True,
    errors=(409,),
    description=(
        "Only the approver the request is addressed to may decide. Rejecting or sending back "
        "needs a comment. Of simultaneous decisions exactly one completes the step."
    ),
    body=(
        Field("decision", "string", required=True, enum=approvals.DECISIONS),
        Field("comment", "string", max_length=4000),
        Field(
            "version",
            "integer",
            "The file's version as last seen (optional).",
            minimum=1,
            maximum=MAX_ID,
        ),
    ),
)
@requires("approval.decide")
def decide(request_id: int) -> Response:
    data = json_body()
    version = seen_version(data["version"])
    row = commit(_decide, request_id, data["decision"], data["comment"] or "", version)
    process = row.process
    db.session.refresh(process)
    body = {
        "approval": serial.approval(row, lang()),
        "process": serial.detail(search.process_detail(process, me()), lang()),
    }
    response = jsonify(body)
    response.headers["ETag"] = serial.etag(process)
    return response
