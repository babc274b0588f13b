"""Deployment smoke test: the production shape, for real, on loopback.

gunicorn with 4 workers (``deploy/gunicorn.conf.py``) and one ``flask tracker
scheduler`` process run the production configuration (a generated secret) on
their own PostgreSQL database; an SMTP server (aiosmtpd) runs inside this test.
Users and their tokens are made with the command line, as the README says; a
twinning is then carried from idea to active through the HTTP API by several
people, each with their own token. Every email queued must arrive exactly once
(counted by Message-ID at the SMTP server), reminders included. Finally the
backup script's dump is restored into a second database and compared.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from aiosmtpd.controller import Controller

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DEPLOY_SMOKE"),
        reason="starts gunicorn and the scheduler: run by `make test-deploy` (DEPLOY_SMOKE=1)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DB_NAME = "deploy_smoke"
RESTORE_NAME = "deploy_smoke_restore"
PASSWORD = "smoke test passphrase 2026"
WORKERS = 4

USERS = {
    "staff": ("staff",),
    "head": ("head",),
    "deputy": ("deputy_mayor",),
    "mayor": ("mayor",),
    "president": ("council_president",),
    "c1": ("council_member",),
    "c2": ("council_member",),
    "c3": ("council_member",),
}


# --- the pieces: SMTP sink, databases, processes ---------------------------------------------


class Sink:
    """An SMTP server that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def message_ids(self) -> Counter[str]:
        from email import message_from_bytes

        return Counter(str(message_from_bytes(raw)["Message-ID"]) for *_x, raw in self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_url(dbname: str) -> str:
    base = os.environ["DATABASE_URL"]
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", "", ""))


def admin_sql(*statements: str) -> None:
    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


@dataclass
class Deployment:
    base: str
    env: dict[str, str]
    db_url: str
    tokens: dict[str, str]
    sink: Sink
    gunicorn: subprocess.Popen[bytes]
    logs: Path
    ids: dict[str, int] = field(default_factory=dict)

    def call(self, method: str, path: str, who: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + "/api/v1" + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.tokens[who]}",
                "Content-Type": "application/json",
                "Accept-Language": "en",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


YEAR_LATER = """
import sys
from datetime import timedelta
import sqlalchemy as sa
from tracker import create_app
from tracker.extensions import db
from tracker.models import Deadline, Reminder
from tracker.services import deadlines
app = create_app()
with app.app_context():
    back = timedelta(days=400)
    before = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Reminder.id), 0)))
    for d in db.session.scalars(sa.select(Deadline).where(
            Deadline.process_id == int(sys.argv[1]), Deadline.status == "open")):
        deadlines.cancel_pending(d)
        d.start_dt, d.due_dt = d.start_dt - back, d.due_dt - back
        d.original_due_dt -= back
        db.session.flush()
        deadlines.schedule(d)
    db.session.commit()
    due = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder).join(Deadline).where(
        Deadline.process_id == int(sys.argv[1]), Reminder.status == "pending",
        Reminder.fire_dt <= sa.func.now()))
    print(before, due)
"""


MORE_PEOPLE = """
import json, sys
from tracker import create_app
from tracker.extensions import db
from tracker.services import accounts, tokens
app = create_app()
out = {}
with app.app_context():
    for key, roles in json.loads(sys.argv[1]).items():
        user = accounts.create_user(f"{key}@smoke.example.org", f"Smoke {key}", sys.argv[2],
                                    roles, None, "en")
        out[key] = tokens.create(user, "smoke")[1]
    db.session.commit()
print(json.dumps(out))
"""


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_until(check: Any, timeout: float, what: str, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("deploy")
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", f"CREATE DATABASE {DB_NAME}")
    port = free_port()
    db_url = server_url(DB_NAME)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TRACKER_"))},
        "TRACKER_ENV": "production",
        "FLASK_APP": "tracker:create_app",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": db_url,
        "BASE_URL": f"http://127.0.0.1:{port}",
        "TRUSTED_HOSTS": "127.0.0.1",
        "INSTANCE_PATH": str(tmp / "instance"),
        "UPLOAD_DIR": str(tmp / "documents"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_USE_TLS": "0",
        "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "SCHEDULER_SWEEP_SECONDS": "2",
        "SCHEDULER_SEND_SECONDS": "2",
    }
    flask(env, "db", "upgrade")
    flask(env, "tracker", "seed", "--reference")
    # One account and token exactly as the README says (the command line), the
    # others in one process: each `flask` start costs seconds on a small machine.
    flask(env, "tracker", "create-user", "staff@smoke.example.org", "--name", "Smoke staff",
          "--role", "staff", "--language", "en", "--password", PASSWORD)  # fmt: skip
    staff_token = flask(
        env, "tracker", "create-token", "staff@smoke.example.org", "--name", "smoke"
    )
    others = {k: list(v) for k, v in USERS.items() if k != "staff"}
    made = subprocess.run(
        [sys.executable, "-c", MORE_PEOPLE, json.dumps(others), PASSWORD],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    tokens = {"staff": staff_token.strip(), **json.loads(made.stdout.strip().splitlines()[-1])}
    scheduler = start([str(BIN / "flask"), "tracker", "scheduler"], env, tmp / "scheduler.log")
    gunicorn = start(
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        env,
        tmp / "gunicorn.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: ready(base), 60, "gunicorn to answer")
        yield Deployment(base, env, db_url, tokens, sink, gunicorn, tmp)
    finally:
        stop(gunicorn)
        stop(scheduler)
        smtp.stop()
        for name in ("gunicorn.log", "scheduler.log"):
            sys.stderr.write(f"--- {name} (tail)\n{(tmp / name).read_text()[-3000:]}\n")
        admin_sql(
            f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {RESTORE_NAME} WITH (FORCE)",
        )


# --- the run --------------------------------------------------------------------------------


def states(body: dict[str, Any]) -> list[str]:
    return sorted(s["key"] for s in body["states"])


def approve_all(d: Deployment, who: str, process_id: int) -> dict[str, Any]:
    status, mine = d.call("GET", "/approvals", who)
    assert status == 200, mine
    items = [a for a in mine["items"] if a["process_id"] == process_id]
    assert items, f"{who} has nothing to approve"
    for item in items:
        status, body = d.call(
            "POST", f"/approvals/{item['id']}/decision", who, {"decision": "approved"}
        )
        assert status == 200, body
    return body["process"]  # type: ignore[no-any-return]


def record(d: Deployment, process_id: int, what: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = d.call("POST", f"/processes/{process_id}/{what}", "staff", body)
    assert status == 201, answer
    return answer  # type: ignore[no-any-return]


def test_production_shape_is_up(deployment: Deployment) -> None:
    children = subprocess.run(
        ["pgrep", "-P", str(deployment.gunicorn.pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert len(children) == WORKERS
    request = urllib.request.Request(deployment.base + "/login")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert "max-age" in response.headers["Strict-Transport-Security"]
    status, me = deployment.call("GET", "/me", "staff")
    assert status == 200 and me["roles"] == ["staff"]


def test_a_twinning_from_idea_to_active_over_http(deployment: Deployment) -> None:
    d = deployment
    today = date.today()
    status, created = d.call("POST", "/processes", "staff", {"kind": "twinning", "partner": "umea"})
    assert status == 201, created
    pid = created["id"]
    d.ids["process"] = pid

    assert states(approve_all(d, "head", pid)) == ["exploratory_contact"]
    reply = {"kind": "partner_reply", "outcome": "positive", "event_date": today.isoformat()}
    assert states(record(d, pid, "external-events", reply)) == ["letter_of_intent"]
    approve_all(d, "mayor", pid)
    loi = {"kind": "partner_loi_reply", "outcome": "positive", "event_date": today.isoformat()}
    assert states(record(d, pid, "external-events", loi)) == ["drafting"]
    for who in ("head", "deputy", "c1"):
        approve_all(d, who, pid)
    assert states(approve_all(d, "c2", pid)) == ["council_agenda"]
    assert states(approve_all(d, "president", pid)) == ["council_decision"]
    vote = {
        "purpose": "approval",
        "session_date": (today - timedelta(days=20)).isoformat(),
        "posted_on": (today - timedelta(days=19)).isoformat(),
        "decision_number": "214/2026",
        "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ",
        "members": 41,
        "present": 27,
        "votes_for": 24,
        "against": 1,
        "abstain": 2,
    }
    assert states(record(d, pid, "council-decisions", vote)) == [
        "ministry_review",
        "partner_approval",
    ]
    consent = {"kind": "ministry_decision", "outcome": "consent", "event_date": today.isoformat()}
    record(d, pid, "external-events", consent)
    partner = {"kind": "partner_decision", "outcome": "approved", "event_date": today.isoformat()}
    body = record(d, pid, "external-events", partner)
    status, body = d.call(
        "PUT",
        f"/processes/{pid}/flags/final_text_agreed",
        "staff",
        {"value": True, "version": body["version"]},
    )
    assert status == 200 and states(body) == ["ready_to_sign"], body
    stale = {"value": True, "version": body["version"] - 1}
    status, refused = d.call("PUT", f"/processes/{pid}/flags/final_text_agreed", "staff", stale)
    assert status == 409 and refused["error"]["code"] == "changed_meanwhile"
    joint = {"date": today.isoformat(), "place": "home", "version": body["version"]}
    status, body = d.call("POST", f"/processes/{pid}/transitions/sign_jointly", "staff", joint)
    assert status == 200, body
    status, final = d.call("GET", f"/processes/{pid}", "c3")
    assert status == 200 and states(final) == ["active"]


def test_every_email_arrives_exactly_once(deployment: Deployment) -> None:
    d = deployment
    pid = d.ids.get("process")
    assert pid, "the twinning test must run first"
    # Let a year pass for the active twinning's open deadlines: move them back
    # and re-schedule their ladders, as the application would have on the day.
    # Every rung is then due; the scheduler must send each exactly once.
    done = subprocess.run(
        [sys.executable, "-c", YEAR_LATER, str(pid)],
        cwd=ROOT, env=d.env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    before, due_reminders = map(int, done.stdout.strip().splitlines()[-1].split())
    assert due_reminders > 0

    def settled() -> bool:
        rows = query(
            d.db_url,
            "SELECT (SELECT count(*) FROM reminder WHERE status IN ('pending', 'claimed') "
            "AND fire_dt <= now() at time zone 'utc'), "
            "(SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending') "
            "AND digest = 'immediate')",
        )
        return rows[0] == (0, 0)

    wait_until(settled, 180, "the scheduler to sweep reminders and send the outbox", every=1)
    time.sleep(3)  # a duplicate, if any, would arrive now
    sent = dict(query(d.db_url, "SELECT message_id, category FROM outbox WHERE status = 'sent'"))
    received = d.sink.message_ids()
    assert sent, "nothing was sent"
    assert [m for m, n in received.items() if n > 1] == [], "a message arrived twice"
    assert set(received) == set(sent), "sent and received Message-IDs differ"
    approvals = query(d.db_url, "SELECT count(*) FROM approval_request")[0][0]
    assert Counter(sent.values())["approval"] >= approvals
    swept = query(
        d.db_url,
        "SELECT r.status, count(*) FROM reminder r JOIN deadline d ON d.id = r.deadline_id "
        f"WHERE d.process_id = {int(pid)} AND r.fire_dt <= now() at time zone 'utc' "
        f"AND r.id > {before} GROUP BY r.status",
    )
    # Every due reminder the move made was sent, none is left pending, claimed or failed.
    # Rows from before the move are left out: one already due but not yet swept when the
    # dates moved is rightly cancelled (by the move, or by the sweep that finds its
    # deadline changed). The count may exceed the one taken after the move: if the
    # scheduler's top-up job runs in between, it adds repeat rungs already due (timing).
    assert set(dict(swept)) == {"sent"}, swept
    assert dict(swept)["sent"] >= due_reminders, swept
    reminder_mail = query(
        d.db_url,
        "SELECT count(*), count(DISTINCT message_id) FROM outbox "
        "WHERE idempotency_key LIKE 'reminder:%%' AND status = 'sent'",
    )[0]
    assert reminder_mail[0] >= due_reminders and reminder_mail[0] == reminder_mail[1]


def test_backup_restores_into_an_empty_database(deployment: Deployment) -> None:
    """deploy/backup.sh's nightly folder, brought back by `flask tracker restore`."""
    d = deployment
    backups = d.logs / "backups"
    env = {**d.env, "BACKUP_DIR": str(backups)}
    done = subprocess.run(
        [str(ROOT / "deploy/backup.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    (folder,) = backups.iterdir()
    assert (folder / "database.dump").stat().st_size > 0
    assert "database.dump" in (folder / "SHA256SUMS").read_text()
    admin_sql(
        f"DROP DATABASE IF EXISTS {RESTORE_NAME} WITH (FORCE)", f"CREATE DATABASE {RESTORE_NAME}"
    )
    restored = server_url(RESTORE_NAME)
    target = {**d.env, "DATABASE_URL": restored, "UPLOAD_DIR": str(d.logs / "restored-documents")}
    out = flask(target, "tracker", "restore", str(folder))  # checks sums, counts rows
    assert "Restored" in out
    counts = "SELECT (SELECT count(*) FROM process), (SELECT count(*) FROM audit_log), " \
        "(SELECT count(*) FROM api_token)"  # fmt: skip
    assert query(restored, counts) == query(d.db_url, counts)
    with pytest.raises(psycopg.errors.RaiseException), psycopg.connect(restored) as conn:
        conn.execute("DELETE FROM audit_log")
