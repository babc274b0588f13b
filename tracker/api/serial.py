"""Rows to JSON, in the shapes of ``api/schemas.py`` and the request's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import url_for

from .. import clock
from ..domain.text import Reason, pick
from ..models import (
    ApprovalRequest,
    AuditLog,
    Authority,
    CouncilDecision,
    Deadline,
    DeadlineExtension,
    ExternalEvent,
    Process,
    User,
)
from ..services.processes import Action
from ..services.search import ProcessDetail, ProcessRow


def dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def reason(r: Reason, lang: str) -> dict[str, Any]:
    return r.to_dict(lang)


def user_ref(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "name": user.name} if user is not None else None


def partner_ref(partner: Authority, lang: str) -> dict[str, Any]:
    return {
        "id": partner.id,
        "key": partner.key,
        "name": partner.name(lang),
        "country": partner.country,
    }


def etag(process: Process) -> str:
    return f'"v{process.version}"'


def summary(row: ProcessRow, lang: str) -> dict[str, Any]:
    p = row.process
    defn = p.definition
    return {
        "id": p.id,
        "kind": p.kind,
        "title": p.title,
        "partner": partner_ref(p.partner, lang),
        "workflow": {"name": p.workflow.name, "version": p.workflow.version},
        "version": p.version,
        "is_closed": p.is_closed,
        "states": [{"key": s, "title": pick(defn.states[s].title, lang)} for s in row.states],
        "progress": round(row.progress, 3),
        "next_due": dt(row.next_due),
        "urgency": row.urgency,
        "waiting_on_me": row.waiting_on_me,
        "created_dt": dt(p.created_dt),
        "updated_dt": dt(p.updated_dt),
        "url": url_for("api.process_detail", process_id=p.id),
    }


def action(a: Action, lang: str) -> dict[str, Any]:
    t = a.transition
    return {
        "transition": t.key,
        "title": pick(t.title, lang),
        "allowed": a.allowed,
        "auto": t.auto,
        "inputs": list(t.inputs),
        "style": t.style,
        "reasons": [reason(r, lang) for r in a.reasons],
    }


def approval(r: ApprovalRequest, lang: str, users: dict[int, User] | None = None) -> dict[str, Any]:
    state = r.process.definition.states.get(r.state)
    behalf = (users or {}).get(r.on_behalf_of_id or 0) or (
        r.on_behalf_of if r.on_behalf_of_id else None
    )
    return {
        "id": r.id,
        "process_id": r.process_id,
        "state": r.state,
        "state_title": pick(state.title, lang) if state else r.state,
        "round": r.round,
        "group": r.group_index,
        "approver": user_ref(r.approver),
        "on_behalf_of": user_ref(behalf),
        "status": r.status,
        "comment": r.comment,
        "created_dt": dt(r.created_dt),
        "decided_dt": dt(r.decided_dt),
    }


def extension(e: DeadlineExtension, users: dict[int, User]) -> dict[str, Any]:
    return {
        "old_due_dt": dt(e.old_due_dt),
        "new_due_dt": dt(e.new_due_dt),
        "reason": e.reason,
        "actor": user_ref(users.get(e.actor_id or 0)),
        "created_dt": dt(e.created_dt),
    }


def deadline(d: Deadline, extensions: list[Any], users: dict[int, User]) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "state": d.state,
        "start_dt": dt(d.start_dt),
        "due_dt": dt(d.due_dt),
        "original_due_dt": dt(d.original_due_dt),
        "status": d.status,
        "unit": d.unit,
        "statutory": d.is_statutory,
        "overdue": d.status == "open" and d.due_dt < clock.utcnow(),
        "extensions": [extension(e, users) for e in extensions],
    }


def council(c: CouncilDecision) -> dict[str, Any]:
    return {
        "id": c.id,
        "purpose": c.purpose,
        "phase": c.phase,
        "session_date": day(c.session_date),
        "session_number": c.session_number,
        "decision_number": c.decision_number,
        "ada": c.ada,
        "posted_on": day(c.posted_on),
        "members": c.members,
        "present": c.present,
        "votes_for": c.votes_for,
        "against": c.against,
        "abstain": c.abstain,
        "outcome": c.outcome,
        "notes": c.notes,
        "created_dt": dt(c.created_dt),
    }


def event(e: ExternalEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "outcome": e.outcome,
        "event_date": day(e.event_date),
        "reference": e.reference,
        "notes": e.notes,
        "data": dict(e.data or {}),
        "created_dt": dt(e.created_dt),
    }


def history(h: AuditLog, users: dict[int, User]) -> dict[str, Any]:
    return {
        "id": h.id,
        "at": dt(h.created_dt),
        "action": h.action,
        "actor": user_ref(h.actor),
        "on_behalf_of": user_ref(users.get(h.on_behalf_of_id or 0)),
        "object_type": h.object_type,
        "object_id": h.object_id,
        "data": dict(h.data or {}),
    }


def detail(d: ProcessDetail, lang: str) -> dict[str, Any]:
    p = d.row.process
    defn = p.definition
    out = summary(d.row, lang)
    out.update(
        owner=user_ref(d.users.get(p.owner_id or 0)),
        source=p.source,
        summary=p.summary,
        flags={k: bool(v) for k, v in (p.flags or {}).items()},
        signed_on=day(p.signed_on),
        expires_on=day(p.expires_on),
        steps=[
            {
                "key": s.state,
                "title": pick(defn.states[s.state].title, lang),
                "hint": pick(hint, lang) if (hint := defn.states[s.state].hint) else None,
                "entered_dt": dt(s.entered_dt),
                "round": s.round,
                "approval": defn.states[s.state].approval is not None,
            }
            for s in d.steps
        ],
        actions=[action(a, lang) for a in d.actions],
        deadlines=[deadline(x, d.extensions.get(x.id, []), d.users) for x in d.deadlines],
        approvals=[approval(r, lang, d.users) for r in d.approvals],
        council_decisions=[council(c) for c in d.council],
        external_events=[event(e) for e in d.events],
        history=[history(h, d.users) for h in d.history],
    )
    return out


def partner(a: Authority, lang: str) -> dict[str, Any]:
    return {
        "id": a.id,
        "key": a.key,
        "name": a.name(lang),
        "name_el": a.name_el,
        "name_en": a.name_en,
        "name_native": a.name_native,
        "country": a.country,
        "timezone": a.timezone,
        "language": a.language,
        "population": a.population,
        "website": a.website,
        "notes": a.notes,
        "is_home": a.is_home,
        "successor": partner_ref(a.successor, lang) if a.successor else None,
        "reorganised_on": day(a.reorganised_on),
    }
