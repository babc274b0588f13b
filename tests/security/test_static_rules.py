"""Rules checked on the source itself: escaping, templates, and the CI gates.

- Jinja autoescapes every page: page templates end in ``.html``; plain-text
  templates exist only for the text part of emails; no ``|safe``, no ``Markup``,
  no template built from a string (user text is never rendered as a template).
- No lazy translated string carries values: Flask-Babel's lazy strings count as
  safe markup in a template, so a value inside one would not be escaped.
- ``bandit -ll`` finds nothing (CI runs it through ``make lint``), and every
  ``# nosec`` names its test and gives its reason on the line above.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "tracker").rglob("*.py")), ROOT / "config.py", ROOT / "wsgi.py"]


def test_page_templates_are_autoescaped() -> None:
    for path in (ROOT / "templates").rglob("*"):
        if path.is_file() and path.suffix != ".html":
            assert path.suffix == ".txt" and path.parent.name == "email", path
    from tracker import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.jinja_env.autoescape("page.html") is True  # type: ignore[operator]


#: Reviewed exceptions, by file and exact line. The page's ``_`` marks the catalogue's own
#: text as markup, as Jinja's i18n extension does, so that values put into it with ``%``
#: are escaped (tests/test_templating.py); no user text reaches that line.
REVIEWED = {("tracker/templating.py", "text = Markup(text)  # noqa: S704  # nosec B704")}


def test_no_markup_bypass_and_no_templates_from_strings() -> None:
    forbidden = re.compile(
        r"\|\s*safe\b|Markup\(|render_template_string|from_string\(|autoescape\s+false"
    )
    for path in [*SOURCES, *sorted((ROOT / "templates").rglob("*.*"))]:
        name = str(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if (name, line.strip()) in REVIEWED:
                continue
            assert not forbidden.search(line), f"{name}:{number}: {line.strip()}"


def test_lazy_translations_never_carry_values() -> None:
    """``_l("… %(name)s", name=…)`` would reach a page unescaped; use ``gettext`` there."""
    lazy_with_values = re.compile(r"\b_l\([^)]*%\(\w+\)s[^)]*\w+\s*=", re.DOTALL)
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        found = lazy_with_values.search(text)
        assert found is None, f"{path.relative_to(ROOT)}: {found.group(0)[:80] if found else ''}"


def test_every_nosec_names_its_test_and_gives_a_reason() -> None:
    for path in SOURCES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if "# nosec" not in line:
                continue
            where = f"{path.relative_to(ROOT)}:{number}"
            assert re.search(r"# nosec B\d{3}(, B\d{3})*\s*$", line), f"{where}: name the test"
            above = lines[number - 2].strip() if number > 1 else ""
            assert above.startswith("#") and len(above) > 20, f"{where}: say why, on the line above"


def test_make_lint_runs_bandit_on_the_application() -> None:
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"bandit .*-ll .*-r tracker config\.py wsgi\.py", lint), lint
    assert "ruff check" in lint and "ruff format --check" in lint


def bandit() -> str:
    """The venv's bandit (requirements-dev.txt), else one on PATH."""
    local = Path(sys.executable).parent / "bandit"
    return str(local) if local.exists() else shutil.which("bandit") or "bandit"


def test_bandit_finds_nothing_of_medium_or_high_severity() -> None:
    command = [bandit(), "-q", "-ll", "-r"]
    done = subprocess.run(
        [*command, "tracker", "config.py", "wsgi.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr, done.stderr  # e.g. a malformed nosec comment


def test_every_test_named_in_the_security_doc_exists() -> None:
    """docs/security.md maps requirements to tests: each named test must be a real one."""
    text = (ROOT / "docs/security.md").read_text(encoding="utf-8")
    token = re.compile(r"((?:tests/)?[\w/]*test_\w+\.py)|::(test_\w+)")
    missing: list[str] = []
    last: Path | None = None
    for found in token.finditer(text):
        path, name = found.group(1), found.group(2)
        if path:
            candidates = [ROOT / "tests" / path.removeprefix("tests/")]
            if "/" not in path:
                candidates = sorted((ROOT / "tests").rglob(path))
            last = next((c for c in candidates if c.exists()), None)
            if last is None:
                missing.append(f"{path} (no such file)")
            continue
        if last is None:
            missing.append(f"::{name} (no file named before it)")
            continue
        source = last.read_text(encoding="utf-8")
        if name.endswith("_") and f"def {name}" in source:
            continue  # a family: test_password_change_*
        if not re.search(rf"def {name}\(", source):
            missing.append(f"{last.relative_to(ROOT)}::{name}")
    assert not missing, "named in docs/security.md but not found:\n" + "\n".join(missing)
