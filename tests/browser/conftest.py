"""Browser fixtures: the app in a live server thread, Debian's chromium, axe-core on every page.

The server runs in this process (werkzeug ``make_server`` on a free port), on the
same test database as the ``app`` fixture, so a test can move ``tracker.clock``
and read rows while people click. Chromium is the system one (``/usr/bin/chromium``,
installed by ``make test``); axe-core comes from ``npm ci`` (``package.json``).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
BLOCKING_IMPACTS = {"serious", "critical"}
TIMEOUT_MS = 15_000
LANGUAGE_BUTTON = {"el": "Ελληνικά", "en": "English"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/browser drives chromium: mark it so ``-m`` can pick it."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures can tell that the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's chromium, headless; never a browser downloaded by ``playwright install``."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: `make test` runs `npm ci` first")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class QuietHandler(WSGIRequestHandler):
    """No access-log line per request: failures are reported by the tests themselves."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class LiveServer:
    """The application served over HTTP from a thread of this process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.errors: list[BaseException] = []
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _record(self, sender: Flask, exception: BaseException, **extra: Any) -> None:
        self.errors.append(exception)

    def __enter__(self) -> LiveServer:
        got_request_exception.connect(self._record, self.app)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        got_request_exception.disconnect(self._record, self.app)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 and a free port; a test fails if any request raised."""
    with LiveServer(app) as server:
        yield server
    assert not server.errors, f"the server raised: {server.errors!r}"


class AxeViolations(AssertionError):
    """axe-core found serious or critical accessibility problems on a page."""


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])[:4]]
        lines.append(f"{v['impact']}: {v['id']} — {v['help']} — {targets}")
        for node in v.get("nodes", [])[:2]:
            summary = node.get("failureSummary", "").splitlines()
            lines.append(f"    {summary[-1].strip() if summary else ''}")
    return "\n".join(lines)


class Person:
    """One person in their own browser context: visits pages, fills forms, is audited.

    Every page this person lands on (``visit``, ``submit``, ``click_through``) gets
    axe-core injected by path (the context bypasses the CSP, which refuses inline
    and foreign scripts) and must have no serious or critical violation. A page
    whose element structure (tags and classes) was already audited in the same
    language during this test is not audited again: same markup, same result,
    and a walk-through revisits the same screens many times.
    """

    def __init__(
        self,
        context: BrowserContext,
        base_url: str,
        seen: set[tuple[str, str]] | None = None,
    ) -> None:
        self.context = context
        self.seen = seen if seen is not None else set()
        self.base_url = base_url
        self.page: Page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.audited: list[str] = []
        self.audit_seconds = 0.0
        self.server_errors: list[str] = []
        self.page.on("response", self._watch)

    def _watch(self, response: Any) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")

    # navigation --------------------------------------------------------------
    def visit(self, path: str, expect_status: int = 200) -> Page:
        response = self.page.goto(self.base_url + path)
        assert response is not None
        assert response.status == expect_status, (path, response.status)
        self.audit()
        return self.page

    def submit(self, button: Any) -> Page:
        """Click a submit button and wait for the page it leads to."""
        with self.page.expect_navigation():
            button.click()
        self.audit()
        return self.page

    def click_through(self, link: Any) -> Page:
        with self.page.expect_navigation():
            link.click()
        self.audit()
        return self.page

    @property
    def path(self) -> str:
        """Path and query of the current page (without any #fragment)."""
        return self.page.url.removeprefix(self.base_url).split("#")[0]

    # people ------------------------------------------------------------------
    def log_in(self, email: str, password: str = PASSWORD) -> None:
        """Through the real log-in form."""
        self.visit("/login")
        self.page.locator("input[name=email]").fill(email)
        self.page.locator("input[name=password]").fill(password)
        self.submit(self.page.locator("main form button[type=submit]"))
        assert not self.path.startswith("/login"), self.text("main")

    def choose_language(self, lang: str) -> None:
        """The header's language button (it offers the other language), if not in ``lang``."""
        if self.lang != lang:
            self.submit(self.page.get_by_role("button", name=LANGUAGE_BUTTON[lang]))
        assert self.lang == lang

    def text(self, selector: str = "main") -> str:
        return self.page.locator(selector).first.inner_text()

    # accessibility -----------------------------------------------------------
    def audit(self) -> None:
        """axe-core on the current page; fail on serious or critical violations."""
        assert not self.server_errors, self.server_errors
        shape = (self.lang, self.page.evaluate(SHAPE_JS))
        if shape in self.seen:
            return
        self.seen.add(shape)
        started = time.perf_counter()
        violations = run_axe(self.page)
        self.audit_seconds += time.perf_counter() - started
        self.audited.append(self.path)
        bad = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
        if bad:
            raise AxeViolations(f"{self.path} (lang={self.lang}):\n{describe(bad)}")

    @property
    def lang(self) -> str:
        return str(self.page.locator("html").get_attribute("lang"))

    def screenshot(self, name: str, at: str | None = None, block: str = "start") -> None:
        """Write docs/screenshots/<name>.png, only when SCREENSHOTS=1 (keeps the tree clean).

        ``at``: an element scrolled to the ``block`` ("start" or "center") of the window first.
        """
        if os.environ.get("SCREENSHOTS") != "1":
            return
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        if at:
            self.page.locator(at).evaluate(f"e => e.scrollIntoView({{block: '{block}'}})")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        self.page.evaluate("() => window.scrollTo(0, 0)")


# Tags and classes of every element: two pages with the same shape differ only in text.
SHAPE_JS = """() => Array.from(document.querySelectorAll('body *'), e =>
  e.tagName + '.' + (typeof e.className === 'string' ? e.className : e.className.baseVal)
  + (e.getAttribute('type') || '') + (e.hasAttribute('disabled') ? '!' : '')).join('|')"""


def run_axe(page: Page) -> list[dict[str, Any]]:
    """Inject axe-core (by file path) unless already there, run it, return its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return JSON.stringify(r.violations); }"
    )
    return list(json.loads(result))


def keep_evidence(people: list[Person], folder: Path) -> None:
    """After a failure: each person's last page as PNG and HTML, to see what they saw."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, person in enumerate(people):
        try:
            person.page.screenshot(path=str(folder / f"person{n}.png"), full_page=True)
            (folder / f"person{n}.html").write_text(person.page.content())
        except Exception:  # noqa: BLE001 - a closed page must not hide the real failure
            continue
    print(f"browser evidence kept in {folder}")


@pytest.fixture
def people(
    chromium: Browser, live_server: LiveServer, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Person]]:
    """Factory: ``people()`` is a new person in a fresh browser context (own cookies)."""
    contexts: list[BrowserContext] = []
    made: list[Person] = []
    seen: set[tuple[str, str]] = set()

    def make(viewport: dict[str, int] | None = None) -> Person:
        context = chromium.new_context(
            viewport=viewport or DESKTOP,
            bypass_csp=True,  # lets axe-core in; the app's own pages run under the CSP as usual
            locale="el-GR",
            timezone_id="Europe/Athens",
            service_workers="block",
        )
        contexts.append(context)
        person = Person(context, live_server.url, seen=seen)
        made.append(person)
        return person

    yield make
    print(
        f"axe-core audited {sum(len(p.audited) for p in made)} page(s)"
        f" in {sum(p.audit_seconds for p in made):.1f}s"
    )
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        keep_evidence(made, tmp_path / "evidence")
    for context in contexts:
        context.close()
    errors = [e for p in made for e in p.server_errors]
    assert not errors, f"server errors seen by the browser: {errors}"


def squash(text: str) -> str:
    """Collapse whitespace so assertions read like what a person sees."""
    return re.sub(r"\s+", " ", text).strip()
