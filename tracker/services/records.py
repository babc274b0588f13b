"""Recording what happened outside: council votes, ministry and partner decisions, appeals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from .. import clock
from ..domain import engine
from ..domain.calendar import DeadlineSpec, to_local
from ..domain.council import CouncilRule, VoteCount, assess_vote, normalise_ada, valid_ada
from ..domain.ladders import Ladder
from ..domain.text import COUNCIL_PURPOSES, EXTERNAL_EVENTS, Reason, day_text
from ..extensions import db
from ..models import CouncilDecision, Deadline, ExternalEvent, Process, User
from . import audit, deadlines, processes
from .errors import Invalid, NotFound, Refused
from .locking import lock_process
from .permissions import require

#: The window's opening is announced on the posting day; its closing the morning after its
#: last day (it ends at 23:59), when it has really closed and signing no longer waits for
#: it. Windows opened before this rule keep their stored ladder: their notice, sent on the
#: last morning, says "closes today" (the email's words follow the moment it is written).
APPEAL_LADDER = Ladder.from_dict(
    {
        "rungs": [
            {
                "key": "opening",
                "offset": 0,
                "unit": "calendar",
                "anchor": "start",
                "kind": "opening",
            },
            {"key": "closing", "offset": 1, "unit": "calendar", "anchor": "due", "kind": "closing"},
        ]
    }
)

EXTERNAL_OUTCOMES: dict[str, tuple[str, ...]] = {
    "partner_reply": ("positive", "negative"),
    "partner_loi_reply": ("positive", "negative"),
    "partner_decision": ("approved", "rejected"),
    "ministry_decision": ("consent", "refusal"),
    "appeal": ("lodged", "dismissed", "upheld"),
}


@dataclass
class CouncilInput:
    """What staff type from the minutes and Diavgeia."""

    purpose: str
    session_date: date
    decision_number: str
    members: int
    present: int
    votes_for: int
    against: int
    abstain: int
    ada: str = ""
    posted_on: date | None = None
    session_number: str = ""
    phase: str | None = None
    notes: str = ""


def _today() -> date:
    return to_local(clock.utcnow()).date()


def _future(day: date | None) -> list[Reason]:
    """A vote, a posting or a letter is recorded after it happened: never a later day."""
    today = _today()
    return [Reason("date_future", {"today": day_text(today)})] if day and day > today else []


def _ada_taken(ada: str, decision_id: int | None = None) -> list[Reason]:
    """An ΑΔΑ names one Diavgeia posting: a second decision with it is a typing mistake."""
    other = db.session.scalars(
        sa.select(CouncilDecision).where(
            CouncilDecision.ada == normalise_ada(ada), CouncilDecision.id != (decision_id or 0)
        )
    ).first()
    return [Reason("ada_taken", {"number": other.decision_number})] if other else []


def _text_errors(data: CouncilInput) -> dict[str, list[Reason]]:
    errors: dict[str, list[Reason]] = {}
    if not data.decision_number.strip():
        errors["decision_number"] = [Reason("required")]
    elif len(data.decision_number) > 40:
        errors["decision_number"] = [Reason("too_long", {"max": 40})]
    if data.ada and not valid_ada(data.ada):
        errors["ada"] = [Reason("ada_invalid")]
    elif data.ada and (taken := _ada_taken(data.ada)):
        errors["ada"] = taken
    if future := _future(data.session_date):
        errors["session_date"] = future
    if data.purpose not in ("start", "approval", "travel", "termination", "renewal"):
        errors["purpose"] = [Reason("unknown_value")]
    if data.purpose == "travel" and data.phase not in ("A", "B", "joint"):
        errors["phase"] = [Reason("required")]
    if data.posted_on and data.posted_on < data.session_date:
        errors["posted_on"] = [Reason("date_order", {"after": day_text(data.session_date)})]
    elif future := _future(data.posted_on):
        errors["posted_on"] = future
    if len(data.notes) > 4000:
        errors["notes"] = [Reason("too_long", {"max": 4000})]
    return errors


def council_rule(process_settings: dict[str, object]) -> CouncilRule:
    return CouncilRule.from_dict(process_settings.get("council"))  # type: ignore[arg-type]


def _not_expected(process: Process, what: dict[str, str]) -> Refused:
    states = engine.titles(process.definition, processes.active_states(process))
    return Refused([Reason("not_expected", {"what": what, "states": states})])


def _refuse_unexpected_vote(process: Process, purpose: str) -> None:
    """A vote some guard waits for is recorded only while the process waits for it."""
    defn = process.definition
    if purpose not in engine.guarded_purposes(defn):
        return  # start, renewal, travel: informative, or checked where they are used
    _, purposes = engine.awaited(defn, processes.facts_for(process))
    if purpose not in purposes:
        raise _not_expected(process, COUNCIL_PURPOSES[purpose])


def _refuse_unexpected_event(process: Process, kind: str) -> None:
    """Outside events are recorded when the process waits for them; appeals in a window."""
    facts = processes.facts_for(process)
    if kind == "appeal":
        if facts.appeal_until is None:
            raise _not_expected(process, EXTERNAL_EVENTS[kind])
        return
    events, _ = engine.awaited(process.definition, facts)
    if kind not in events:
        raise _not_expected(process, EXTERNAL_EVENTS[kind])


def record_council_decision(
    process_id: int, data: CouncilInput, actor: User, seen_version: int | None = None
) -> CouncilDecision:
    """Check the counts (quorum, majority, possibility), store the vote, start the appeal window."""
    require(actor, "council.record")
    process = lock_process(process_id, seen_version)
    processes.refuse_if_closed(process)
    rule = council_rule(dict(process.definition.settings))
    count = VoteCount(data.members, data.present, data.votes_for, data.against, data.abstain)
    assessment = assess_vote(rule, count)
    errors = {**assessment.errors, **_text_errors(data)}
    if errors or assessment.outcome is None:
        raise Invalid(fields=errors)
    _refuse_unexpected_vote(process, data.purpose)
    decision = CouncilDecision(
        process_id=process.id,
        purpose=data.purpose,
        phase=data.phase if data.purpose == "travel" else None,
        session_date=data.session_date,
        session_number=data.session_number.strip(),
        decision_number=data.decision_number.strip(),
        ada=normalise_ada(data.ada) if data.ada else "",
        posted_on=data.posted_on,
        members=data.members,
        present=data.present,
        votes_for=data.votes_for,
        against=data.against,
        abstain=data.abstain,
        outcome=assessment.outcome,
        notes=data.notes.strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(decision)
    db.session.flush()
    if data.purpose == "approval" and data.posted_on is not None:
        start_appeal_window(process, data.posted_on)
    audit.record(
        "council.record",
        actor,
        process,
        decision,
        data={
            "purpose": data.purpose,
            "number": decision.decision_number,
            "ada": decision.ada,
            "outcome": decision.outcome,
            "counts": [data.members, data.present, data.votes_for, data.against, data.abstain],
        },
    )
    processes.advance(process, actor)
    return decision


def _posting_errors(
    decision: CouncilDecision, ada: str, posted_on: date | None
) -> dict[str, list[Reason]]:
    """What is wrong with the ΑΔΑ / posting date added to ``decision``, field by field."""
    errors: dict[str, list[Reason]] = {}
    if not ada and posted_on is None:
        errors["ada"] = [Reason("posting_missing")]
    if ada and decision.ada:
        errors["ada"] = [Reason("posting_recorded", {"value": decision.ada})]
    elif ada and not valid_ada(ada):
        errors["ada"] = [Reason("ada_invalid")]
    elif ada and (taken := _ada_taken(ada, decision.id)):
        errors["ada"] = taken
    if posted_on is not None and decision.posted_on is not None:
        value = day_text(decision.posted_on)
        errors["posted_on"] = [Reason("posting_recorded", {"value": value})]
    elif posted_on is not None and posted_on < decision.session_date:
        after = day_text(decision.session_date)
        errors["posted_on"] = [Reason("date_order", {"after": after})]
    elif future := _future(posted_on):
        errors["posted_on"] = future
    return errors


def _is_latest_approval(decision: CouncilDecision) -> bool:
    """Only the newest approval vote of a file runs its appeal window."""
    newest = db.session.scalar(
        sa.select(sa.func.max(CouncilDecision.id)).where(
            CouncilDecision.process_id == decision.process_id,
            CouncilDecision.purpose == "approval",
        )
    )
    return decision.purpose == "approval" and newest == decision.id


def _open_decision(decision_id: int, seen_version: int | None) -> tuple[Process, CouncilDecision]:
    """A decision of a file that is open to changes, with the file locked for this change."""
    found = db.session.get(CouncilDecision, decision_id)
    if found is None:
        raise NotFound([Reason("not_found")])
    process = lock_process(found.process_id, seen_version)
    processes.refuse_if_closed(process)
    decision = db.session.get(CouncilDecision, decision_id)
    assert decision is not None
    return process, decision


def add_posting(
    decision_id: int,
    actor: User,
    ada: str = "",
    posted_on: date | None = None,
    seen_version: int | None = None,
) -> CouncilDecision:
    """Add the Diavgeia ΑΔΑ and/or posting date a decision was recorded without.

    Decisions are often voted days before Diavgeia posts them: staff record the
    vote first and complete it later. Values already recorded are never
    overwritten here. A posting date on the file's newest approval vote starts
    the 15-day appeal window, exactly as if it had been typed with the vote.
    """
    require(actor, "council.record")
    process, decision = _open_decision(decision_id, seen_version)
    ada = ada.strip()
    errors = _posting_errors(decision, ada, posted_on)
    if errors:
        raise Invalid(fields=errors)
    if ada:
        decision.ada = normalise_ada(ada)
    if posted_on is not None:
        decision.posted_on = posted_on
        if _is_latest_approval(decision):
            start_appeal_window(process, posted_on)
    db.session.flush()
    audit.record(
        "council.posting",
        actor,
        process,
        decision,
        data={
            "number": decision.decision_number,
            "ada": normalise_ada(ada) if ada else "",
            "posted_on": posted_on.isoformat() if posted_on else "",
        },
    )
    processes.advance(process, actor)
    return decision


def correct_ada(
    decision_id: int,
    actor: User,
    ada: str,
    reason: str,
    seen_version: int | None = None,
) -> CouncilDecision:
    """Correct a mistyped ΑΔΑ, with a reason; the history keeps the old and the new one.

    Only the ΑΔΑ: it identifies the posting and nothing in the workflow reads it. The
    posting date starts the appeal window and the vote counts decided the step, so
    those are never rewritten (a wrong vote is a new council decision).
    """
    require(actor, "council.record")
    process, decision = _open_decision(decision_id, seen_version)
    ada, reason = ada.strip(), (reason or "").strip()
    errors: dict[str, list[Reason]] = {}
    if not decision.ada:
        errors["ada"] = [Reason("ada_not_recorded")]
    elif not ada:
        errors["ada"] = [Reason("required")]
    elif not valid_ada(ada):
        errors["ada"] = [Reason("ada_invalid")]
    elif normalise_ada(ada) == decision.ada:
        errors["ada"] = [Reason("ada_unchanged")]
    elif taken := _ada_taken(ada, decision.id):
        errors["ada"] = taken
    if not reason:
        errors["reason"] = [Reason("required")]
    elif len(reason) > 2000:
        errors["reason"] = [Reason("too_long", {"max": 2000})]
    if errors:
        raise Invalid(fields=errors)
    old, decision.ada = decision.ada, normalise_ada(ada)
    db.session.flush()
    audit.record(
        "council.ada_corrected",
        actor,
        process,
        decision,
        data={
            "number": decision.decision_number,
            "old": old,
            "new": decision.ada,
            "reason": reason,
        },
    )
    return decision


def start_appeal_window(process: Process, posted_on: date) -> Deadline:
    """The statutory 15-day window from posting on Diavgeia; a newer decision replaces it."""
    for old in db.session.query(Deadline).filter_by(
        process_id=process.id, kind="appeal", status="open"
    ):
        deadlines.close(old, clock.utcnow(), status="cancelled")
    days = int(process.definition.settings.get("appeal_days", 15))
    spec = DeadlineSpec(days, "calendar", statutory=True)
    return deadlines.open_timer(process, "appeal", posted_on, spec, APPEAL_LADDER)


def record_external(
    process_id: int,
    kind: str,
    outcome: str,
    event_date: date,
    actor: User,
    reference: str = "",
    notes: str = "",
    seen_version: int | None = None,
) -> ExternalEvent:
    """Staff record what the ministry, the partner or the supervisor did."""
    require(actor, "external.record")
    errors: dict[str, list[Reason]] = {}
    if kind not in EXTERNAL_OUTCOMES:
        errors["kind"] = [Reason("unknown_value")]
    elif outcome not in EXTERNAL_OUTCOMES[kind]:
        errors["outcome"] = [Reason("unknown_value")]
    if future := _future(event_date):
        errors["event_date"] = future
    if len(reference) > 120:
        errors["reference"] = [Reason("too_long", {"max": 120})]
    if len(notes) > 4000:
        errors["notes"] = [Reason("too_long", {"max": 4000})]
    if errors:
        raise Invalid(fields=errors)
    process = lock_process(process_id, seen_version)
    processes.refuse_if_closed(process)
    _refuse_unexpected_event(process, kind)
    event = ExternalEvent(
        process_id=process.id,
        kind=kind,
        outcome=outcome,
        event_date=event_date,
        reference=reference.strip(),
        notes=notes.strip(),
        recorded_by_id=actor.id,
    )
    db.session.add(event)
    db.session.flush()
    audit.record("external.record", actor, process, event, data={"kind": kind, "outcome": outcome})
    processes.advance(process, actor)
    return event
