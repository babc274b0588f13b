"""The Greek catalogue is whole: every text the code and the templates show has its Greek.

Babel's own extractors read every Python module and template (``templates/_macros``
too, which ``pybabel extract`` skips because its name starts with "_"); each message
must be in ``messages.po``, translated in every plural form and not marked fuzzy.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tracker" / "translations" / "el" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}


def messages() -> dict[tuple[str | None, str], str]:
    """Every (context, msgid) shown to a user, with where it was first seen.

    A context (``pgettext``) keeps apart one English word with two Greek ones:
    a token is «ενεργό», an account «ενεργός».
    """
    found: dict[tuple[str | None, str], str] = {}
    sources = [("python", p) for p in sorted((ROOT / "tracker").rglob("*.py"))]
    sources += [
        ("jinja2.ext:babel_extract", p)
        for p in sorted((ROOT / "templates").rglob("*"))
        if p.suffix in (".html", ".txt")
    ]
    for method, path in sources:
        options = {"extensions": "jinja2.ext.do", "trimmed": "false"} if "jinja" in method else {}
        for line, message, _comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault((context, msgid), f"{path.relative_to(ROOT)}:{line}")
    return found


def test_every_text_has_its_greek() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    missing, untranslated = [], []
    for (context, msgid), where in sorted(messages().items(), key=lambda item: item[1]):
        entry = catalogue.get(msgid, context=context)
        if entry is None:
            missing.append(f"{where}: {msgid!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            untranslated.append(f"{where}: {msgid!r}")
    assert missing == [], "not in messages.po:\n" + "\n".join(missing)
    assert untranslated == [], "without Greek (or fuzzy):\n" + "\n".join(untranslated)


def test_the_check_reads_the_templates_and_the_macros() -> None:
    """The check can fail: it sees texts of pages, macros and forms."""
    seen = messages()
    assert any(where.startswith("templates/_macros/") for where in seen.values())
    assert any(where.startswith("tracker/forms/") for where in seen.values())
    assert len(seen) > 500


def test_no_entry_is_left_over() -> None:
    """A text the code no longer shows leaves the catalogue (obsolete ``#~`` entries may stay)."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    used = set(messages())
    left = [
        entry.id
        for entry in catalogue
        if entry.id
        and (entry.context, entry.id[0] if isinstance(entry.id, tuple) else entry.id) not in used
    ]
    assert left == [], left
