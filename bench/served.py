"""gunicorn on loopback: worker memory over 10,000 requests, and 50 concurrent users.

    .venv/bin/python -m bench.served memory [--requests 10000]
    .venv/bin/python -m bench.served load --database-url postgresql://…/bench_db [--requests 5000]

Both serve the demo data (``flask tracker seed --demo``: real services, moved
clock) to logged-in users, each ``requests.Session`` with its own session cookie
(the demo accounts, round robin), asking for the dashboard and the file pages in
turn. ``memory``: one sync worker on an SQLite file, its VmRSS read from
``/proc/<pid>/status`` after 1,000 warm-up requests and then every 1,000.
``load``: four workers on the given PostgreSQL database (wiped, migrated,
seeded), 50 users at once, page times p50/p95/p99 and errors.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests
import sqlalchemy as sa

from tracker.seed import DEMO_PASSWORD, DEMO_USERS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FILE_RE = re.compile(r'href="(/processes/\d+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TRACKER_ENV": "development",  # production cookies are Secure-only: no TLS on loopback
        "SECRET_KEY": "bench-" + "x" * 40,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(workdir),
        "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
        "FLASK_APP": "tracker:create_app",
    }


def prepare(database_url: str, workdir: Path) -> dict[str, str]:
    """Wipe (PostgreSQL), migrate and seed the demo data through the command line."""
    env = _env(database_url, workdir)
    if database_url.startswith("postgresql"):
        url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    for args in (["db", "upgrade"], ["tracker", "seed", "--demo"]):
        subprocess.run([str(BIN / "flask"), *args], env=env, cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
    return env


@contextmanager
def gunicorn(env: dict[str, str], workers: int) -> Iterator[tuple[str, int]]:
    """A gunicorn master on a free loopback port; yields (base URL, master pid)."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"],
        env=env, cwd=ROOT, stderr=subprocess.DEVNULL,  # the audit log of each log-in
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/login", timeout=60)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def logged_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login", timeout=60).text
    token = CSRF_RE.search(page)
    assert token, "no CSRF token on /login"
    answer = session.post(
        base + "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 302, (email, answer.status_code)
    return session


def _paths(session: requests.Session, base: str) -> list[str]:
    files = sorted(set(FILE_RE.findall(session.get(base + "/", timeout=60).text)))
    assert files, "no files on the dashboard"
    return ["/", *files]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(c) for c in children]


def memory(requests_total: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tracker-bench-rss-"))
    env = prepare(f"sqlite:///{workdir / 'bench.db'}", workdir)
    emails = [u.email for u in DEMO_USERS if u.key != "admin"]
    with gunicorn(env, 1) as (base, master):
        [worker] = _workers(master)
        sessions = [logged_in(base, e) for e in emails]
        paths = _paths(sessions[0], base)
        turns = itertools.cycle(itertools.product(sessions, paths))
        print("== RSS of one gunicorn worker (sync, SQLite demo data) over requests")
        print(f"{'requests':>9} {'VmRSS MiB':>10}")
        print(f"{0:>9} {_rss_kb(worker) / 1024:>10.1f}  (after log-ins)")
        samples = {}
        errors = 0
        for i in range(1, requests_total + 1):
            session, path = next(turns)
            errors += session.get(base + path, timeout=60).status_code != 200
            if i % 1000 == 0:
                samples[i] = _rss_kb(worker)
                note = "  (after warm-up)" if i == 1000 else ""
                print(f"{i:>9,} {samples[i] / 1024:>10.1f}{note}")
        growth = (samples[requests_total] - samples[1000]) / 1024
        print(f"growth after warm-up: {growth:+.1f} MiB over {requests_total - 1000:,} requests "
              f"(goal: none); errors: {errors}")  # fmt: skip


def load(database_url: str, requests_total: int, users: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tracker-bench-load-"))
    env = prepare(database_url, workdir)
    emails = [u.email for u in DEMO_USERS if u.key != "admin"]
    with gunicorn(env, 4) as (base, _master):
        with ThreadPoolExecutor(users) as pool:
            sessions = list(pool.map(lambda i: logged_in(base, emails[i % len(emails)]),
                                     range(users)))  # fmt: skip
        paths = _paths(sessions[0], base)
        lock = threading.Lock()
        issued = itertools.count()
        times: list[float] = []
        errors: list[str] = []

        def user(index: int) -> None:
            session = sessions[index]
            for step in itertools.count(index):
                with lock:
                    if next(issued) >= requests_total:
                        return
                path = paths[step % len(paths)]
                started = time.perf_counter()
                try:
                    status = session.get(base + path, timeout=120).status_code
                except requests.RequestException as exc:
                    status = type(exc).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    times.append(elapsed)
                    if status != 200:
                        errors.append(f"{path}: {status}")

        started = time.perf_counter()
        with ThreadPoolExecutor(users) as pool:
            list(pool.map(user, range(users)))
        wall = time.perf_counter() - started
    cuts = statistics.quantiles(times, n=100)
    print(f"== {users} users, {len(times):,} requests, gunicorn 4 workers + PostgreSQL, loopback")
    print(
        f"pages: dashboard + {len(paths) - 1} file pages in turn; {len(times) / wall:.1f} pages/s"
    )
    print(f"p50 {cuts[49]:.0f} ms   p95 {cuts[94]:.0f} ms   p99 {cuts[98]:.0f} ms   "
          f"max {max(times):.0f} ms   errors {len(errors)}")  # fmt: skip
    for line in sorted(set(errors))[:10]:
        print("  error:", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figure", choices=("memory", "load"))
    parser.add_argument("--database-url", help="load: a PostgreSQL database to wipe and use")
    parser.add_argument("--requests", type=int)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    if args.figure == "memory":
        memory(args.requests or 10_000)
    else:
        if not args.database_url:
            sys.exit("load needs --database-url (a PostgreSQL database it may wipe)")
        load(args.database_url, args.requests or 5_000, args.users)


if __name__ == "__main__":
    main()
