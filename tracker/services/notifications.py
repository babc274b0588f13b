"""Who is told what when the workflow moves; every message goes through the outbox."""

from __future__ import annotations

from datetime import datetime

from ..domain.calendar import to_local
from ..domain.definitions import TransitionDef
from ..domain.engine import Move
from ..domain.text import pick
from ..extensions import db
from ..models import ApprovalRequest, Deadline, Process, User
from .outbox import enqueue
from .urls import external_url


def _lang(user: User) -> str:
    return user.language if user.language in ("el", "en") else "el"


def _partner(process: Process, lang: str) -> str:
    return process.partner.name(lang)


def approval_requested(process: Process, request: ApprovalRequest) -> None:
    """Approvers always get their request at once, with a link straight to the decision."""
    user = db.session.get(User, request.approver_id)
    if user is None:
        return
    lang = _lang(user)
    state = pick(process.definition.states[request.state].title, lang)
    link = external_url("approvals.decide", request_id=request.id)
    if lang == "el":
        subject = f"Έγκριση: {state} — {_partner(process, lang)}"
        text = (
            f"Ζητείται η έγκρισή σας για «{state}» στον φάκελο «{process.title}».\n\n"
            f"Αποφασίστε εδώ: {link}\n"
        )
    else:
        subject = f"Approval: {state} — {_partner(process, lang)}"
        text = (
            f"Your approval is requested for “{state}” in “{process.title}”.\n\n"
            f"Decide here: {link}\n"
        )
    if request.on_behalf_of_id:
        behalf = db.session.get(User, request.on_behalf_of_id)
        name = behalf.name if behalf else ""
        text += f"\n({'εκ μέρους' if lang == 'el' else 'on behalf of'} {name})\n"
    enqueue(
        user,
        f"approval:{request.id}",
        subject,
        text,
        category="approval",
        process=process,
        urgent=True,
    )


def _owner(process: Process) -> User | None:
    return db.session.get(User, process.owner_id) if process.owner_id else None


def sent_back(process: Process, request: ApprovalRequest, actor: User) -> None:
    """The drafter learns why the draft came back; a new round has opened."""
    owner = _owner(process)
    if owner is None or owner.id == actor.id:
        return
    lang = _lang(owner)
    state = pick(process.definition.states[request.state].title, lang)
    link = external_url("processes.detail", process_id=process.id)
    if lang == "el":
        subject = f"Επιστροφή: {state} — {_partner(process, lang)}"
        text = f"Ο/Η {actor.name} επέστρεψε «{state}» με σχόλιο:\n\n{request.comment}\n\n{link}\n"
    else:
        subject = f"Sent back: {state} — {_partner(process, lang)}"
        text = (
            f"{actor.name} sent “{state}” back with this comment:\n\n{request.comment}\n\n{link}\n"
        )
    enqueue(
        owner,
        f"sentback:{request.id}",
        subject,
        text,
        category="approval",
        process=process,
        urgent=True,
    )


def rejected(process: Process, request: ApprovalRequest, actor: User) -> None:
    owner = _owner(process)
    if owner is None or owner.id == actor.id:
        return
    lang = _lang(owner)
    state = pick(process.definition.states[request.state].title, lang)
    link = external_url("processes.detail", process_id=process.id)
    if lang == "el":
        subject = f"Απόρριψη: {state} — {_partner(process, lang)}"
        text = f"Ο/Η {actor.name} απέρριψε «{state}» με σχόλιο:\n\n{request.comment}\n\n{link}\n"
    else:
        subject = f"Rejected: {state} — {_partner(process, lang)}"
        text = (
            f"{actor.name} rejected “{state}” with this comment:\n\n{request.comment}\n\n{link}\n"
        )
    enqueue(
        owner,
        f"rejected:{request.id}",
        subject,
        text,
        category="approval",
        process=process,
        urgent=True,
    )


def transitioned(process: Process, t: TransitionDef, move: Move, actor: User | None) -> None:
    """The file's owner hears of moves made by someone else."""
    owner = _owner(process)
    if owner is None or (actor is not None and owner.id == actor.id):
        return
    lang = _lang(owner)
    states = ", ".join(pick(process.definition.states[s].title, lang) for s in sorted(move.entered))
    link = external_url("processes.detail", process_id=process.id)
    title = pick(t.title, lang)
    subject = f"{process.title}: {states}"
    text = f"{title} → {states}\n\n{link}\n"
    enqueue(owner, f"moved:{process.id}:{process.version}:{t.key}", subject, text, process=process)


def deadline_moved(process: Process, deadline: Deadline, old_due: datetime, actor: User) -> None:
    owner = _owner(process)
    if owner is None or owner.id == actor.id:
        return
    lang = _lang(owner)
    old = to_local(old_due).strftime("%d/%m/%Y")
    new = to_local(deadline.due_dt).strftime("%d/%m/%Y")
    link = external_url("processes.detail", process_id=process.id)
    if lang == "el":
        subject = f"Νέα προθεσμία: {process.title}"
        text = f"Η προθεσμία μετακινήθηκε από {old} σε {new}.\n\n{link}\n"
    else:
        subject = f"Deadline moved: {process.title}"
        text = f"The deadline moved from {old} to {new}.\n\n{link}\n"
    enqueue(
        owner, f"moved-deadline:{deadline.id}:{deadline.sequence}", subject, text, process=process
    )
