"""Files: list, detail, create, and the actions that move them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, url_for

from ..domain.definitions import KINDS
from ..domain.text import Reason
from ..extensions import db
from ..models import Authority, CouncilDecision, Deadline, Process
from ..services import deadlines, processes, records, search
from ..services.errors import Invalid, NotFound
from ..services.records import EXTERNAL_OUTCOMES, CouncilInput
from ..views.access import requires
from . import bp, serial
from .edge import commit, json_body, lang, me, paged, paging, query_args, seen_version, with_etag
from .spec import MAX_ID, PAGING, Field, operation

VERSION = Field(
    "version",
    "integer",
    "The file's version as last seen; refused with 409 if it changed meanwhile.",
    minimum=1,
    maximum=MAX_ID,
)
TAGS = ("processes",)
OUTCOMES = tuple(sorted({o for outs in EXTERNAL_OUTCOMES.values() for o in outs}))


def load(process_id: int) -> Process:
    return processes.get_process(process_id, me())


def detail_response(process: Process, status: int = 200) -> Response:
    db.session.refresh(process)
    body = serial.detail(search.process_detail(process, me()), lang())
    response = with_etag(body, process.version, status)
    if status == 201:
        response.headers["Location"] = url_for("api.process_detail", process_id=process.id)
    return response


@bp.get("/processes")
@operation(
    "List files",
    "ProcessPage",
    tags=TAGS,
    description="Filters combine with AND. Oldest first.",
    query=(
        Field("kind", "string", "twinning, memorandum or network.", enum=KINDS),
        Field("state", "string", "Files with this state open.", max_length=40),
        Field(
            "country", "string", "Partner's country (ISO 3166 alpha-2).", pattern="^[A-Za-z]{2}$"
        ),
        Field("overdue", "boolean", "Files with an open deadline already past."),
        Field("waiting_on_me", "boolean", "Files where my approval is pending."),
        Field("closed", "boolean", "Closed (terminal) or running files."),
        *PAGING,
    ),
)
@requires("process.view")
def list_processes() -> Response:
    args = query_args()
    page, per_page = paging(args)
    filters = search.ProcessFilters(
        kind=args["kind"],
        state=args["state"],
        country=args["country"],
        overdue=args["overdue"],
        waiting_on_me=args["waiting_on_me"],
        closed=args["closed"],
    )
    found = search.processes(me(), filters, page, per_page)
    language = lang()
    return paged([serial.summary(r, language) for r in found.items], page, per_page, found.total)


@bp.post("/processes")
@operation(
    "Open a new file",
    "ProcessDetail",
    status=201,
    tags=TAGS,
    body=(
        Field("kind", "string", required=True, enum=KINDS),
        Field("partner", "string", "The partner's key, e.g. `umea`.", required=True, max_length=40),
        Field(
            "title", "string", "Defaults to the workflow's title and the partner.", max_length=200
        ),
        Field("source", "string", "Where the idea came from.", max_length=200),
        Field("summary", "string", max_length=4000),
    ),
)
@requires("process.create")
def create_process() -> Response:
    data = json_body()
    partner = db.session.scalars(
        sa.select(Authority).where(Authority.key == data["partner"])
    ).first()
    if partner is None:
        raise Invalid(fields={"partner": [Reason("unknown_value")]})
    process = commit(
        processes.create_process,
        data["kind"],
        partner,
        me(),
        title=data["title"] or "",
        source=data["source"] or "",
        summary=data["summary"] or "",
    )
    return detail_response(process, 201)


@bp.get("/processes/<id:process_id>")
@operation(
    "A file: states, actions (with reasons), deadlines, approvals, decisions, history",
    "ProcessDetail",
    tags=TAGS,
    etag=True,
    description="Reasons and titles follow Accept-Language. The ETag is the file's version.",
)
@requires("process.view")
def process_detail(process_id: int) -> Response:
    return detail_response(load(process_id))


@bp.post("/processes/<id:process_id>/transitions/<key>")
@operation(
    "Fire a transition",
    "ProcessDetail",
    tags=TAGS,
    etag=True,
    if_match=True,
    errors=(409,),
    description=(
        "Refused with 409 `refused` and every reason when a guard does not pass. "
        "Signings need `date` and `place`; a reorganised partner needs `successor`."
    ),
    body=(
        VERSION,
        Field("date", "date", "Signing date."),
        Field("place", "string", "Where the signing took place.", enum=("home", "partner")),
        Field("successor", "integer", "Successor authority id.", minimum=1, maximum=MAX_ID),
    ),
)
@requires("process.view")
def fire(process_id: int, key: str) -> Response:
    data = json_body()
    version = seen_version(data["version"])
    payload: dict[str, Any] = {
        "date": data["date"],
        "place": data["place"],
        "successor": str(data["successor"]) if data["successor"] is not None else None,
    }
    process = commit(
        processes.transition, process_id, key, me(), seen_version=version, payload=payload
    )
    return detail_response(process)


@bp.put("/processes/<id:process_id>/flags/<flag>")
@operation(
    "Confirm or withdraw a condition (final_text_agreed, requires_ministry)",
    "ProcessDetail",
    tags=TAGS,
    etag=True,
    if_match=True,
    body=(VERSION, Field("value", "boolean", required=True)),
)
@requires("process.flag")
def set_flag(process_id: int, flag: str) -> Response:
    data = json_body()
    version = seen_version(data["version"])
    process = commit(
        processes.set_flag, process_id, flag, data["value"], me(), seen_version=version
    )
    return detail_response(process)


COUNT = {"minimum": 0, "maximum": 1000}


@bp.post("/processes/<id:process_id>/council-decisions")
@operation(
    "Record a municipal council decision",
    "ProcessDetail",
    status=201,
    tags=TAGS,
    etag=True,
    if_match=True,
    description=(
        "Quorum and majority are checked; an approval decision with `posted_on` starts the "
        "15-day appeal window."
    ),
    body=(
        VERSION,
        Field(
            "purpose",
            "string",
            required=True,
            enum=("start", "approval", "travel", "termination", "renewal"),
        ),
        Field(
            "phase", "string", "For travel: A, B or joint.", nullable=True, enum=("A", "B", "joint")
        ),
        Field("session_date", "date", required=True),
        Field("session_number", "string", max_length=40),
        Field("decision_number", "string", "e.g. 214/2026", required=True, max_length=40),
        Field("ada", "string", "Diavgeia online-posting number (ΑΔΑ).", max_length=40),
        Field("posted_on", "date", "Posting date on Diavgeia.", nullable=True),
        Field("members", "integer", required=True, **COUNT),
        Field("present", "integer", required=True, **COUNT),
        Field("votes_for", "integer", required=True, **COUNT),
        Field("against", "integer", required=True, **COUNT),
        Field("abstain", "integer", required=True, **COUNT),
        Field("notes", "string", max_length=4000),
    ),
)
@requires("council.record")
def record_council(process_id: int) -> Response:
    data = json_body()
    version = seen_version(data.pop("version"))
    council = CouncilInput(
        **{
            k: ("" if v is None and k in ("ada", "session_number", "notes") else v)
            for k, v in data.items()
        }
    )
    commit(records.record_council_decision, process_id, council, me(), version)
    return detail_response(load(process_id), 201)


def _decision_of(process: Process, decision_id: int) -> CouncilDecision:
    """The file's own council decision: another file's number is not found here."""
    decision = db.session.get(CouncilDecision, decision_id)
    if decision is None or decision.process_id != process.id:
        raise NotFound([Reason("not_found")])
    return decision


@bp.put("/processes/<id:process_id>/council-decisions/<id:decision_id>/posting")
@operation(
    "Add the ΑΔΑ and/or posting date a council decision was recorded without",
    "ProcessDetail",
    tags=TAGS,
    etag=True,
    if_match=True,
    description=(
        "Fills in what is missing; a value already recorded is refused (422), never "
        "overwritten. A posting date on the file's newest approval decision starts the "
        "15-day appeal window."
    ),
    body=(
        VERSION,
        Field("ada", "string", "Diavgeia online-posting number (ΑΔΑ).", max_length=40),
        Field("posted_on", "date", "Posting date on Diavgeia.", nullable=True),
    ),
)
@requires("council.record")
def add_council_posting(process_id: int, decision_id: int) -> Response:
    data = json_body()
    version = seen_version(data["version"])
    process = load(process_id)
    decision = _decision_of(process, decision_id)
    commit(
        records.add_posting,
        decision.id,
        me(),
        ada=data["ada"] or "",
        posted_on=data["posted_on"],
        seen_version=version,
    )
    return detail_response(process)


@bp.put("/processes/<id:process_id>/council-decisions/<id:decision_id>/ada")
@operation(
    "Correct a mistyped ΑΔΑ of a council decision, with a reason",
    "ProcessDetail",
    tags=TAGS,
    etag=True,
    if_match=True,
    description=(
        "Only a recorded ΑΔΑ is corrected (one not yet recorded is added with /posting); "
        "the history keeps the old and the new one with the reason. The posting date and "
        "the vote are never rewritten."
    ),
    body=(
        VERSION,
        Field("ada", "string", "The right ΑΔΑ.", required=True, max_length=40),
        Field("reason", "string", "Why it changes.", required=True, max_length=2000),
    ),
)
@requires("council.record")
def correct_council_ada(process_id: int, decision_id: int) -> Response:
    data = json_body()
    version = seen_version(data["version"])
    process = load(process_id)
    decision = _decision_of(process, decision_id)
    commit(records.correct_ada, decision.id, me(), data["ada"], data["reason"], version)
    return detail_response(process)


@bp.post("/processes/<id:process_id>/external-events")
@operation(
    "Record what the ministry, the partner or the supervisor did",
    "ProcessDetail",
    status=201,
    tags=TAGS,
    etag=True,
    if_match=True,
    description="Outcomes by kind: "
    + "; ".join(f"{k}: {', '.join(v)}" for k, v in EXTERNAL_OUTCOMES.items()),
    body=(
        VERSION,
        Field("kind", "string", required=True, enum=tuple(EXTERNAL_OUTCOMES)),
        Field("outcome", "string", required=True, enum=OUTCOMES),
        Field("event_date", "date", required=True),
        Field("reference", "string", "Protocol number of the letter, etc.", max_length=120),
        Field("notes", "string", max_length=4000),
    ),
)
@requires("external.record")
def record_external(process_id: int) -> Response:
    data = json_body()
    version = seen_version(data["version"])
    commit(
        records.record_external,
        process_id,
        data["kind"],
        data["outcome"],
        data["event_date"],
        me(),
        reference=data["reference"] or "",
        notes=data["notes"] or "",
        seen_version=version,
    )
    return detail_response(load(process_id), 201)


@bp.post("/processes/<id:process_id>/deadlines/<id:deadline_id>/extensions")
@operation(
    "Move a deadline later or earlier (reminders are re-timed; history keeps both dates)",
    "ProcessDetail",
    tags=TAGS,
    etag=True,
    if_match=True,
    errors=(409,),
    body=(
        VERSION,
        Field("new_due", "date", "The new due day (Europe/Athens).", required=True),
        Field("reason", "string", required=True, max_length=2000),
    ),
)
@requires("deadline.extend")
def extend_deadline(process_id: int, deadline_id: int) -> Response:
    data = json_body()
    version = seen_version(data["version"])
    deadline = db.session.get(Deadline, deadline_id)
    if deadline is None or deadline.process_id != process_id:
        raise NotFound()
    commit(deadlines.extend, deadline_id, data["new_due"], data["reason"], me(), version)
    return detail_response(load(process_id))
