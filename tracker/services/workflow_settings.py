"""Workflow settings per step: deadline, reminder ladder and approval policy.

Every save stores a NEW version of the workflow (``workflows.save_version``);
files already running keep the version they started with, new files take the
newest one. The form carries the version it was based on: if someone saved
another version meanwhile, the save is refused rather than silently merged.
"""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from ..domain.calendar import DeadlineSpec
from ..domain.definitions import ApprovalSpec
from ..domain.errors import DefinitionError
from ..domain.ladders import Ladder
from ..domain.text import Reason
from ..extensions import db
from ..models import Process, User, WorkflowVersion
from . import audit, workflows
from .errors import Invalid, NotFound, Refused
from .permissions import require


def versions(name: str) -> list[WorkflowVersion]:
    """Every version of ``name``, newest first."""
    rows = db.session.scalars(
        sa.select(WorkflowVersion)
        .where(WorkflowVersion.name == name)
        .order_by(WorkflowVersion.version.desc())
    )
    return list(rows)


def names() -> list[str]:
    return list(db.session.scalars(sa.select(WorkflowVersion.name).distinct().order_by("name")))


def running_counts(name: str) -> dict[int, int]:
    """How many open files follow each version of ``name``."""
    rows = db.session.execute(
        sa.select(WorkflowVersion.version, sa.func.count(Process.id))
        .join(Process, Process.workflow_id == WorkflowVersion.id)
        .where(WorkflowVersion.name == name, Process.is_closed.is_(False))
        .group_by(WorkflowVersion.version)
    )
    return {int(v): int(n) for v, n in rows}


def _check(part: str, build: Any, data: Any) -> list[Reason]:
    try:
        build(data, part) if part == "approval" else build(data)
    except DefinitionError as exc:
        return [Reason("setting_invalid", {"detail": str(exc)})]
    return []


def save_step(
    name: str,
    state: str,
    seen_version: int,
    deadline: dict[str, Any] | None,
    ladder: dict[str, Any] | None,
    approval: dict[str, Any] | None,
    actor: User,
    comment: str = "",
) -> WorkflowVersion:
    """Store the step's new settings as the next version of the workflow."""
    require(actor, "workflow.edit")
    latest = workflows.current(name)
    if latest.version != seen_version:
        raise Refused([Reason("workflow_changed", {"version": latest.version})])
    data = copy.deepcopy(latest.data)
    step = data["states"].get(state)
    if step is None:
        raise NotFound([Reason("not_found")])
    if step.get("terminal") and (deadline or approval or ladder):
        raise Invalid([Reason("terminal_no_settings")])
    errors: dict[str, list[Reason]] = {}
    old_deadline = step.get("deadline")
    if deadline is not None:
        deadline = dict(deadline, statutory=bool((old_deadline or {}).get("statutory", False)))
        errors["deadline"] = _check("deadline", DeadlineSpec.from_dict, deadline)
        if (
            old_deadline
            and old_deadline.get("statutory")
            and (
                deadline["unit"] != old_deadline["unit"]
                or deadline["amount"] < old_deadline["amount"]
            )
        ):
            errors["deadline"].append(Reason("statutory_shortening"))
    elif old_deadline and old_deadline.get("statutory"):
        errors["deadline"] = [Reason("statutory_shortening")]
    if ladder is not None:
        errors["ladder"] = _check("ladder", Ladder.from_dict, ladder)
    if approval is not None:
        errors["approval"] = _check("approval", ApprovalSpec.from_dict, approval)
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise Invalid(fields=errors)
    before = {k: step.get(k) for k in ("deadline", "ladder", "approval")}
    for key, value in (("deadline", deadline), ("ladder", ladder), ("approval", approval)):
        if value is None:
            step.pop(key, None)
        else:
            step[key] = value
    try:
        row = workflows.save_version(name, data, actor, comment.strip()[:2000])
    except sa.exc.IntegrityError:  # another administrator saved the same version number first
        raise Refused([Reason("workflow_changed", {"version": seen_version + 1})]) from None
    audit.record(
        "workflow.step_settings",
        actor,
        obj=row,
        data={
            "name": name,
            "state": state,
            "from_version": latest.version,
            "to_version": row.version,
            "before": before,
            "after": {k: step.get(k) for k in ("deadline", "ladder", "approval")},
        },
    )
    return row
