"""Readable, bilingual lines for the history timeline, the minutes and their CSV.

Audit rows store a code (``process.transition``) and raw data; people read
"Moved: Idea → Exploratory contact (automatically)". Kept beside the services
(not in templates) so the web page, the printable minutes and the CSV say the
same thing in Greek or English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Mapping

from ..domain.calendar import to_local
from ..domain.definitions import WorkflowDef
from ..domain.text import COUNCIL_PURPOSES, EXTERNAL_EVENTS, FLAG_TITLES, OUTCOMES, pick
from ..models import AuditLog

T = Mapping[str, str]

LABELS: dict[str, T] = {
    "process.create": {"el": "Δημιουργία φακέλου", "en": "File opened"},
    "process.transition": {"el": "Μετάβαση", "en": "Moved"},
    "process.flag": {"el": "Επιβεβαίωση συνθήκης", "en": "Condition confirmed"},
    "process.migrate": {"el": "Αλλαγή έκδοσης ροής", "en": "Workflow version changed"},
    "approval.approved": {"el": "Έγκριση", "en": "Approved"},
    "approval.rejected": {"el": "Απόρριψη", "en": "Rejected"},
    "approval.sent_back": {"el": "Επιστροφή για διόρθωση", "en": "Sent back"},
    "approval.round": {"el": "Νέος γύρος έγκρισης", "en": "New approval round"},
    "approval.denied": {
        "el": "Απόπειρα απόφασης σε ξένη έγκριση",
        "en": "Attempt to decide someone else's approval",
    },
    "council.record": {"el": "Απόφαση Δημοτικού Συμβουλίου", "en": "Council decision recorded"},
    "council.posting": {
        "el": "Ανάρτηση απόφασης Δ.Σ. στη Διαύγεια",
        "en": "Council decision's Diavgeia posting added",
    },
    "council.ada_corrected": {
        "el": "Διόρθωση ΑΔΑ απόφασης Δ.Σ.",
        "en": "Council decision's ΑΔΑ corrected",
    },
    "external.record": {"el": "Καταχώριση εξωτερικού γεγονότος", "en": "Outside event recorded"},
    "deadline.extend": {"el": "Παράταση προθεσμίας", "en": "Deadline extended"},
    "document.upload": {"el": "Ανέβηκε έγγραφο", "en": "Document uploaded"},
    "comment.add": {"el": "Σχόλιο", "en": "Comment"},
    "partner.update": {"el": "Αλλαγή στοιχείων εταίρου", "en": "Partner details changed"},
    "partner.successor": {"el": "Καταχώριση διαδόχου αρχής", "en": "Successor recorded"},
}

#: A "deadline.extend" row whose new date is earlier than the old is no extension.
MOVED_EARLIER: T = {"el": "Μετακίνηση προθεσμίας νωρίτερα", "en": "Deadline moved earlier"}
AUTO: T = {"el": "αυτόματα", "en": "automatically"}
ROUND: T = {"el": "γύρος", "en": "round"}
YES_NO: dict[bool, T] = {True: {"el": "ναι", "en": "yes"}, False: {"el": "όχι", "en": "no"}}
ADA: T = {"el": "ΑΔΑ", "en": "ΑΔΑ"}
DECISION: T = {"el": "απόφαση", "en": "decision"}
POSTED: T = {"el": "αναρτήθηκε", "en": "posted"}
VOTES: T = {
    "el": "παρόντες {present}/{members}, υπέρ {for_}, κατά {against}, λευκά {abstain}",
    "en": "present {present}/{members}, for {for_}, against {against}, abstain {abstain}",
}


@dataclass(frozen=True)
class Line:
    """One history row as people read it."""

    when: datetime
    actor: str
    on_behalf_of: str
    label: str
    detail: str
    action: str


def _join(parts: list[str], lang: str) -> str:
    """Parts of a history line; in Greek a ";" reads as a question mark, so "·" there."""
    return (" · " if lang == "el" else "; ").join(parts)


def _default_dt(value: datetime) -> str:
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def _state(defn: WorkflowDef | None, key: str, lang: str) -> str:
    if defn is not None and key in defn.states:
        return pick(defn.states[key].title, lang)
    return key


def _titled(table: Mapping[str, T], key: Any, lang: str) -> str:
    return pick(table[key], lang) if key in table else str(key)


def _detail(
    row: AuditLog, defn: WorkflowDef | None, lang: str, fmt: Callable[[datetime], str]
) -> str:
    data: dict[str, Any] = row.data or {}
    action = row.action
    if action == "process.transition":
        src = ", ".join(_state(defn, s, lang) for s in data.get("from", []))
        dst = ", ".join(_state(defn, s, lang) for s in data.get("to", []))
        text = f"{src} → {dst}"
        return f"{text} ({pick(AUTO, lang)})" if data.get("auto") else text
    if action == "process.create":
        return pick(defn.title, lang) if defn is not None else str(data.get("kind", ""))
    if action == "process.flag":
        flag = _titled(FLAG_TITLES, data.get("flag"), lang)
        return f"{flag}: {pick(YES_NO[bool(data.get('value'))], lang)}"
    if action == "process.migrate":
        return f"v{data.get('from')} → v{data.get('to')}"
    if action.startswith("approval.") and action != "approval.denied":
        text = f"{_state(defn, str(data.get('state', '')), lang)} ({pick(ROUND, lang)} "
        text += f"{data.get('round', '')})"
        comment = str(data.get("comment") or "")
        return f"{text}: {comment}" if comment else text
    if action == "council.record":
        purpose = _titled(COUNCIL_PURPOSES, data.get("purpose"), lang)
        outcome = _titled(OUTCOMES, data.get("outcome"), lang)
        parts = [f"{purpose} — {outcome}", f"{pick(DECISION, lang)} {data.get('number', '')}"]
        if data.get("ada"):
            parts.append(f"{pick(ADA, lang)} {data['ada']}")
        counts = data.get("counts") or []
        if len(counts) == 5:
            members, present, for_, against, abstain = counts
            parts.append(
                pick(VOTES, lang).format(
                    members=members, present=present, for_=for_, against=against, abstain=abstain
                )
            )
        return _join(parts, lang)
    if action == "council.posting":
        parts = [f"{pick(DECISION, lang)} {data.get('number', '')}"]
        if data.get("ada"):
            parts.append(f"{pick(ADA, lang)} {data['ada']}")
        if data.get("posted_on"):
            posted = date.fromisoformat(str(data["posted_on"]))
            parts.append(f"{pick(POSTED, lang)} {posted:%d/%m/%Y}")
        return _join(parts, lang)
    if action == "council.ada_corrected":
        number = f"{pick(DECISION, lang)} {data.get('number', '')}"
        change = f"{pick(ADA, lang)} {data.get('old', '')} → {data.get('new', '')}"
        return f"{_join([number, change], lang)}: {data.get('reason', '')}"
    if action == "external.record":
        event = _titled(EXTERNAL_EVENTS, data.get("kind"), lang)
        return f"{event}: {_titled(OUTCOMES, data.get('outcome'), lang)}"
    if action == "deadline.extend":
        old, new = _parse(data.get("old")), _parse(data.get("new"))
        moved = f"{fmt(old) if old else '?'} → {fmt(new) if new else '?'}"
        return f"{moved}: {data.get('reason', '')}"
    if action == "document.upload":
        return f"{data.get('title', '')} ({data.get('filename', '')})"
    if action == "comment.add":
        return str(data.get("excerpt", ""))
    return ""


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def describe(
    row: AuditLog,
    defn: WorkflowDef | None,
    lang: str,
    fmt: Callable[[datetime], str] = _default_dt,
) -> Line:
    """The row as a labelled line with details, in ``lang``."""
    label = pick(LABELS[row.action], lang) if row.action in LABELS else row.action
    if row.action == "deadline.extend":
        data = row.data or {}
        old, new = _parse(data.get("old")), _parse(data.get("new"))
        if old is not None and new is not None and new < old:
            label = pick(MOVED_EARLIER, lang)
    return Line(
        when=row.created_dt,
        actor=row.actor.name if row.actor else "—",
        on_behalf_of=row.on_behalf_of.name if row.on_behalf_of else "",
        label=label,
        detail=_detail(row, defn, lang, fmt),
        action=row.action,
    )
