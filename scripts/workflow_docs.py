"""Print ``docs/workflows.md`` from the shipped workflow definitions.

``python scripts/workflow_docs.py > docs/workflows.md``; a test checks that the
committed file equals this output, so the document never drifts from the data.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.domain.builtin import BUILTIN, builtin  # noqa: E402 - after the path is set
from tracker.domain.definitions import (  # noqa: E402
    ApprovalSpec,
    GuardRef,
    Place,
    StateDef,
    TransitionDef,
    WorkflowDef,
)
from tracker.domain.ladders import Ladder  # noqa: E402
from tracker.domain.roles import ROLES  # noqa: E402
from tracker.domain.text import (  # noqa: E402
    COUNCIL_PURPOSES,
    EXTERNAL_EVENTS,
    FLAG_TITLES,
    INPUT_TITLES,
    OUTCOMES,
    PHASES,
)

POLICY = {"any": "any one of", "all": "all of", "majority": "a majority of"}


def roles(keys: tuple[str, ...] | list[str]) -> str:
    return ", ".join(ROLES[k]["en"] for k in keys)


def approval(spec: ApprovalSpec | None) -> str:
    if spec is None:
        return "—"
    parts = []
    for group in spec.groups:
        policy = f"at least {group.n} of" if group.policy == "at_least" else POLICY[group.policy]
        veto = " (veto)" if group.veto else ""
        parts.append(f"{policy} {roles(group.roles)}{veto}")
    return (" → " if spec.ordered else " and ").join(parts)


def deadline(state: StateDef) -> str:
    if state.deadline is None:
        return "—"
    d = state.deadline
    unit = "working days" if d.unit == "working" else "days"
    return f"{d.amount} {unit}" + (" (statutory)" if d.statutory else "")


def ladder(value: Ladder | None, has_deadline: bool) -> str:
    if value is None:
        return "default ladder" if has_deadline else "—"
    rungs = []
    for rung in value.rungs:
        unit = "wd" if rung.unit == "working" else "d"
        where = "from the start" if rung.anchor == "start" else "from the due date"
        rungs.append(f"{rung.kind} {rung.offset:+d}{unit} {where}")
    if value.repeat_every_days:
        rungs.append(f"every {value.repeat_every_days} d")
    return "; ".join(rungs)


def place(p: Place) -> str:
    if p.when is None:
        return f"`{p.state}`"
    flag = p.when.lstrip("!")
    negate = "not " if p.when.startswith("!") else ""
    return f"`{p.state}` if {negate}{FLAG_TITLES[flag]['en']}"


def guard(g: GuardRef) -> str:
    params: dict[str, Any] = dict(g.params)
    if g.name == "approvals":
        return "sign-off of the step approved"
    if g.name == "council":
        outcome = OUTCOMES[params.get("outcome", "approved")]["en"]
        return f"council decision ({COUNCIL_PURPOSES[params['purpose']]['en']}) {outcome}"
    if g.name == "appeal_window_closed":
        return "appeal window closed, no appeal pending or upheld"
    if g.name == "external":
        outcome = f": {OUTCOMES[params['outcome']]['en']}" if "outcome" in params else ""
        return f"{EXTERNAL_EVENTS[params['event']]['en']}{outcome}"
    if g.name == "flag":
        return f"{FLAG_TITLES[params['flag']]['en']} confirmed"
    phase = PHASES[params.get("phase", "A")]["en"]
    return f"travel decision for the {phase} if signed abroad"


def transition_row(t: TransitionDef) -> str:
    joiner = " or " if t.match == "any" else " + "
    source = joiner.join(place(p) for p in t.source)
    target = " + ".join(place(p) for p in t.target)
    guards = "; ".join(guard(g) for g in t.guards) or "—"
    inputs = ", ".join(INPUT_TITLES[i]["en"] for i in t.inputs) or "—"
    how = "automatic" if t.auto else roles(t.roles)
    return f"| `{t.key}` | {t.title['en']} | {source} | {target} | {how} | {guards} | {inputs} |"


def settings(defn: WorkflowDef) -> list[str]:
    s = defn.settings
    council = s.get("council", {})
    exempt = ", ".join(s.get("ministry_exempt_countries", [])) or "none"
    lines = [
        f"- Council: {council.get('members', 41)} members, quorum `{council.get('quorum')}`, "
        f"majority `{council.get('majority')}`.",
        f"- Ministry consent not needed for partners in: {exempt} (a file can override it).",
        f"- Appeal window: {s.get('appeal_days', 15)} calendar days from posting (statutory).",
        f"- A new round starts when the file re-enters `{defn.cycle_start}`: earlier council "
        "votes and outside events no longer count.",
    ]
    if "expiry_review_days" in s:
        lines.append(f"- Expiry review {s['expiry_review_days']} days before the end of the term.")
    return lines


def document(defn: WorkflowDef) -> list[str]:
    out = [f"## {defn.title['en']} — {defn.title['el']} (`{defn.name}` v{defn.version})", ""]
    out += settings(defn)
    out += [
        "",
        f"Starts in {', '.join(f'`{s}`' for s in defn.initial)}.",
        "",
        "### States",
        "",
        "| state | title | Greek | phase | deadline | reminders | sign-off |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, state in defn.states.items():
        title = state.title["en"] + (" (final)" if state.terminal else "")
        out.append(
            f"| `{key}` | {title} | {state.title['el']} | {state.phase} | {deadline(state)} | "
            f"{ladder(state.ladder, state.deadline is not None)} | {approval(state.approval)} |"
        )
    out += [
        "",
        "### Transitions",
        "",
        "| transition | title | from | to | who | guards | asks for |",
        "|---|---|---|---|---|---|---|",
    ]
    out += [transition_row(t) for t in defn.transitions.values()]
    return [*out, ""]


def render() -> str:
    lines = [
        "# The shipped workflows",
        "",
        "Generated by `python scripts/workflow_docs.py > docs/workflows.md` from",
        "`tracker/domain/builtin.py` (version 1 of each); a test keeps the two in step.",
        "Administrators change deadlines, reminders and sign-offs as new versions;",
        "running files keep the version they started with.",
        "",
        "Reading the tables: `+` in *from* is a join (every branch must have arrived);",
        "`or` means any one of the states, and firing closes every open branch.",
        "Automatic transitions fire as soon as their guards pass. The default reminder",
        "ladder is 5 and 1 working days before, on the due day, 2 and 5 working days",
        "after, then an escalation to the head of office. Sign-off groups joined by `→`",
        "decide in that order: a later group is emailed, and sees the request in its",
        "inbox, only once the groups before it have approved.",
        "",
    ]
    for name in BUILTIN:
        lines += document(builtin(name))
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
