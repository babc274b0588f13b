"""``flask tracker …``: the same services as the web, committed at the edge."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from .db import writing
from .domain.calendar import to_local
from .domain.roles import ROLE_KEYS
from .extensions import db
from .models import AuditLog, Process, User
from .services import accounts, processes, queries, workflows
from .services.errors import ServiceError
from .services.tokens import DEFAULT_LIFETIME, LIFETIMES

tracker_cli = AppGroup("tracker", help="Twinning Tracker administration.")


def _actor(email: str) -> User:
    user = accounts.find_by_email(email)
    if user is None or not user.is_active:
        raise click.ClickException(f"no active user {email!r}")
    return user


def _fail(exc: ServiceError) -> None:
    db.session.rollback()
    for message in exc.messages("en"):
        click.echo(f"  - {message}", err=True)
    raise click.ClickException(type(exc).__name__)


@tracker_cli.command("seed")
@click.option("--demo", "mode", flag_value="demo", help="Reference data plus demo users and files.")
@click.option(
    "--reference",
    "mode",
    flag_value="reference",
    default=True,
    help="Authorities and workflows only.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed(mode: str, if_empty: bool) -> None:
    """Load reference data, or the full demo (refused in production)."""
    from flask import current_app

    from . import seed as seeding

    if mode == "demo" and not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("demo data is refused by the production configuration")
    with writing():  # the emptiness check and the load are one write transaction
        if mode == "demo":
            if not seeding.is_empty():
                db.session.rollback()
                if if_empty:
                    click.echo("Database already has data; demo not loaded.")
                    return
                raise click.ClickException(
                    "the database is not empty; demo data goes only into an empty one"
                )
            made = seeding.seed_demo()
            db.session.commit()
            click.echo(
                f"Demo data loaded: {len(made)} agreements, {len(seeding.DEMO_USERS)} users."
            )
        else:
            seeding.seed_reference()
            db.session.commit()
            click.echo("Reference data loaded.")


@tracker_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLE_KEYS))
@click.option("--language", default="el", type=click.Choice(["el", "en"]))
@click.password_option()
def create_user(
    email: str, name: str, roles: tuple[str, ...], language: str, password: str
) -> None:
    """Create an account; the user must change the password at first log-in."""
    try:
        with writing():
            user = accounts.create_user(email, name, password, list(roles), None, language)
            db.session.commit()
    except ServiceError as exc:
        _fail(exc)
        return
    click.echo(f"Created user {user.id} <{user.email}> with roles {', '.join(sorted(roles))}.")


@tracker_cli.command("list")
@click.option("--as", "as_email", default=None, help="Count approvals waiting on this user.")
def list_processes(as_email: str | None) -> None:
    """Every file with its state and next deadline, most urgent first."""
    viewer = _actor(as_email) if as_email else User(id=0, name="", email="", password_hash="")
    for row in queries.dashboard_rows(viewer):
        p = row.process
        states = ", ".join(p.definition.states[s].title["en"] for s in row.states)
        due = to_local(row.next_due).strftime("%Y-%m-%d %H:%M") if row.next_due else "-"
        click.echo(
            f"{p.id:>4}  {p.partner.name_en[:34]:<34}  {p.kind:<10}  "
            f"{states[:48]:<48}  {due} {row.urgency}"
        )


def _payload(date_: str | None, place: str | None, successor: str | None) -> dict[str, Any]:
    return {
        "date": date.fromisoformat(date_) if date_ else None,
        "place": place,
        "successor": successor,
    }


@tracker_cli.command("why")
@click.argument("process_id", type=int)
@click.argument("transition")
@click.option("--as", "as_email", required=True)
@click.option("--lang", default="en", type=click.Choice(["el", "en"]))
@click.option(
    "--place",
    type=click.Choice(["home", "partner"]),
    default=None,
    help="For signings: where the ceremony is (a trip abroad needs its own decision).",
)
def why(process_id: int, transition: str, as_email: str, lang: str, place: str | None) -> None:
    """Explain why a transition is (not) possible now."""
    process = db.session.get(Process, process_id)
    if process is None:
        raise click.ClickException("no such process")
    if transition not in process.definition.transitions:
        raise click.ClickException(
            f"unknown transition; one of: {', '.join(process.definition.transitions)}"
        )
    payload = {"place": place} if place else None
    reasons = [
        r
        for r in processes.check(process, transition, _actor(as_email), payload)
        if r.code != "input_missing"
    ]
    if not reasons:
        click.echo("Allowed.")
    for reason in reasons:
        click.echo(f"- {reason.text(lang)}")


@tracker_cli.command("advance")
@click.argument("process_id", type=int)
@click.argument("transition")
@click.option("--as", "as_email", required=True)
@click.option("--date", "date_", default=None, help="YYYY-MM-DD, for signings.")
@click.option("--place", type=click.Choice(["home", "partner"]), default=None)
@click.option("--successor", default=None, help="Authority id, for a reorganised partner.")
def advance(
    process_id: int,
    transition: str,
    as_email: str,
    date_: str | None,
    place: str | None,
    successor: str | None,
) -> None:
    """Fire a transition, through the same service as the web page."""
    try:
        with writing():
            process = processes.transition(
                process_id, transition, _actor(as_email), payload=_payload(date_, place, successor)
            )
            db.session.commit()
    except ServiceError as exc:
        _fail(exc)
        return
    states = sorted(processes.active_states(process))
    click.echo(f"Process {process.id} is now in: {', '.join(states)}")


@tracker_cli.command("migrate-process")
@click.argument("process_id", type=int)
@click.argument("version", type=int)
@click.option("--as", "as_email", required=True)
def migrate_process(process_id: int, version: int, as_email: str) -> None:
    """Move a running file to another version of its workflow (audited)."""
    try:
        with writing():
            process = workflows.migrate_process(process_id, version, _actor(as_email))
            db.session.commit()
    except ServiceError as exc:
        _fail(exc)
        return
    click.echo(
        f"Process {process.id} now follows {process.workflow.name} v{process.workflow.version}."
    )


@tracker_cli.command("export-audit")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--process", "process_id", type=int, default=None)
def export_audit(out: Any, process_id: int | None) -> None:
    """The history as CSV (all of it, or one file's)."""
    writer = csv.writer(out if out is not None else sys.stdout)
    writer.writerow(
        ["id", "created_utc", "actor", "on_behalf_of", "action", "process", "object", "data", "ip"]
    )
    stmt = sa.select(AuditLog).order_by(AuditLog.id)
    if process_id is not None:
        stmt = stmt.where(AuditLog.process_id == process_id)
    for row in db.session.scalars(stmt):
        cells = [
            row.id,
            row.created_dt.isoformat(),
            row.actor.email if row.actor else "",
            row.on_behalf_of.email if row.on_behalf_of else "",
            row.action,
            row.process_id or "",
            f"{row.object_type}:{row.object_id}" if row.object_type else "",
            json.dumps(row.data, ensure_ascii=False, sort_keys=True, default=str),
            row.ip,
        ]
        writer.writerow([csv_safe(c) if isinstance(c, str) else c for c in cells])


#: What spreadsheets read as the start of a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in exported text (a leading quote makes it text)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@tracker_cli.command("scheduler")
def scheduler() -> None:
    """Run the single scheduler process (reminders, outbox, digests, timers)."""
    from flask import current_app

    from . import scheduler as sched
    from .safety import check_production_safety

    check_production_safety(current_app)
    sched.run(current_app._get_current_object())  # type: ignore[attr-defined]


@tracker_cli.command("create-token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for (shown on the tokens page).")
@click.option(
    "--days",
    type=click.Choice([str(d) for d in LIFETIMES]),
    default=str(DEFAULT_LIFETIME),
    show_default=True,
    help="How long the token works; after that the API answers 401 token_expired.",
)
def create_token(email: str, name: str, days: str) -> None:
    """Create a personal API token; the secret is printed once (stdout) and never stored."""
    from .services import tokens

    try:
        token, secret = tokens.create(_actor(email), name, int(days))
    except ServiceError as exc:
        _fail(exc)
        return
    db.session.commit()
    until = token.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(
        f"Token {token.prefix}… created for {email}, valid until {until}; it is shown only now:",
        err=True,
    )
    click.echo(secret)
