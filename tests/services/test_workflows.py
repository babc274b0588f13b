"""Workflow versions: new files take the newest, running ones keep theirs, migration is explicit."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tracker.domain.builtin import TWINNING
from tracker.extensions import db
from tracker.models import AuditLog, Process, User
from tracker.services import processes, workflows
from tracker.services.errors import Forbidden, Invalid, NotFound, Refused

from .support import act, approve_all, external, snapshot, states


def version_two(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(TWINNING)
    data["states"]["exploratory_contact"]["deadline"] = {"amount": 45, "unit": "calendar"}
    data.update(changes)
    return data


def without_letter_of_intent() -> dict[str, Any]:
    """A version where the partner's reply leads straight to drafting."""
    data = version_two()
    del data["states"]["letter_of_intent"]
    transitions = data["transitions"]
    del transitions["start_drafting"]
    transitions["send_letter_of_intent"]["target"] = ["drafting"]
    transitions["abandon"]["source"] = [
        s for s in transitions["abandon"]["source"] if s != "letter_of_intent"
    ]
    return data


def test_a_new_version_applies_to_new_files_only(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    old = make_process("umea")
    row = act(workflows.save_version, "twinning", version_two(), team["admin"], "45 days")
    assert row.version == 2
    new = make_process("vilnius")
    assert (old.workflow.version, new.workflow.version) == (1, 2)
    approve_all(old)
    approve_all(new)
    due = {
        p.id: db.session.execute(
            sa.text("SELECT due_dt, start_dt FROM deadline WHERE process_id = :p"), {"p": p.id}
        ).one()
        for p in (old, new)
    }
    assert due[old.id] != due[new.id]
    assert processes.available_actions(old, team["staff"])  # still runs on version 1
    saved = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "workflow.version")
    ).one()
    assert saved.data == {"name": "twinning", "version": 2}


def test_saving_a_broken_version_is_refused(team: dict[str, User]) -> None:
    broken = version_two()
    broken["transitions"]["abandon"]["target"] = ["nowhere"]
    before = snapshot()
    with pytest.raises(Invalid):
        act(workflows.save_version, "twinning", broken, team["admin"])
    with pytest.raises(Forbidden):
        act(workflows.save_version, "twinning", version_two(), team["head"])
    assert snapshot() == before
    assert workflows.current("twinning").version == 1


def test_migrate_process_moves_a_file_and_is_audited(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    act(workflows.save_version, "twinning", version_two(), team["admin"])
    act(workflows.migrate_process, process.id, 2, team["admin"])
    db.session.refresh(process)
    assert process.workflow.version == 2
    row = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.action == "process.migrate", AuditLog.process_id == process.id
        )
    ).one()
    assert row.data == {"from": 1, "to": 2}
    assert row.actor_id == team["admin"].id
    approve_all(process)
    assert states(process) == {"exploratory_contact"}


def test_migration_refuses_when_a_current_state_is_missing_in_the_target(
    team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    act(workflows.save_version, "twinning", without_letter_of_intent(), team["admin"])
    approve_all(process)
    external(process, team["staff"], "partner_reply", "positive")
    assert states(process) == {"letter_of_intent"}
    before = snapshot()
    with pytest.raises(Refused) as refused:
        act(workflows.migrate_process, process.id, 2, team["admin"])
    (reason,) = refused.value.reasons
    assert reason.code == "state_missing_in_target"
    assert reason.text("en") == "State “Letter of intent” does not exist in version 2."
    assert reason.text("el") == "Η κατάσταση «Επιστολή πρόθεσης» δεν υπάρχει στην έκδοση 2."
    assert snapshot() == before
    fresh = make_process("vilnius")
    approve_all(fresh)
    external(fresh, team["staff"], "partner_reply", "positive")
    assert states(fresh) == {"drafting"}  # version 2 goes straight to drafting


@pytest.mark.parametrize(
    ("who", "version", "error"),
    [("head", 2, Forbidden), ("admin", 1, Refused), ("admin", 7, NotFound)],
)
def test_migration_refusals(
    team: dict[str, User],
    make_process: Callable[..., Process],
    who: str,
    version: int,
    error: type[Exception],
) -> None:
    process = make_process("umea")
    act(workflows.save_version, "twinning", version_two(), team["admin"])
    before = snapshot()
    with pytest.raises(error):
        act(workflows.migrate_process, process.id, version, team[who])
    assert snapshot() == before


def test_ensure_builtin_is_idempotent(app: Flask) -> None:
    assert act(workflows.ensure_builtin) == []
    assert [workflows.current(n).version for n in ("twinning", "memorandum", "network")] == [
        1,
        1,
        1,
    ]
