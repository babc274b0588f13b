"""The offline dependency gate: every pin at or above the first version fixing its advisories.

``pip-audit`` needs a vulnerability service, which these machines cannot reach
(it then reports every package as "could not be audited" and exits 0). So the
advisories are kept as data in ``docs/advisories.toml`` and checked here, on
every run, against the pins of ``requirements.txt`` and ``requirements-dev.txt``.
``scripts/pip_audit_gate.sh`` adds the online audit wherever a service answers.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
ADVISORIES = tomllib.loads((ROOT / "docs/advisories.toml").read_text(encoding="utf-8"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, Version]:
    """``name → version`` of every ``==`` pin in the requirements files."""
    found: dict[str, Version] = {}
    for path in sorted(ROOT.glob("requirements*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith(("#", "-r", "--")):
                continue
            match = PIN.match(line)
            assert match, f"{path.name}: not an exact pin: {line!r}"
            found[normalise(match.group(1))] = Version(match.group(2))
    return found


def advisories() -> list[dict[str, str]]:
    return list(ADVISORIES["advisory"])


def test_every_pin_is_at_or_above_the_first_fixed_version() -> None:
    pinned = pins()
    below = [
        f"{a['package']} {pinned[a['package']]} < {a['fixed']} ({a['id']})"
        for a in advisories()
        if a["package"] in pinned and pinned[a["package"]] < Version(a["fixed"])
    ]
    assert not below, "pins below a security fix:\n" + "\n".join(below)


def test_apscheduler_stays_on_3_11() -> None:
    version = pins()["apscheduler"]
    assert version.release[:2] == (3, 11) and not version.is_prerelease, version
    rule = next(a for a in advisories() if a["package"] == "apscheduler")
    assert version < Version(rule["below"])


def test_every_pinned_package_was_reviewed() -> None:
    """A new dependency needs its advisories looked up (or to be listed as having none)."""
    known = {a["package"] for a in advisories()} | set(ADVISORIES["reviewed"])
    unreviewed = sorted(set(pins()) - known)
    assert not unreviewed, f"add to docs/advisories.toml: {unreviewed}"


def test_the_table_names_the_floors_the_brief_requires() -> None:
    floors = {a["package"]: Version(a["fixed"]) for a in advisories()}
    required = {
        "flask": "3.1.3",
        "werkzeug": "3.1.6",
        "jinja2": "3.1.6",
        "gunicorn": "23.0.0",
        "aiosmtpd": "1.4.6",
        "mako": "1.2.2",
        "idna": "3.7",
    }
    for package, version in required.items():
        best = max(Version(a["fixed"]) for a in advisories() if a["package"] == package)
        assert best >= Version(version), package
    assert set(floors) <= set(pins()) | {"certifi"}


def test_the_docs_table_matches_the_data() -> None:
    """docs/security.md shows the same advisories as the data the test reads."""
    text = (ROOT / "docs/security.md").read_text(encoding="utf-8")
    for advisory in advisories():
        first_id = advisory["id"].split()[0].rstrip(",")
        assert first_id in text, f"{advisory['package']} {first_id} missing from docs/security.md"


@pytest.mark.parametrize(
    ("pinned", "floor", "fails"), [("3.1.2", "3.1.3", True), ("3.1.3", "3.1.3", False)]
)
def test_the_comparison_is_by_version_not_by_text(pinned: str, floor: str, fails: bool) -> None:
    assert (Version(pinned) < Version(floor)) is fails
    assert Version("3.10.0") > Version("3.9.9")  # text comparison would say the opposite
