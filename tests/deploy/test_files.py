"""The files under deploy/ stay true to the code: variables, gunicorn settings, units."""

from __future__ import annotations

import re
import runpy
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_READ = re.compile(
    r"""(?:environ(?:\.get)?\(\s*|environ\[\s*|_bool\(\s*|_int\(\s*)["']([A-Z][A-Z0-9_]+)["']"""
)
NOT_SETTINGS = {"PATH_INFO", "REQUEST_METHOD", "SERVER_PROTOCOL"}  # WSGI keys, not variables


def variables_read() -> set[str]:
    sources = [ROOT / "config.py", DEPLOY / "gunicorn.conf.py", ROOT / "wsgi.py"]
    sources += sorted((ROOT / "tracker").rglob("*.py"))
    found = set()
    for path in sources:
        found |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    return found - NOT_SETTINGS


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def test_every_variable_the_code_reads_is_in_env_example():
    missing = variables_read() - set(env_example())
    assert not missing, f"add these to deploy/env.example (with a comment): {sorted(missing)}"


def test_env_example_holds_no_secret():
    values = env_example()
    for key in ("SECRET_KEY", "MAIL_PASSWORD"):
        assert values[key] == "", f"{key} must be left blank in the template"
    assert values["TRACKER_ENV"] == "production" and values["FLASK_DEBUG"] == "0"


def test_nginx_body_limit_matches_the_upload_limit():
    nginx = (DEPLOY / "nginx.conf.example").read_text(encoding="utf-8")
    limit = int(re.search(r"client_max_body_size (\d+)m;", nginx).group(1))
    assert limit == int(env_example()["MAX_UPLOAD_MB"]) + 1
    assert "X-Forwarded-Proto $scheme" in (DEPLOY / "nginx-proxy.conf").read_text()
    assert "Strict-Transport-Security" in nginx and "$args" not in nginx
    assert "$request " not in nginx and "$request_uri " not in nginx.split("log_format")[1][:200]


@pytest.mark.parametrize("secret_path", ["/reset/<token>", "/feeds/<token>.ics"])
def test_secret_bearing_paths_are_masked_in_both_access_logs(app, gunicorn_conf, secret_path):
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert secret_path in rules, "the route moved: update the masks in deploy/"
    nginx = (DEPLOY / "nginx.conf.example").read_text(encoding="utf-8")
    prefix = secret_path.split("<")[0]
    assert f"~^{prefix}" in nginx and "$tracker_log_uri" in nginx
    token = "Zx9_" * 8 + ".sig-nature"
    masked = gunicorn_conf().redact_path(secret_path.replace("<token>", token))
    assert token not in masked and "[redacted]" in masked


@pytest.fixture
def gunicorn_conf(monkeypatch):
    def load(**env: str) -> SimpleNamespace:
        for key in ("WEB_CONCURRENCY", "GUNICORN_BIND", "GUNICORN_TIMEOUT"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return SimpleNamespace(**runpy.run_path(str(DEPLOY / "gunicorn.conf.py")))

    return load


def test_gunicorn_workers_come_from_the_environment(gunicorn_conf):
    conf = gunicorn_conf(WEB_CONCURRENCY="4", GUNICORN_BIND="127.0.0.1:9999")
    assert conf.workers == 4 and conf.bind == "127.0.0.1:9999"
    assert conf.preload_app is False and conf.worker_class == "sync"
    assert 0 < conf.timeout <= 60 and conf.graceful_timeout > 0
    assert gunicorn_conf().workers >= 3  # 2 × cores + 1 by default


def test_access_log_never_shows_query_strings_or_secrets(gunicorn_conf):
    conf = gunicorn_conf()
    assert "%(r)s" not in conf.access_log_format and "%(q)s" not in conf.access_log_format
    reset = "/reset/" + "Ab3_" * 10
    assert conf.redact_path(reset + "?next=/x") == "/reset/[redacted]"
    assert conf.redact_path("/processes/12/history?token=tt_x") == "/processes/12/history"
    assert conf.redact_path("/api/v1/processes") == "/api/v1/processes"

    logger = conf.RedactingLogger.__new__(conf.RedactingLogger)
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer tt_secret")])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": reset + "?a=1",
        "PATH_INFO": reset,
        "QUERY_STRING": "a=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://x/?token=1",
    }
    atoms = logger.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=5))
    text = repr(atoms)
    assert "tt_secret" not in text and "Ab3_Ab3_" not in text and "a=1" not in text
    assert "token=1" not in text


@pytest.mark.parametrize(
    "unit", ["twinning-tracker-web.service", "twinning-tracker-scheduler.service"]
)
def test_units_run_as_the_service_user_with_the_environment_file(unit):
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
    assert "User=tracker" in text and "EnvironmentFile=/etc/twinning-tracker/env" in text
    assert "NoNewPrivileges=yes" in text and "ProtectSystem=strict" in text


def test_one_scheduler_and_gunicorn_with_this_config():
    web = (DEPLOY / "systemd" / "twinning-tracker-web.service").read_text()
    scheduler = (DEPLOY / "systemd" / "twinning-tracker-scheduler.service").read_text()
    assert "gunicorn -c deploy/gunicorn.conf.py wsgi:app" in web
    assert "flask tracker scheduler" in scheduler and "scheduler" not in web.split("[Service]")[1]


def test_env_example_reads_the_same_in_a_shell_as_in_systemd():
    done = subprocess.run(
        ["bash", "-c", 'set -a; . deploy/env.example; printf %s "$MAIL_DEFAULT_SENDER"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "Twinning Tracker <tracker@example.gr>"
