"""A fuzz pass over every form and every query parameter, as every role.

The forms are not listed by hand: each role's browser crawls the site from the
dashboard (same-site links only) and collects every ``<form>`` it is shown,
with its fields and their types. A test checks that every state-changing web
route was reached this way (or is in the short, reasoned exclusion list).

Hypothesis then posts generated values to each form — text with control
characters, very long strings, Greek and mixed scripts, HTML and template
payloads, huge and malformed numbers, impossible dates, wrong types, missing
and repeated fields, random files — and sends generated query strings to the
pages that read them and to the API's list endpoints. For every case:

- never a 5xx;
- never a payload rendered as markup (no response contains one unescaped);
- an error answer (4xx) leaves the database exactly as it was: every row of
  every table, except the two tables that record refusals by design
  (``audit_log``, ``login_attempt``).

Bounded (``EXAMPLES`` per form) and deterministic (``derandomize``) so a run
takes a couple of minutes per database; the number of cases is reported.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.conftest import PASSWORD, authority
from tests.figures import record
from tests.views.screens import Browser, drive, today, token_in
from tracker.extensions import db
from tracker.models import Process, User
from tracker.services import accounts, delegations, feeds, tokens, twofactor

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


def crawl(browser: Browser, start: list[str], limit: int = 120) -> tuple[list[Form], set[str]]:
    """Same-site pages reachable from ``start``: their forms, and every page seen."""
    seen: set[str] = set()
    per_shape: dict[str, int] = {}
    queue = list(start)
    forms: list[Form] = []
    while queue and len(seen) < limit:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "N", urlsplit(path).path)
        if path in seen or SKIP_LINKS.search(path) or per_shape.get(shape, 0) >= 2:
            continue
        seen.add(path)
        per_shape[shape] = per_shape.get(shape, 0) + 1
        response = browser.get(path)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        parsed = FormParser(response.get_data(as_text=True))
        for form in parsed.forms:
            form.action = form.action or urlsplit(path).path
            if form.method == "get" and not form.action.startswith("/"):
                continue
            forms.append(form)
        queue.extend(link for link in parsed.links if link not in seen)
    return forms, seen


# --- generated values ------------------------------------------------------------------------


def text_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(PAYLOADS),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=60),
        st.builds(
            lambda chunk, n: chunk * n,
            st.sampled_from(["a", "Ω", "<", "🇬🇷", "\n"]),
            st.integers(300, 20_000),
        ),
        st.sampled_from(NUMBERS),
    )


def value_for(spec: Field) -> st.SearchStrategy[Any]:
    """What a browser could send for this field — and what a hostile client could."""
    if spec.kind == "file":
        return st.sampled_from(FILES).map(lambda f: (io.BytesIO(f[0]), f[1]))
    typed: list[st.SearchStrategy[Any]] = [text_values()]
    if spec.kind == "number" or spec.name in ("version", "seen_version"):
        typed.append(st.integers(-(10**30), 10**30).map(str))
        typed.append(st.sampled_from(NUMBERS))
    if spec.kind == "date" or spec.name.endswith(("date", "_on", "due")):
        typed.append(st.dates().map(lambda d: d.isoformat()))
        typed.append(st.sampled_from(DATES))
    if spec.options:
        typed.append(st.sampled_from(spec.options))
        typed.append(st.sampled_from(spec.options))  # valid choices more often
    if spec.kind == "email":
        typed.append(st.sampled_from(["staff@example.org", "a@b", "@", "x@example.org\r\nBcc: y"]))
    return st.one_of(*typed)


@st.composite
def form_data(draw: st.DrawFn, form: Form) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for spec in form.fields.values():
        if spec.name == "csrf_token":
            continue
        how = draw(st.sampled_from(["value", "value", "value", "missing", "twice"]))
        if how == "missing":
            continue
        data[spec.name] = draw(value_for(spec))
        if how == "twice" and spec.kind != "file":
            data[spec.name] = [data[spec.name], draw(value_for(spec))]
    if draw(st.booleans()):
        data[draw(st.sampled_from(["owner_id", "is_closed", "roles", "id", "x" * 300]))] = draw(
            text_values()
        )
    return data


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
    delegations.create(
        team["head"], team["deputy"], today(), today() + timedelta(days=4), team["head"]
    )
    tokens.create(team["staff"], "fuzzing token")
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
        [idea, council, contact, memorandum],
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
    routes: set[str] = field(default_factory=set)
    last: str | None = None  # the database as the previous case left it

    def add(self, status: int) -> None:
        self.cases += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


def check_response(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code)
    if "html" in (response.content_type or ""):
        page = response.get_data(as_text=True)
        for markup in RAW_MARKUP:
            assert markup not in page, (what, markup)


def one_case(browser: Browser, method: str, path: str, data: Any, tally: Tally) -> None:
    before = tally.last or snapshot()
    if method == "post":
        response = browser.client.post(path, data={**data, "csrf_token": browser.csrf})
    else:
        response = browser.client.get(path)
    what = f"{method.upper()} {path} {str(data)[:300]!r}"
    check_response(response, what)
    tally.add(response.status_code)
    if response.status_code in (301, 302, 303) and response.location.startswith("/"):
        check_response(browser.client.get(response.location), f"after {what}")
    response.close()
    tally.last = snapshot()
    if response.status_code >= 400:
        changed = tally.last != before
        assert not changed, f"the database changed, the answer was {response.status_code}: {what}"


def filled(form: Form, fill: str) -> dict[str, Any]:
    """Every field of the form set to ``fill`` (a file field gets a small real PDF)."""
    data: dict[str, Any] = {}
    for spec in form.fields.values():
        if spec.name == "csrf_token":
            continue
        data[spec.name] = (io.BytesIO(FILES[0][0]), fill + ".pdf") if spec.kind == "file" else fill
    return data


def fuzz_form(
    browser: Browser, form: Form, examples: int, tally: Tally, fills: tuple[str, ...] = ()
) -> None:
    """``fills`` first (every field at once, deterministic), then generated cases."""
    for fill in fills:
        one_case(browser, "post", form.action, filled(form, fill), tally)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=form_data(form))
    def case(data: dict[str, Any]) -> None:
        one_case(browser, "post", form.action, data, tally)

    case()


def fuzz_query(browser: Browser, path: str, names: list[str], tally: Tally) -> None:
    params = st.dictionaries(
        st.sampled_from([*names, "x", "next"]),
        st.one_of(text_values(), st.sampled_from(NUMBERS), st.sampled_from(DATES)),
        max_size=len(names) + 1,
    )

    @settings(
        max_examples=QUERY_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(query=params)
    def case(query: dict[str, str]) -> None:
        one_case(browser, "get", f"{path}?{urlencode(query)}", None, tally)

    case()


class Session(Browser):
    """A logged-in browser that keeps its CSRF token at hand."""

    def __init__(self, app: Flask, email: str | None) -> None:
        super().__init__(app, email)
        self.csrf = self.token() if email else ""

    def token_on(self, path: str) -> str:
        return token_in(self.client.get(path).get_data(as_text=True))


# --- the tests ---------------------------------------------------------------------------------


ROLES = ["staff", "head", "admin", "president", "c1", "viewer"]


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
            )
            browser.csrf = browser.token()  # a form may have renewed the session

    # The same forms, posted by someone the matrix refuses: 403 (or a form error), no change.
    viewer = Session(app, team["viewer"].email)
    tally.last = None
    for form in forms["staff"] + forms["admin"]:
        if form.method == "post" and endpoint_of(app, form) not in NOT_FUZZED:
            fuzz_form(viewer, form, OTHER_ROLE_EXAMPLES, tally)

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
    record(
        "security",
        f"fuzz, forms: {tally.cases} cases over {len(tally.routes)} POST routes "
        f"({len(FILLS)} fixed + {EXAMPLES} generated per form, {OTHER_ROLE_EXAMPLES} more per "
        f"other role shown it and as a refused viewer; {len(ROLES)} roles); "
        f"statuses {dict(sorted(tally.statuses.items()))}; 5xx: 0",
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
        fuzz_form(anonymous, form, EXAMPLES * 2, tally, FILLS)
    assert set(tally.statuses) <= {200, 302, 400, 422, 429}
    record("security", f"fuzz, anonymous forms: {tally.cases} cases; 5xx: 0")


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
        f"{len(tally.routes)} API list endpoints; statuses {dict(sorted(tally.statuses.items()))}",
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
        assert "1337" not in page.replace(expected, "")  # {{7*191}} was never evaluated


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
