"""A real HTTP server on 127.0.0.1 for the application under test, and browsers for it.

The server is werkzeug's threaded WSGI server (one thread per connection), the
clients are ``requests`` sessions with their own cookies, so every request goes
through sockets, HTTP parsing, the WSGI stack, the session cookie and CSRF
exactly as a browser's would.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import make_server

from config import TestingConfig
from tests.conftest import PASSWORD
from tracker import create_app
from tracker.extensions import db

#: The harness serves ~100 simultaneous connections from one process, so its pool
#: waits longer than a gunicorn sync worker (one connection, one request) ever does.
HARNESS_POOL = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10, "pool_timeout": 180}

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def server_app(app: Flask, tmp: Path, **overrides: Any) -> Flask:
    """A second application instance on the test's database, as a server process would have."""
    return create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SQLALCHEMY_ENGINE_OPTIONS=HARNESS_POOL,
        UPLOAD_DIR=tmp / "documents",
        MAIL_OUTBOX_DIR=tmp / "outbox",
        **overrides,
    )


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port for the duration of the block; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class Browser:
    """One person's browser: a cookie jar, the session's CSRF token, timed requests."""

    base: str
    email: str
    http: requests.Session = field(default_factory=requests.Session)
    csrf: str = ""

    def login(self) -> None:
        page = self.http.get(self.base + "/login", timeout=60)
        self.csrf = token_in(page.text)
        done = self.http.post(
            self.base + "/login",
            data={"email": self.email, "password": PASSWORD, "csrf_token": self.csrf},
            allow_redirects=False,
            timeout=60,
        )
        assert done.status_code == 302, (self.email, done.status_code)
        # The session was renewed at log-in: take the token of the new session.
        self.csrf = token_in(self.http.get(self.base + "/", timeout=60).text)

    def post(self, path: str, data: dict[str, Any]) -> tuple[int, float]:
        """POST a form (with this session's CSRF token); returns (status, seconds)."""
        start = time.perf_counter()
        response = self.http.post(
            self.base + path,
            data={**data, "csrf_token": self.csrf},
            allow_redirects=False,
            timeout=300,
        )
        response.close()
        return response.status_code, time.perf_counter() - start

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=300)

    def close(self) -> None:
        self.http.close()


def token_in(page: str) -> str:
    found = CSRF_RE.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
