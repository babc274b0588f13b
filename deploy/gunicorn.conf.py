"""gunicorn settings for Twinning Tracker (``gunicorn -c deploy/gunicorn.conf.py wsgi:app``).

Every value can be overridden from the environment file, so the unit file and
this config never need editing on a server. The access log never carries a
query string, and path segments that look like secrets (reset links, calendar
feed keys) are masked: tokens must not end up in log files.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from typing import Any

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one database connection for its duration.
# 2 × cores + 1 is gunicorn's rule of thumb; PostgreSQL's max_connections must
# cover workers × hosts + the scheduler + a margin (see docs/architecture.md).
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
threads = 1
# The app is imported in each worker after the fork: no database connection or
# scheduler thread is ever shared between processes.
preload_app = False
timeout = _int("GUNICORN_TIMEOUT", 30)  # a request still running after this is killed
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5  # behind nginx on the same host
# 0 = never recycle workers; set e.g. 5000 to bound the memory of long-running workers.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# nginx on the same machine is the only proxy (the app's ProxyFix trusts PROXY_COUNT hops).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - heartbeat files
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(U)s is the path without its query string; %(L)s the request time in seconds.
access_log_format = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'
proc_name = "twinning-tracker"

_SECRET_LIKE = re.compile(r"^[A-Za-z0-9_.~=-]{20,}$")
#: Atoms a format may use; request/response headers and environ values never reach the log.
_SAFE_ATOMS = ("h", "l", "t", "s", "m", "H", "b", "B", "a", "T", "D", "M", "L", "p")


def redact_path(path: str) -> str:
    """Drop the query string; mask path segments that look like tokens or signed values."""
    path = path.split("?", 1)[0]
    return "/".join("[redacted]" if _SECRET_LIKE.match(part) else part for part in path.split("/"))


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with URLs, referers and credentials kept out of the access log."""

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO", ""))
        method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
        safe = {key: atoms[key] for key in _SAFE_ATOMS if key in atoms}
        safe.update(U=path, q="-", r=f"{method} {path} {protocol}", f="-", u="-")
        return safe


logger_class = RedactingLogger
