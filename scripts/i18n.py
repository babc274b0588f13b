"""Keep the Greek catalogue complete: ``python scripts/i18n.py update|check``.

``update`` extracts every translatable string from the code and templates and
merges new ones into ``tracker/translations/el/LC_MESSAGES/messages.po``;
``check`` exits non-zero listing strings that have no Greek translation yet.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "tracker/translations/el/LC_MESSAGES/messages.po"


def extract() -> Path:
    out = Path(tempfile.mkdtemp()) / "messages.pot"
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--omit-header",
            # Scan templates/_macros too (Babel skips "_" folders unless told otherwise).
            "--ignore-dirs",
            ".*",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return out


def missing() -> list[str]:
    with extract().open("rb") as f:
        template = read_po(f)
    with PO.open("rb") as f:
        catalog = read_po(f, locale="el")
    return [
        str(m.id) for m in template if m.id and (m.id not in catalog or not catalog[m.id].string)
    ]


def update() -> None:
    with extract().open("rb") as f:
        template = read_po(f)
    if PO.exists():
        with PO.open("rb") as f:
            catalog = read_po(f, locale="el")
        catalog.update(template, no_fuzzy_matching=True)
    else:
        catalog = template
        catalog.locale = "el"  # type: ignore[assignment]
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, catalog, omit_header=False, sort_output=True, include_previous=False)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    gaps = missing()
    for msgid in gaps:
        print(f"untranslated: {msgid!r}")
    sys.exit(1 if gaps and command == "check" else 0)
