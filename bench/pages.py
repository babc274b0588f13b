"""Dashboard and file page: queries at 10 and 1,000 files; dashboard throughput vs a bare page.

    .venv/bin/python -m bench.pages [--requests 30]

The files are made through the real service (``processes.create_process``) on a
fresh SQLite file. The baseline is a bare Flask app on the same database file: one
query joining each file to its partner, owner and open states, rendered as a plain
Jinja table of the same rows, with no log-in, no CSRF, no translation, no layout.
Both are driven through Flask's test client, one request at a time, in alternating
rounds (tracker, bare, bare, tracker, ...): the machine is shared, so each round's
ratio compares two runs made seconds apart, and the median round is reported.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from tracker.extensions import db
from tracker.models import Process, User

from ._setup import fresh_app
from ._util import PASSWORD, Statements, files, users

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BARE_SQL = sa.text(
    """
    SELECT p.id, p.title, p.kind, a.name_el AS partner, u.name AS owner,
           group_concat(s.state, ', ') AS states, min(d.due_dt) AS due
      FROM process p
      JOIN authority a ON a.id = p.partner_id
      LEFT JOIN user_account u ON u.id = p.owner_id
      LEFT JOIN step s ON s.process_id = p.id AND s.status = 'open'
      LEFT JOIN deadline d ON d.process_id = p.id AND d.status = 'open'
     GROUP BY p.id ORDER BY p.id
    """
)
BARE_PAGE = """<!doctype html><title>Files</title><table>
<tr><th>#</th><th>Title</th><th>Kind</th><th>Partner</th><th>Owner</th><th>States</th><th>Due</th></tr>
{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.title }}</td><td>{{ r.kind }}</td>
<td>{{ r.partner }}</td><td>{{ r.owner }}</td><td>{{ r.states }}</td><td>{{ r.due }}</td></tr>
{% endfor %}</table>"""


def bare_app(url: str) -> Flask:
    """The minimum for the same job: one query, one template, same database file."""
    app = Flask("bare")
    engine = sa.create_engine(url)

    @app.route("/")
    def table() -> str:
        with engine.connect() as conn:
            rows = conn.execute(BARE_SQL).all()
        return render_template_string(BARE_PAGE, rows=rows)

    return app


def login(client: FlaskClient, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    found = CSRF_RE.search(page)
    assert found, "no CSRF token on /login"
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": found.group(1)}
    )
    assert answer.status_code == 302, answer.status_code


def queries_for(client: FlaskClient, counter: Statements, path: str) -> int:
    client.get(path)  # warm: workflow definitions and calendars are cached per process
    with counter.counting() as sql:
        answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return len(sql)


def throughput(client: FlaskClient, path: str, requests: int) -> tuple[float, float]:
    """Pages per second of wall-clock time and of this process's CPU time."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        assert client.get(path).status_code == 200
    return (
        requests / (time.perf_counter() - started),
        requests / max(time.process_time() - cpu, 1e-9),
    )


Round = tuple[tuple[float, float], tuple[float, float]]


def rounds(ours: FlaskClient, theirs: FlaskClient, requests: int, count: int) -> list[Round]:
    """``count`` rounds of ``requests`` pages each side, the order alternating per round."""
    ours.get("/")
    theirs.get("/")
    found = []
    for i in range(count):
        if i % 2 == 0:
            a = throughput(ours, "/", requests)
            b = throughput(theirs, "/", requests)
        else:
            b = throughput(theirs, "/", requests)
            a = throughput(ours, "/", requests)
        found.append((a, b))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="pages per side, in all")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app = fresh_app(None)
    results: dict[int, dict[str, Any]] = {}
    with app.app_context():
        staff_id = users("staff", "head")["staff"].id
        url = db.engine.url.render_as_string(hide_password=False)
        counter = Statements(db.engine)
    client = app.test_client()  # requests run outside the set-up's app context, as served
    login(client, "staff@bench.invalid")
    for size in (10, 1000):
        with app.app_context():
            have = db.session.scalar(sa.select(sa.func.count()).select_from(Process)) or 0
            staff = db.session.get(User, staff_id)
            assert staff is not None
            files(size - have, staff)
            first = db.session.scalar(sa.select(sa.func.min(Process.id)))
        results[size] = {
            "dashboard": queries_for(client, counter, "/"),
            "file": queries_for(client, counter, f"/processes/{first}"),
        }
    counter.close()
    print("== SQL statements per page (goal: the same at 10 and 1,000 files)")
    print(f"{'page':<12} {'10 files':>9} {'1,000 files':>12}")
    for page in ("dashboard", "file"):
        print(f"{page:<12} {results[10][page]:>9} {results[1000][page]:>12}")

    per_round = max(1, args.requests // args.rounds)
    found = rounds(client, bare_app(url).test_client(), per_round, args.rounds)
    print("== dashboard with 1,000 files vs a bare Flask + Jinja table of the same rows")
    print(f"{args.rounds} alternating rounds of {per_round} pages a side; medians")
    print(f"{'page':<22} {'pages/s':>8} {'per CPU s':>10}")
    for name, side in (("tracker dashboard", 0), ("bare Flask table", 1)):
        wall = statistics.median(r[side][0] for r in found)
        cpu = statistics.median(r[side][1] for r in found)
        print(f"{name:<22} {wall:>8.1f} {cpu:>10.1f}")
    for what, i in (("wall clock", 0), ("CPU time", 1)):
        ratios = sorted(theirs[i] / ours[i] for ours, theirs in found)
        print(
            f"ratio bare/tracker, {what}: {statistics.median(ratios):.2f}x "
            f"(rounds {ratios[0]:.2f}x to {ratios[-1]:.2f}x; goal: within 3x)"
        )


if __name__ == "__main__":
    main()
