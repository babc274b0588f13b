"""Workflow versions: the shipped ones, new versions from the settings page, migration."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..domain.builtin import BUILTIN
from ..domain.definitions import load_definition
from ..domain.errors import DefinitionError
from ..domain.text import Reason
from ..extensions import db
from ..models import Process, User, WorkflowVersion
from . import audit
from .errors import Invalid, NotFound, Refused
from .locking import lock_process
from .permissions import require


def current(name: str) -> WorkflowVersion:
    """The newest version of ``name``: what a new process starts with."""
    found = db.session.scalars(
        sa.select(WorkflowVersion)
        .where(WorkflowVersion.name == name)
        .order_by(WorkflowVersion.version.desc())
        .limit(1)
    ).first()
    if found is None:
        raise NotFound()
    return found


def get_version(name: str, version: int) -> WorkflowVersion:
    found = db.session.scalars(
        sa.select(WorkflowVersion).where(
            WorkflowVersion.name == name, WorkflowVersion.version == version
        )
    ).first()
    if found is None:
        raise NotFound()
    return found


def ensure_builtin() -> list[WorkflowVersion]:
    """Store version 1 of each shipped workflow if it is not there yet."""
    added = []
    for name, data in BUILTIN.items():
        exists = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(WorkflowVersion)
            .where(WorkflowVersion.name == name)
        )
        if not exists:
            load_definition(data)
            row = WorkflowVersion(name=name, version=data["version"], data=data, comment="builtin")
            db.session.add(row)
            added.append(row)
    db.session.flush()
    return added


def save_version(
    name: str, data: dict[str, Any], actor: User, comment: str = ""
) -> WorkflowVersion:
    """Validate edited definition data and store it as the next version of ``name``."""
    require(actor, "workflow.edit")
    latest = current(name)
    data = dict(data, name=name, version=latest.version + 1)
    try:
        load_definition(data)
    except DefinitionError as exc:
        raise Invalid([Reason("input_invalid", {"field": str(exc)})]) from exc
    row = WorkflowVersion(
        name=name, version=latest.version + 1, data=data, comment=comment, created_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    audit.record("workflow.version", actor, obj=row, data={"name": name, "version": row.version})
    return row


def migrate_process(process_id: int, version: int, actor: User) -> Process:
    """Move a running file to another version of its workflow, if its states exist there."""
    require(actor, "process.migrate")
    process = lock_process(process_id)
    old = process.workflow
    if old.version == version:
        raise Refused([Reason("same_version", {"version": version})])
    target = get_version(old.name, version)
    from .processes import active_states

    missing = sorted(s for s in active_states(process) if s not in target.definition.states)
    if missing:
        titles = old.definition.states
        raise Refused(
            [
                Reason("state_missing_in_target", {"state": titles[s].title, "version": version})
                for s in missing
            ]
        )
    process.workflow_id = target.id
    process.workflow = target
    audit.record(
        "process.migrate", actor, process, data={"from": old.version, "to": target.version}
    )
    db.session.flush()
    return process
