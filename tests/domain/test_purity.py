"""``tracker.domain`` is pure Python: no web framework, ORM or form library behind it."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import tracker.domain

FORBIDDEN = ("flask", "sqlalchemy", "wtforms", "flask_login", "flask_wtf", "flask_babel", "jinja2")
ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, pkgutil, sys
import tracker.domain as domain
names = sorted(m.name for m in pkgutil.iter_modules(domain.__path__, "tracker.domain."))
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_domain_imports_nothing_from_the_web_or_the_database() -> None:
    """In a fresh interpreter, importing every domain module loads none of them."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout)
    expected = {m.name for m in pkgutil.iter_modules(tracker.domain.__path__, "tracker.domain.")}
    assert set(report["modules"]) == expected
    assert {"tracker.domain.engine", "tracker.domain.definitions"} <= expected
    loaded = {name.split(".")[0] for name in report["loaded"]}
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))
    assert not [m for m in report["loaded"] if m.startswith("tracker.") and ".domain" not in m]


def test_the_probe_would_notice_a_forbidden_import() -> None:
    """The check above can fail: importing Flask the same way shows up in sys.modules."""
    probe = "import json, sys, flask; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "flask" in json.loads(done.stdout)
