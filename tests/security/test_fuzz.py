"""A fuzz pass over every form and every query parameter, as every role.

The forms are not listed by hand: each role's browser crawls the site from a
list of start pages (same-site links only) and collects every ``<form>`` it is
shown, with its fields, their types and the values the page put in them. A
test checks that every state-changing web route was reached this way (or is in
the short, reasoned exclusion list).

Hypothesis then posts generated values to each form — text with control
characters, Greek and mixed scripts, very long strings, marked HTML and
template payloads, huge and malformed numbers, wrong types (a file where text
goes, a list, JSON…), or what a browser would send — with fields missing,
repeated or extra, and sends generated query strings to the pages that read
them and to the API's list endpoints. For every case:

- never a 5xx;
- never a payload rendered as markup: no fixed payload verbatim, no generated
  marker in raw markup, no evaluated template expression, no ``javascript:``
  link — in the answer, the page a success leads to, and (at the end) every
  page crawled again;
- a refusal (a 4xx, or the form shown again with its errors) leaves the
  database exactly as it was: every row of every table, except the two tables
  that record refusals by design (``audit_log``, ``login_attempt``); a GET
  never changes it at all.

Bounded (``EXAMPLES`` per form) and deterministic (a fixed ``@seed`` per form
and role, generate phase only, no example database) so a run takes about a
minute per database and both databases run the same cases; the figures
(cases, answers, values by kind) are reported.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import pkgutil
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.conftest import PASSWORD, authority
from tests.figures import record
from tests.services.support import vote
from tests.views.screens import Browser, drive, today, token_in
from tracker.extensions import db
from tracker.models import Process, User
from tracker.security import FILE_FIELDS
from tracker.services import accounts, delegations, feeds, outbox, records, tokens, twofactor

EXAMPLES = 6  # per form, by the first role shown it
QUERY_EXAMPLES = 12  # per page that reads query parameters
OTHER_ROLE_EXAMPLES = 2  # per form, by each other role shown it, and by a refused viewer
#: Tables that record refusals by design (a failed log-in, a denied request).
REFUSAL_RECORDS = {"audit_log", "login_attempt"}
#: Columns that change on any authenticated use (last seen), not by what is posted.
VOLATILE = {("user_account", "last_login_dt"), ("api_token", "last_used_dt")}
#: POST routes not fuzzed, and why (each is covered by its own tests).
NOT_FUZZED = {
    "auth.logout": "ends the fuzzing browser's session; CSRF-only button (test_route_matrix)",
    "admin.user_deactivate": "would end the other browsers' sessions; CSRF-only button",
    "account.totp_disable": "shown only with a second factor on; needs the password "
    "(tests/views/test_account.py)",
}
SKIP_LINKS = re.compile(r"^/(static/|logout|documents/|feeds/.+\.ics)|\.csv$|/reset/(?!password$)")

PAYLOADS = [
    "<script>alert('fz')</script>",
    '"><img src=x onerror=alert("fz")>',
    "<svg/onload=alert(1)>",
    "</textarea><b>fz</b>",
    "{{7*191}}",
    "{{ config.SECRET_KEY }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "${7*191}",
    "javascript:alert(1)",
    "'; DROP TABLE process; --",
    "1' OR '1'='1",
    "Αδελφοποίηση Αμαρουσίου — Ουμεό ✓",
    "Μαρούσι 東京 مرحبا שלום Привет 🇬🇷",
    "\u202eexe.fdp",
    "a\r\nBcc: everyone@example.org",
    "line\nbreak\r\nand\rcarriage",
    "\x00nul",
    "\x1b[31mred\x1b[0m",
    "%0d%0aSet-Cookie:%20x=1",
    "../../../../etc/passwd",
    "\ufeff\u200b\u00a0",
    "",
    " ",
]
#: Every field of a form at once, for each form: the values most likely to break a layer.
FILLS = ("nul\x00byte", "9" * 40, "Ω" * 5000, "<script>alert('fz')</script>")
#: Markup from the payloads above: seeing one of these verbatim in a page means it was rendered.
RAW_MARKUP = [p for p in PAYLOADS if "<" in p]
NUMBERS = [
    "0",
    "-1",
    "1",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "1" * 40,
    "1e309",
    "NaN",
    "inf",
    "-0",
    "0x1F",
    "1_000",
    "١٢٣",
    " 7 ",
    "3.5",
]
DATES = [
    "2026-02-30",
    "2026-13-01",
    "0001-01-01",
    "9999-12-31",
    "1900-01-01",
    "2026-1-1",
    "31/12/2026",
    "yesterday",
    "2026-11-25T10:00",
]
FILES = [
    (b"%PDF-1.4\n%fz\n", "plan.pdf"),
    (b"MZ\x90\x00 not a pdf", "plan.pdf"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "../../etc/passwd.png"),
    (b"<script>alert(1)</script>", "x.html"),
    (b"", "empty.pdf"),
    (b"%PDF-1.4", "a\r\nb.pdf"),
]


# --- discovering the forms -------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: (
        str  # text, textarea, number, date, email, password, hidden, checkbox, radio, select, file
    )
    options: list[str] = field(default_factory=list)
    rendered: str | None = None  # the value the page put in it (hidden keys, versions…)


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, Field] = field(default_factory=dict)


class FormParser(HTMLParser):
    """Every form of a page with its fields; and every same-site link."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"].split("#")[0])
        elif tag == "form":
            self._form = Form(a.get("method", "get").lower(), a.get("action", ""))
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            known = self._form.fields.setdefault(a["name"], Field(a["name"], kind))
            if kind not in ("radio", "checkbox", "file", "password") and known.rendered is None:
                known.rendered = a.get("value", "")
            if kind in ("radio", "checkbox"):
                known.options.append(a.get("value", "on"))
        elif tag == "textarea":
            self._form.fields[a["name"]] = Field(a["name"], "textarea")
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._form.fields[a["name"]] = self._select
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def crawl(
    browser: Browser,
    start: list[str],
    limit: int = 120,
    on_page: Callable[[str, str], None] | None = None,
) -> tuple[list[Form], set[str]]:
    """Same-site pages reachable from ``start``: their forms, and every page seen
    (each HTML page is also handed to ``on_page``)."""
    seen: set[str] = set()
    per_shape: dict[str, int] = {}
    queue = list(start)
    forms: list[Form] = []
    while queue and len(seen) < limit:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "N", urlsplit(path).path)
        if path in seen or SKIP_LINKS.search(path):
            continue
        if per_shape.get(shape, 0) >= 2 and path not in start:  # start pages are all visited
            continue
        seen.add(path)
        per_shape[shape] = per_shape.get(shape, 0) + 1
        response = browser.get(path)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        page = response.get_data(as_text=True)
        if on_page is not None:
            on_page(path, page)
        parsed = FormParser(page)
        for form in parsed.forms:
            form.action = form.action or urlsplit(path).path
            if form.method == "get" and not form.action.startswith("/"):
                continue
            forms.append(form)
        queue.extend(link for link in parsed.links if link not in seen)
    return forms, seen


# --- generated values ------------------------------------------------------------------------
#
# Every generated value carries the kind of hostility it stands for, so a run reports how many
# of each it posted. Markup and template payloads carry a random marker: if a page ever shows
# the marker in raw markup (``<img data-fz123``, ``" fzq123``) or the evaluated product of a
# template expression, the payload was rendered, not escaped.

#: Control characters: C0 and C1, DEL, bidi overrides, zero-width and line/paragraph separators.
CONTROLS = [chr(c) for c in (*range(1, 32), 127, *range(0x80, 0xA0))] + list(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202d\u202e\u2066\u2069\u2028\u2029\ufeff\ufffe"
)
GREEK = st.one_of(
    st.characters(min_codepoint=0x0386, max_codepoint=0x03CE),  # letters, with tonos
    st.characters(min_codepoint=0x1F00, max_codepoint=0x1FFC),  # polytonic
    st.sampled_from(list(" ;·΄΅ʹ͵")),  # Greek question mark, ano teleia, numeral signs
)
SCRIPTS = st.one_of(
    GREEK,
    st.characters(min_codepoint=0x41, max_codepoint=0x7A),  # Latin
    st.characters(min_codepoint=0x0400, max_codepoint=0x04FF),  # Cyrillic (Α/А look alike)
    st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA),  # Hebrew (right to left)
    st.characters(min_codepoint=0x0621, max_codepoint=0x064A),  # Arabic (right to left)
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),  # CJK
    st.characters(min_codepoint=0x0300, max_codepoint=0x036F),  # combining marks
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1F64F),  # emoji (outside the BMP)
    st.sampled_from(["🇬🇷", "👍🏽", "ﬁ", "Ⅻ", "①", "\u00a0"]),
)
TAGS = ["script", "img", "svg", "iframe", "a", "b", "textarea", "style", "input", "details"]
HANDLERS = ["onerror=alert(1)", "onload=alert(1)", "onfocus=alert(1) autofocus", "src=x"]
NEEDLE = re.compile(
    r"<(\w+) data-fz(\d+)|([\"']) fzq(\d+)|\{\{ ?(\d+) ?\* ?(\d+) ?\}\}|\$\{(\d+)\*(\d+)\}"
)


def scripts(min_size: int = 0, max_size: int = 60) -> st.SearchStrategy[str]:
    """Text mixing scripts (some "characters" are several code points: flags, skin tones)."""
    return st.lists(SCRIPTS, min_size=min_size, max_size=max_size).map("".join)


@dataclass(frozen=True)
class Hostile:
    """A generated value and the kind of hostility it stands for (counted in the figures)."""

    kind: str
    value: Any


def control_text() -> st.SearchStrategy[str]:
    """Text with control characters among letters (NUL rarely: it is refused app-wide)."""
    return st.lists(
        st.one_of(st.sampled_from(CONTROLS), SCRIPTS, st.just("\x00")), min_size=1, max_size=40
    ).map("".join)


def greek_text() -> st.SearchStrategy[str]:
    """Greek, sometimes decomposed (NFD) or upper-cased, as people paste it."""
    text = st.text(GREEK, min_size=1, max_size=80)
    form = st.sampled_from(["NFC", "NFD", "NFKC", "upper"])
    return st.builds(
        lambda t, f: t.upper() if f == "upper" else unicodedata.normalize(f, t), text, form
    )


def mixed_text() -> st.SearchStrategy[str]:
    return scripts(min_size=1, max_size=60)


def long_text() -> st.SearchStrategy[str]:
    """Far beyond any column: a generated piece repeated up to 20,000 characters."""
    return st.builds(
        lambda piece, n: (piece * (n // len(piece) + 1))[:n],
        scripts(min_size=1, max_size=8),
        st.integers(256, 20_000),
    )


@st.composite
def markup(draw: st.DrawFn) -> str:
    """HTML that would run or show if rendered, marked so a page that renders it is caught."""
    n = draw(st.integers(100_000, 999_999))
    tag = draw(st.sampled_from(TAGS))
    handler = draw(st.sampled_from(HANDLERS))
    inner = draw(scripts(max_size=10))
    shape = draw(st.integers(0, 4))
    if shape == 0:
        return f"<{tag} data-fz{n} {handler}>{inner}</{tag}>"
    if shape == 1:
        return f'"><{tag} data-fz{n} {handler}>'  # out of an attribute, then a tag
    if shape == 2:
        return f'{inner}" fzq{n}="1'  # a new attribute, double quotes
    if shape == 3:
        return f"{inner}' fzq{n}='1"  # single quotes
    return f"</textarea></title><{tag} data-fz{n} {handler}>{inner}"


@st.composite
def template(draw: st.DrawFn) -> str:
    """Jinja (and other engines') expressions whose product shows if evaluated."""
    a, b = draw(st.integers(10_007, 99_991)), draw(st.integers(10_007, 99_991))
    return draw(
        st.sampled_from(
            [
                f"{{{{ {a}*{b} }}}}",
                f"{{{{{a}*{b}}}}}",
                f"${{{a}*{b}}}",
                f"{{% for c in [].__class__.__base__.__subclasses__() %}}{{{{ {a}*{b} }}}}"
                "{% endfor %}",
                f"{{{{ config.SECRET_KEY }}}}{{{{ {a}*{b} }}}}",
            ]
        )
    )


def huge_number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(2**31, 10**40).map(str),
        st.integers(-(10**40), -(2**31)).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.builds(lambda d, e: f"{d}e{e}", st.integers(1, 9), st.integers(300, 99_999)),
        st.integers(0, 10**6).map(lambda n: f"+{n:012d}"),
        st.sampled_from(NUMBERS),
    )


def wrong_type() -> st.SearchStrategy[Any]:
    """What the field does not take: JSON, booleans, lists, dates for numbers, a file."""
    return st.one_of(
        st.sampled_from(['{"a": 1}', "[1, 2]", "true", "null", "None", "undefined", "[]"]),
        st.sampled_from(DATES),
        st.booleans().map(str),
        st.lists(st.integers(-5, 5).map(str), min_size=2, max_size=4),  # the field repeated
        st.sampled_from(FILES).map(lambda f: (io.BytesIO(f[0]), f[1])),  # a file, not text
    )


def wrong_text() -> st.SearchStrategy[str]:
    """Text a field does not take: JSON, booleans, null-likes, dates where numbers go."""
    return st.one_of(
        st.sampled_from(['{"a": 1}', "[1, 2]", "true", "null", "None", "undefined", "[]"]),
        st.sampled_from(DATES),
        st.booleans().map(str),
    )


#: Every kind of hostile value, and how to make one.
KINDS: dict[str, st.SearchStrategy[Any]] = {
    "control": control_text(),
    "greek": greek_text(),
    "mixed-script": mixed_text(),
    "long": long_text(),
    "html": markup(),
    "template": template(),
    "huge-number": huge_number(),
    "wrong-type": wrong_type(),
    "classic": st.sampled_from(PAYLOADS),
}
#: In an address bar a value is text: no file, no list.
QUERY_KINDS = {**KINDS, "wrong-type": wrong_text()}


def kind_at(start: int, turn: int) -> str:
    """The kind of hostile value for this turn: every kind in turn from ``start``.

    (Hypothesis' own choice among strategies is deliberately uneven: in a few
    examples per form some kinds would hardly ever be drawn.) ``start`` is fixed
    per form (from its seed) and each case draws a shift, so over a run the kinds
    get even shares; the values themselves are generated.
    """
    names = list(KINDS)
    return names[(start + turn) % len(names)]


def hostile(
    kind: str, kinds: dict[str, st.SearchStrategy[Any]] = KINDS
) -> st.SearchStrategy[Hostile]:
    return kinds[kind].map(lambda v: Hostile(kind, v))


def offered(spec: Field) -> list[st.SearchStrategy[Hostile]]:
    """What a browser itself could send for this field (a valid choice, the page's value…)."""
    typed: list[st.SearchStrategy[Hostile]] = []
    if spec.kind == "file":
        typed.append(
            st.sampled_from(FILES).map(lambda f: Hostile("file", (io.BytesIO(f[0]), f[1])))
        )
    if spec.kind == "date" or spec.name.endswith(("date", "_on", "due")):
        typed.append(
            st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(DATES)).map(
                lambda v: Hostile("date", v)
            )
        )
    if spec.options:
        typed.append(st.sampled_from(spec.options).map(lambda v: Hostile("as-offered", v)))
    if spec.rendered:
        # The page's own value (the form's key, the file's version): gets the case past the
        # first check, so the hostile values in the other fields reach the services.
        typed.append(st.just(Hostile("as-offered", spec.rendered)))
    if spec.kind == "email":
        emails = ["staff@example.org", "a@b", "@", "x@example.org\r\nBcc: y", "Ω@παράδειγμα.gr"]
        typed.append(st.sampled_from(emails).map(lambda v: Hostile("email", v)))
    return typed


@dataclass
class Case:
    data: dict[str, Any]
    kinds: list[str]
    how: list[str]  # missing, twice, extra, empty


@st.composite
def form_case(draw: st.DrawFn, form: Form, start: int) -> Case:
    """Every field hostile (one kind in turn), as offered, missing or repeated; sometimes an
    extra field; sometimes nothing at all."""
    case = Case({}, [], [])
    if draw(st.integers(0, 19)) == 19:
        case.how.append("empty")
        return case
    turn = iter(range(draw(st.integers(0, len(KINDS) - 1)), 10_000))

    def value(spec: Field) -> Hostile:
        browser_values = offered(spec)
        if browser_values and draw(st.integers(0, 3)) == 3:
            return draw(st.one_of(*browser_values))
        return draw(hostile(kind_at(start, next(turn))))

    for spec in form.fields.values():
        if spec.name == "csrf_token":
            continue
        how = draw(st.sampled_from(["value", "value", "value", "missing", "twice"]))
        if how == "missing":
            case.how.append("missing")
            continue
        first = value(spec)
        case.kinds.append(first.kind)
        case.data[spec.name] = first.value
        if how == "twice" and not isinstance(first.value, (tuple, list)):
            second = value(spec)
            if not isinstance(second.value, (tuple, list)):
                case.how.append("twice")
                case.data[spec.name] = [first.value, second.value]
    if draw(st.booleans()):
        name = draw(st.sampled_from(["owner_id", "is_closed", "roles", "id", "x" * 300]))
        extra = draw(hostile(kind_at(start, next(turn))))
        case.kinds.append(extra.kind)
        case.how.append("extra")
        case.data[name] = extra.value
    return case


@st.composite
def query_case(draw: st.DrawFn, names: list[str], start: int) -> Case:
    """A query string: known and unknown names, hostile text values (one kind in turn)."""
    case = Case({}, [], [])
    shift = draw(st.integers(0, len(KINDS) - 1))
    chosen = draw(st.lists(st.sampled_from([*names, "x", "next"]), max_size=len(names) + 2))
    for n, name in enumerate(chosen):
        value = draw(hostile(kind_at(start, shift + n), QUERY_KINDS))
        case.data[name] = value.value
        case.kinds.append(value.kind)
    return case


def id_free(path: str) -> str:
    """The path without its ids: they differ between databases and runs, the seed must not."""
    return re.sub(r"\d+", "N", path)


def stable_seed(*parts: str) -> int:
    """A seed per form and role, the same in every run (``hash()`` of a str is not)."""
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def needles(value: Any) -> list[str]:
    """What a page would contain if this value had been rendered as markup or evaluated."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in needles(v)]
    if isinstance(value, list):
        return [n for v in value for n in needles(v)]
    if not isinstance(value, str):
        return []
    found = []
    for m in NEEDLE.finditer(value):
        if m.group(1):
            found.append(f"<{m.group(1)} data-fz{m.group(2)}")
        elif m.group(3):
            found.append(f"{m.group(3)} fzq{m.group(4)}")
        else:
            a, b = (int(g) for g in m.groups()[4:] if g)
            found.append(str(a * b))
    return found


# --- the database, before and after ------------------------------------------------------------


def snapshot() -> str:
    """A digest of every row of every table (refusal records and last-seen times aside)."""
    db.session.rollback()
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        if table.name in REFUSAL_RECORDS:
            continue
        columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
        rows = db.session.execute(sa.select(*columns).order_by(*table.primary_key.columns))
        digest.update(table.name.encode())
        for row in rows:
            digest.update(repr(tuple(row)).encode())
    db.session.rollback()
    return digest.hexdigest()


# --- the world the forms act on ------------------------------------------------------------------


@dataclass
class World:
    processes: list[Process]
    request_id: int
    deadline_id: int
    users: list[int]  # accounts whose admin page shows "activate" and "second factor off"


def build_world(team: dict[str, User], make_process: Callable[..., Process]) -> World:
    idea = make_process("umea")
    council = drive(make_process("vilnius"), team, until="council")
    contact = drive(make_process("limassol"), team, until="contact")
    memorandum = make_process("chaoyang", "memorandum")
    # A vote recorded before Diavgeia posted it: "add the ΑΔΑ / posting date" appears.
    voted = drive(make_process("strovolos"), team, until="council")
    records.record_council_decision(
        voted.id,
        vote(decision_number="215/2026", ada="", posted_on=None),
        team["staff"],
    )
    # A vote with its ΑΔΑ, not yet posted: "correct the ΑΔΑ" appears as well.
    with_ada = drive(make_process("lakatamia"), team, until="council")
    records.record_council_decision(
        with_ada.id, vote(decision_number="216/2026", posted_on=None), team["staff"]
    )
    delegations.create(
        team["head"], team["deputy"], today(), today() + timedelta(days=4), team["head"]
    )
    tokens.create(team["staff"], "fuzzing token")
    # A message that failed for good: the administrator's "send again" buttons appear.
    failed = outbox.enqueue(team["c1"], "fuzz:failed", "Failed", "Body\n", urgent=True)
    assert failed is not None
    failed.status, failed.last_error = "failed", "550 5.1.1 No such mailbox"
    for role in ROLES[:-1]:
        feeds.create(team[role])  # "revoke my calendar link" appears (the viewer may create one)
    team["c3"].is_active = False  # "activate again" appears on the admin's pages
    team["c2"].totp_secret = twofactor.new_secret()  # and "turn off the second factor"
    db.session.commit()
    request_id = db.session.scalar(
        sa.text(
            "SELECT id FROM approval_request WHERE process_id = :p AND approver_id = :u "
            "AND status = 'pending'"
        ),
        {"p": idea.id, "u": team["head"].id},
    )
    deadline_id = db.session.scalar(
        sa.text("SELECT id FROM deadline WHERE process_id = :p AND status = 'open'"),
        {"p": contact.id},
    )
    db.session.commit()
    return World(
        [idea, council, contact, memorandum, voted, with_ada],
        int(request_id),
        int(deadline_id),
        [team["c2"].id, team["c3"].id],
    )


def start_pages(world: World) -> list[str]:
    pages = ["/", "/processes/new", "/account/", "/account/tokens/", "/account/totp"]
    for p in world.processes:
        pages += [f"/processes/{p.id}", f"/processes/{p.id}/council"]
        pages += [f"/processes/{p.id}/record/{k}" for k in ("partner_reply", "appeal")]
    pages += [f"/approvals/{world.request_id}", f"/deadlines/{world.deadline_id}/extend"]
    pages += ["/partners/", f"/partners/{authority('umea').id}/edit", "/admin/", "/feeds/"]
    pages += ["/admin/users/new", "/admin/delegations", "/admin/workflows/twinning/steps/idea"]
    pages += ["/admin/users", *[f"/admin/users/{n}" for n in world.users]]
    return pages


# --- the checks of one case ----------------------------------------------------------------------


@dataclass
class Tally:
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)  # hostile values posted, by kind
    shapes: dict[str, int] = field(default_factory=dict)  # missing, twice, extra, empty fields
    errors: int = 0  # answers that refused the case (4xx, or a form shown again with errors)
    routes: set[str] = field(default_factory=set)
    needles: set[str] = field(default_factory=set)  # every marker sent, for the final sweep
    last: str | None = None  # the database as the previous case left it

    def add(self, status: int, case: Case | None) -> None:
        self.cases += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        for kind in case.kinds if case else ():
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
        for how in case.how if case else ():
            self.shapes[how] = self.shapes.get(how, 0) + 1

    def figures(self) -> str:
        return (
            f"statuses {dict(sorted(self.statuses.items()))}; refused {self.errors} "
            f"(database unchanged each time); values by kind {dict(sorted(self.kinds.items()))}; "
            f"fields {dict(sorted(self.shapes.items()))}; markers sent {len(self.needles)}"
        )


#: A link or source that would run script: never in a page, whatever was typed.
SCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
#: A page that shows the form again with its errors (a refusal answered 200).
FORM_ERRORS = re.compile(r'class="errors"|flash-error|aria-invalid="true"')


def shown(needle: str, page: str) -> bool:
    """Whether ``needle`` is in ``page``; an evaluated product only as a number of its own.

    Inside a longer number it is chance, not evaluation: a history timestamp's
    microseconds (``04:19:48.133793``) once held 1337.
    """
    if needle.isdigit():
        return re.search(rf"(?<![\d.]){needle}(?!\d)", page) is not None
    return needle in page


def check_page(page: str, sent: list[str] | set[str], what: str) -> None:
    """No payload shown as markup: fixed payloads verbatim, generated markers, script URLs."""
    for markup_ in RAW_MARKUP:
        assert markup_ not in page, (what, markup_)
    for needle in sent:
        assert not shown(needle, page), (what, needle)
    assert not SCRIPT_URL.search(page), (what, SCRIPT_URL.search(page))


def check_response(response: Any, what: str, sent: list[str] | set[str] = ()) -> bool:
    """Never a 5xx, never markup; returns whether the answer is a refusal."""
    assert response.status_code < 500, (what, response.status_code)
    if "html" not in (response.content_type or ""):
        return response.status_code >= 400
    page = response.get_data(as_text=True)
    check_page(page, sent, what)
    return response.status_code >= 400 or bool(FORM_ERRORS.search(page))


def one_case(
    browser: Browser, method: str, path: str, data: Any, tally: Tally, case: Case | None = None
) -> None:
    before = tally.last or snapshot()
    sent = needles(data)
    tally.needles.update(sent)
    if method == "post":
        response = browser.client.post(path, data={**data, "csrf_token": browser.csrf})
    else:
        response = browser.client.get(path)
    what = f"{method.upper()} {path} {str(data)[:300]!r}"
    refused = check_response(response, what, sent)
    tally.add(response.status_code, case)
    if response.status_code in (301, 302, 303) and response.location.startswith("/"):
        check_response(browser.client.get(response.location), f"after {what}", sent)
    response.close()
    tally.last = snapshot()
    tally.errors += refused
    if refused:
        changed = tally.last != before
        assert not changed, f"the database changed, the answer was {response.status_code}: {what}"
    if method == "get":  # a GET never changes anything, refused or not
        assert tally.last == before, f"a GET changed the database: {what}"


def filled(form: Form, fill: str) -> dict[str, Any]:
    """Every field of the form set to ``fill`` (a file field gets a small real PDF)."""
    data: dict[str, Any] = {}
    for spec in form.fields.values():
        if spec.name == "csrf_token":
            continue
        data[spec.name] = (io.BytesIO(FILES[0][0]), fill + ".pdf") if spec.kind == "file" else fill
    return data


def fuzz_form(
    browser: Browser,
    form: Form,
    examples: int,
    tally: Tally,
    fills: tuple[str, ...] = (),
    who: str = "",
) -> None:
    """``fills`` first (every field at once, deterministic), then generated cases.

    Each form and role has its own fixed seed: the cases differ from form to form
    but are the same in every run (and no example database is read or written).
    """
    for fill in fills:
        one_case(browser, "post", form.action, filled(form, fill), tally)

    form_seed = stable_seed(who, id_free(form.action), *sorted(form.fields))

    @seed(form_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=form_case(form, form_seed))
    def run(case: Case) -> None:
        one_case(browser, "post", form.action, case.data, tally, case)

    run()


def fuzz_query(browser: Browser, path: str, names: list[str], tally: Tally) -> None:
    query_seed = stable_seed("query", id_free(path), *names)

    @seed(query_seed)
    @settings(
        max_examples=QUERY_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=query_case(names, query_seed))
    def run(case: Case) -> None:
        one_case(browser, "get", f"{path}?{urlencode(case.data)}", case.data, tally, case)

    run()


class Session(Browser):
    """A logged-in browser that keeps its CSRF token at hand."""

    def __init__(self, app: Flask, email: str | None) -> None:
        super().__init__(app, email)
        self.csrf = self.token() if email else ""

    def token_on(self, path: str) -> str:
        return token_in(self.client.get(path).get_data(as_text=True))


# --- the tests ---------------------------------------------------------------------------------


ROLES = ["staff", "head", "admin", "president", "c1", "viewer"]
#: Who looks at every page again after the fuzzing, for payloads stored along the way.
SWEEP_ROLES = ["admin", "staff"]


@pytest.fixture
def world(app: Flask, team: dict[str, User], make_process: Callable[..., Process]) -> World:
    return build_world(team, make_process)


def endpoint_of(app: Flask, form: Form) -> str:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(urlsplit(form.action).path, method=form.method.upper())
    except Exception:  # noqa: BLE001 - an action that matches nothing is reported below
        return f"unmatched:{form.action}"
    return str(endpoint)


def discover(app: Flask, team: dict[str, User], world: World) -> dict[str, list[Form]]:
    """role → the distinct forms it is shown (one per endpoint and set of fields)."""
    found: dict[str, list[Form]] = {}
    pages = start_pages(world)
    for role in ROLES:
        browser = Session(app, team[role].email)
        forms, _seen = crawl(browser, pages)
        distinct: dict[tuple[str, frozenset[str]], Form] = {}
        for form in forms:
            key = (endpoint_of(app, form), frozenset(form.fields))
            distinct.setdefault(key, form)
        found[role] = list(distinct.values())
    return found


def test_fuzz_every_form_as_every_role(app: Flask, team: dict[str, User], world: World) -> None:
    """Each form in full by the first role shown it, a few cases by every other role shown it."""
    tally = Tally()
    forms = discover(app, team, world)
    posted: set[str] = set()
    for role, role_forms in forms.items():
        browser = Session(app, team[role].email)
        tally.last = None
        for form in role_forms:
            endpoint = endpoint_of(app, form)
            if form.method != "post" or endpoint in NOT_FUZZED:
                continue
            assert not endpoint.startswith("unmatched:"), endpoint
            first = endpoint not in posted
            posted.add(endpoint)
            tally.routes.add(endpoint)
            fuzz_form(
                browser,
                form,
                EXAMPLES if first else OTHER_ROLE_EXAMPLES,
                tally,
                FILLS if first else (),
                who=role,
            )
            browser.csrf = browser.token()  # a form may have renewed the session

    # The same forms, posted by someone the matrix refuses: 403 (or a form error), no change.
    viewer = Session(app, team["viewer"].email)
    tally.last = None
    for form in forms["staff"] + forms["admin"]:
        if form.method == "post" and endpoint_of(app, form) not in NOT_FUZZED:
            fuzz_form(viewer, form, OTHER_ROLE_EXAMPLES, tally, who="refused viewer")

    # Whatever was stored along the way shows as text on every page, to every role.
    swept: list[str] = []

    def sweep(path: str, page: str) -> None:
        check_page(page, tally.needles, f"sweep {path}")
        swept.append(path)

    for role in SWEEP_ROLES:
        crawl(Session(app, team[role].email), start_pages(world), on_page=sweep)

    # Every state-changing web route was reached by crawling (or is excluded with a reason).
    web_posts = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if "POST" in r.methods and not r.rule.startswith("/api/")
    }
    anonymous = {"auth.login", "auth.reset_request", "auth.reset_password", "auth.second_factor"}
    missing = web_posts - posted - set(NOT_FUZZED) - anonymous - {"auth.language"}
    assert not missing, f"POST routes no role's crawl reached: {sorted(missing)}"
    assert set(tally.statuses) <= {200, 201, 302, 400, 403, 404, 409, 413, 422, 429}
    assert tally.errors and tally.needles  # refusals were checked, markers were sent
    record(
        "security",
        f"fuzz, forms: {tally.cases} cases over {len(tally.routes)} POST routes "
        f"({len(FILLS)} fixed + {EXAMPLES} generated per form, {OTHER_ROLE_EXAMPLES} more per "
        f"other role shown it and as a refused viewer; {len(ROLES)} roles); 5xx: 0; "
        f"{tally.figures()}; afterwards {len(swept)} pages swept for stored payloads as "
        f"{', '.join(SWEEP_ROLES)}: none rendered",
    )


def test_fuzz_the_anonymous_forms(app: Flask, team: dict[str, User]) -> None:
    """Log-in, reset, the reset password page (with a live link) and the second factor."""
    tally = Tally()
    anonymous = Session(app, None)
    forms, _ = crawl(anonymous, ["/login", "/reset"])
    # A reset link puts the token in the session: the new-password form appears.
    anonymous.client.post(
        "/reset", data={"email": "c2@example.org", "csrf_token": anonymous.token_on("/reset")}
    )
    body = db.session.scalar(
        sa.text("SELECT text_body FROM outbox WHERE to_addr = 'c2@example.org'")
    )
    db.session.commit()
    link = re.search(r"(/reset/\S+)", body or "")
    assert link
    anonymous.get(link.group(1))
    more, _ = crawl(anonymous, ["/reset/password"])
    forms += more
    endpoints = {endpoint_of(app, f) for f in forms if f.method == "post"}
    assert {"auth.login", "auth.reset_request", "auth.reset_password"} <= endpoints
    for form in forms:
        if form.method != "post":
            continue
        anonymous.csrf = anonymous.token_on(urlsplit(form.action).path)
        fuzz_form(anonymous, form, EXAMPLES * 2, tally, FILLS, who="anonymous")
    assert set(tally.statuses) <= {200, 302, 400, 422, 429}
    record("security", f"fuzz, anonymous forms: {tally.cases} cases; 5xx: 0; {tally.figures()}")


def test_fuzz_every_query_parameter(app: Flask, team: dict[str, User], world: World) -> None:
    """The GET pages that read the address bar, and the API's list endpoints."""
    tally = Tally()
    everyone = accounts.create_user(
        "all@example.org", "All roles", PASSWORD, ["staff", "head", "admin"], None
    )
    everyone.must_change_password = False
    db.session.commit()
    staff = Session(app, everyone.email)
    forms, _seen = crawl(staff, ["/"], limit=10)
    filters = [f for f in forms if f.method == "get"]
    assert filters, "the dashboard's filter form was not found"
    pages = {f.action: list(f.fields) for f in filters}
    pages.setdefault("/", [])
    council = world.processes[1].id
    pages.update(
        {
            "/calendar/": ["month"],
            "/reports/": [],
            "/reports/status": [],
            "/partners/": [],
            "/approvals/": [],
            "/login": ["next"],
            f"/processes/{council}/council": ["purpose", "phase"],
            f"/processes/{council}/record/partner_decision": ["outcome"],
        }
    )
    for path, names in pages.items():
        fuzz_query(staff, path, names, tally)

    _token, secret = tokens.create(everyone, "fuzz api")
    db.session.commit()
    tally.last = None  # the new token is a change of ours, not of a case
    api = Session(app, None)
    api.client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "openapi", None)
        if rule.arguments or "GET" not in rule.methods or not getattr(declared, "query", None):
            continue
        names = [f.name for f in declared.query]
        fuzz_query(api, rule.rule, names, tally)
        tally.routes.add(rule.endpoint)
    assert {"api.list_processes", "api.list_partners", "api.pending"} <= tally.routes
    record(
        "security",
        f"fuzz, query parameters: {tally.cases} cases over {len(pages)} pages and "
        f"{len(tally.routes)} API list endpoints; 5xx: 0; no GET changed the database; "
        f"{tally.figures()}",
    )


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p.strip() and "\x00" not in p])
def test_stored_payloads_render_escaped(
    app: Flask,
    team: dict[str, User],
    make_process: Callable[..., Process],
    payload: str,
) -> None:
    """Stored in a comment and a partner's notes, each payload shows as text, never markup."""
    process = make_process("umea")
    staff = Session(app, team["staff"].email)
    body = f"fz {payload} end"
    key = re.search(
        r'name="key" type="hidden" value="([^"]+)"', staff.text(f"/processes/{process.id}")
    )
    assert key
    done = staff.post(f"/processes/{process.id}/comments", {"body": body, "key": key.group(1)})
    assert done.status_code == 302
    page = staff.text(f"/processes/{process.id}")
    expected = str(escape(body.strip()))
    assert expected in page, "the comment is not shown as typed (escaped)"
    for markup in RAW_MARKUP:
        assert markup not in page
    if "{{" in payload:
        assert not shown("1337", page.replace(expected, ""))  # {{7*191}} was never evaluated


NEW_FILE = '{"kind": "twinning", "partner": "umea", %s}'


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/admin/workflows/twin%00ning", None),
        ("GET", "/?kind=a%00b", None),
        ("GET", "/api/v1/processes?state=%00", None),
        ("POST", "/api/v1/processes", NEW_FILE % '"title": "a\\u0000b"'),
        ("POST", "/api/v1/processes", NEW_FILE % '"title": "\\ud800"'),
        ("POST", "/api/v1/processes", NEW_FILE % '"\\ud800": 1'),
    ],
)
def test_text_no_column_can_hold_is_a_clean_400(
    app: Flask, team: dict[str, User], method: str, path: str, body: str | None
) -> None:
    """NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8) never reach a query."""
    everyone = accounts.create_user("all@example.org", "All", PASSWORD, ["staff", "admin"], None)
    everyone.must_change_password = False
    _token, secret = tokens.create(everyone, "fuzz")
    db.session.commit()
    before = snapshot()
    browser = Session(app, everyone.email)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    response = browser.client.open(path, method=method, data=body, headers=headers)
    assert response.status_code == 400
    assert snapshot() == before


def test_a_file_where_text_goes_is_a_clean_400(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    """Found by the fuzz pass: a file posted under a text field's name was a 500 (Flask-WTF
    merges files into the form data); now a 400 before any view runs, nothing changed."""
    process = make_process("umea")
    staff = Session(app, team["staff"].email)
    before = snapshot()
    for path, name in [
        ("/processes/new", "summary"),
        (f"/processes/{process.id}/comments", "body"),
    ]:
        data = {name: (io.BytesIO(b"%PDF-1.4 not text"), "a.pdf"), "csrf_token": staff.csrf}
        assert staff.client.post(path, data=data).status_code == 400
    assert snapshot() == before


def test_every_file_field_of_every_form_is_allowed_its_file() -> None:
    """``security.FILE_FIELDS`` names exactly the ``FileField``s of the forms (the upload
    itself is tested in tests/views/test_documents.py)."""
    import tracker.forms as package

    found: set[str] = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"tracker.forms.{info.name}")
        for form in vars(module).values():
            if isinstance(form, type) and issubclass(form, FlaskForm):
                for name, value in vars(form).items():
                    if getattr(value, "field_class", None) is FileField:
                        found.add(name)
    assert found == set(FILE_FIELDS)
