"""``flask tracker …``: seeding, users, listing, explaining, advancing, migrating, exporting."""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from tracker import clock
from tracker.domain.builtin import TWINNING
from tracker.domain.council import valid_ada
from tracker.extensions import db
from tracker.models import (
    AuditLog,
    Authority,
    CouncilDecision,
    Deadline,
    Document,
    Process,
    User,
)
from tracker.seed import DEMO_PASSWORD, DEMO_USERS
from tracker.services import accounts, approvals, documents, processes, workflows

from .services.support import act, states


def run(runner: FlaskCliRunner, *args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(args=["tracker", *args], input=input)
    db.session.rollback()  # the command committed in its own session: read afresh
    return result.exit_code, result.output


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.fixture
def demo(runner: FlaskCliRunner) -> FlaskCliRunner:
    code, out = run(runner, "seed", "--demo")
    assert code == 0, out
    return runner


def test_seed_reference_is_repeatable(runner: FlaskCliRunner) -> None:
    before = count(Authority)
    for _ in range(2):
        code, out = run(runner, "seed", "--reference")
        assert (code, out.strip()) == (0, "Reference data loaded.")
    assert count(Authority) == before >= 15
    nea = db.session.scalars(sa.select(Authority).where(Authority.key == "nea_ionia")).one()
    assert nea.successor is not None and nea.successor.key == "volos"
    assert count(User) == 0


MONDAY = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 08:30 in Athens


def test_seed_demo_loads_files_spread_over_the_workflow(runner: FlaskCliRunner) -> None:
    clock.freeze(MONDAY)
    code, out = run(runner, "seed", "--demo")
    assert code == 0, out
    demo = runner
    assert count(User) == len(DEMO_USERS)
    files = list(db.session.scalars(sa.select(Process)))
    assert len(files) == 13
    by_partner = {p.partner.key: p for p in files}
    assert states(by_partner["chaoyang"]) == {"active"}
    assert by_partner["chaoyang"].kind == "memorandum"
    for key in ("faenza", "ploiesti", "bucharest_s6", "nis"):
        assert states(by_partner[key]) == {"active"}
    assert states(by_partner["nea_ionia"]) == {"under_review"}
    assert states(by_partner["strovolos"]) == {"exploratory_contact"}
    assert states(by_partner["limassol"]) == {"signed_phase_a"}
    spread = {frozenset(states(p)) for p in files}
    assert len(spread) >= 8, spread
    decisions = list(db.session.scalars(sa.select(CouncilDecision)))
    assert decisions and all(valid_ada(d.ada) for d in decisions)
    assert all(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.process_id == p.id)
        )
        for p in files
    )
    user = accounts.find_by_email(DEMO_USERS[0].email)
    assert accounts.verify_password(user, DEMO_PASSWORD)
    # Scenario 1, Monday 08:30: what burns, what is due this week, what waits on the head.
    due: dict[str, datetime] = dict(
        db.session.execute(
            sa.select(Authority.key, sa.func.min(Deadline.due_dt))
            .join(Process, Process.partner_id == Authority.id)
            .join(Deadline, Deadline.process_id == Process.id)
            .where(Deadline.status == "open")
            .group_by(Authority.key)
        )
        .tuples()
        .all()
    )
    assert {k for k, at in due.items() if at < MONDAY} == {"positano", "fonte_nuova"}
    week = {k for k, at in due.items() if MONDAY <= at < MONDAY + timedelta(days=7)}
    assert week == {"strovolos", "umea", "vilnius"}
    head = accounts.find_by_email("head@demo.marousi.invalid")
    assert [r.process.partner.key for r in approvals.pending_for(head)] == ["lakatamia"]
    assert states(by_partner["lakatamia"]) == {"idea"}
    assert states(by_partner["vilnius"]) == {"council_decision"}
    # Scenario 3: the committee reads Umeå's draft protocol from the decision page.
    [draft] = db.session.scalars(
        sa.select(Document).where(Document.process_id == by_partner["umea"].id)
    ).all()
    assert (draft.kind, draft.filename) == ("draft", "schedio-protokollou-umea.pdf")
    councillor = accounts.find_by_email("councillor@demo.marousi.invalid")
    assert any(r.process.partner.key == "umea" for r in approvals.pending_for(councillor))
    _, stored = documents.open_for(draft.id, councillor)
    assert documents.sniff(stored) == "pdf"
    # Only into an empty database; --if-empty (make run) makes that a quiet no-op.
    code, out = run(demo, "seed", "--demo")
    assert code == 1
    assert "not empty" in out
    code, out = run(demo, "seed", "--demo", "--if-empty")
    assert code == 0
    assert "already has data" in out
    assert count(Process) == 13


def test_seed_demo_is_refused_by_the_production_configuration(
    app: Flask, runner: FlaskCliRunner
) -> None:
    app.config["DEMO_ALLOWED"] = False
    code, out = run(runner, "seed", "--demo")
    assert code == 1
    assert "production" in out
    assert count(User) == 0


def test_create_user(runner: FlaskCliRunner) -> None:
    password = "a long enough passphrase"
    code, out = run(
        runner,
        "create-user",
        "Maria@Example.org",
        "--name",
        "Μαρία  Παππά",
        "--role",
        "head",
        "--role",
        "staff",
        input=f"{password}\n{password}\n",
    )
    assert code == 0, out
    assert "with roles head, staff" in out
    user = accounts.find_by_email("maria@example.org")
    assert user is not None
    assert user.name == "Μαρία Παππά"
    assert user.role_keys == {"head", "staff"}
    assert user.must_change_password
    assert accounts.verify_password(user, password)
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["user.create"]


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("weak@example.org", "Password1!", "too common"),
        ("short@example.org", "short", "at least 8"),
        ("no-at-sign", "a long enough passphrase", "email"),
    ],
)
def test_create_user_refusals(
    runner: FlaskCliRunner, email: str, password: str, message: str
) -> None:
    code, out = run(
        runner, "create-user", email, "--name", "X", "--role", "staff", input=f"{password}\n" * 2
    )
    assert code == 1
    assert message in out
    assert count(User) == 0


def test_create_user_refuses_a_taken_email(
    runner: FlaskCliRunner, make_user: Callable[..., User]
) -> None:
    make_user("staff", email="taken@example.org")
    code, out = run(
        runner,
        "create-user",
        "taken@example.org",
        "--name",
        "Other",
        "--role",
        "staff",
        input="another fine passphrase\n" * 2,
    )
    assert code == 1
    assert "already exists" in out
    assert count(User) == 1


def _file(partner: str) -> Process:
    return db.session.scalars(
        sa.select(Process).join(Authority).where(Authority.key == partner)
    ).one()


def test_list_why_and_advance_on_the_demo(demo: FlaskCliRunner) -> None:
    """The commands an administrator runs against a live database, on the demo's files."""
    code, out = run(demo, "list", "--as", DEMO_USERS[2].email)
    assert code == 0, out
    lines = out.strip().splitlines()
    assert len(lines) == 13
    assert any("Umeå" in line and "Drafting the protocol" in line for line in lines)
    assert any("Chaoyang" in line and "Active" in line for line in lines)
    assert all(line.split()[0].isdigit() for line in lines)

    limassol = _file("limassol").id
    staff = DEMO_USERS[0].email
    code, out = run(demo, "why", str(limassol), "sign_phase_b", "--as", staff, "--place", "partner")
    assert code == 0, out
    assert "Travelling abroad for the signing (phase B) needs its own council decision" in out
    code, out = run(demo, "why", str(limassol), "sign_phase_b", "--as", staff)
    assert out.strip() == "Allowed."
    code, out = run(demo, "why", str(limassol), "abandon", "--as", staff, "--lang", "el")
    assert "Η ενέργεια «Εγκατάλειψη» δεν είναι δυνατή" in out
    umea = _file("umea").id
    code, out = run(demo, "why", str(umea), "submit_to_council", "--as", staff)
    assert "Approval for “Drafting the protocol” is still pending" in out
    code, out = run(demo, "why", str(umea), "fly", "--as", staff)
    assert code == 1 and "unknown transition" in out
    code, out = run(demo, "why", "9999", "abandon", "--as", staff)
    assert code == 1 and "no such process" in out

    code, out = run(
        demo, "advance", str(limassol), "sign_phase_b", "--as", staff, "--place", "partner"
    )
    assert code == 1 and "Travelling abroad" in out
    code, out = run(
        demo,
        "advance",
        str(limassol),
        "sign_phase_b",
        "--as",
        staff,
        "--date",
        "2026-11-20",
        "--place",
        "home",
    )
    assert code == 0, out
    assert states(limassol) == {"active"}


def test_advance_uses_the_same_service_as_the_web(
    runner: FlaskCliRunner, team: dict[str, User]
) -> None:
    from tests.conftest import authority

    process = act(processes.create_process, "twinning", authority("strovolos"), team["staff"])
    pid, version = process.id, process.version
    code, out = run(runner, "advance", str(pid), "abandon", "--as", "staff@example.org")
    assert code == 1
    assert "You do not hold a role that may perform “Abandon”." in out
    assert db.session.get(Process, pid).version == version  # type: ignore[union-attr]
    code, out = run(runner, "advance", str(pid), "abandon", "--as", "head@example.org")
    assert code == 0, out
    assert out.strip() == f"Process {pid} is now in: abandoned"
    row = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.process_id == pid, AuditLog.action == "process.transition")
        .order_by(AuditLog.id.desc())
    ).first()
    assert row is not None and row.data["transition"] == "abandon"
    assert row.actor_id == team["head"].id
    code, out = run(runner, "advance", str(pid), "abandon", "--as", "nobody@example.org")
    assert code == 1 and "no active user" in out


def test_migrate_process(runner: FlaskCliRunner, team: dict[str, User]) -> None:
    from tests.conftest import authority

    process = act(processes.create_process, "twinning", authority("umea"), team["staff"])
    data = copy.deepcopy(TWINNING)
    data["states"]["idea"]["hint"] = {"el": "Νέα οδηγία.", "en": "New guidance."}
    act(workflows.save_version, "twinning", data, team["admin"])
    code, out = run(runner, "migrate-process", str(process.id), "2", "--as", "head@example.org")
    assert code == 1 and "not allowed" in out
    code, out = run(runner, "migrate-process", str(process.id), "2", "--as", "admin@example.org")
    assert code == 0, out
    assert out.strip() == f"Process {process.id} now follows twinning v2."
    code, out = run(runner, "migrate-process", str(process.id), "2", "--as", "admin@example.org")
    assert code == 1 and "already uses version 2" in out


def test_export_audit_is_csv_and_formula_safe(
    runner: FlaskCliRunner, make_user: Callable[..., User]
) -> None:
    from tests.conftest import authority

    sly = make_user("staff", email="=HYPERLINK(1)@example.org", name="Sly")
    process = act(processes.create_process, "twinning", authority("umea"), sly)
    code, out = run(runner, "export-audit")
    assert code == 0, out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [
        "id",
        "created_utc",
        "actor",
        "on_behalf_of",
        "action",
        "process",
        "object",
        "data",
        "ip",
    ]
    created = next(r for r in rows[1:] if r[4] == "process.create")
    assert created[2] == "'=hyperlink(1)@example.org"
    assert created[5] == str(process.id)
    assert created[7] == '{"kind": "twinning", "partner": "umea"}'
    for row in rows[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    code, out = run(runner, "export-audit", "--process", str(process.id))
    assert [r[4] for r in csv.reader(io.StringIO(out))][1:] == ["process.create"]


def test_cli_refuses_an_unknown_actor(runner: FlaskCliRunner) -> None:
    code, out = run(runner, "list", "--as", "ghost@example.org")
    assert code == 1 and "no active user" in out
