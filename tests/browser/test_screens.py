"""Every main screen, on the demo data, through axe-core: Greek and English, desktop and phone.

``Person.visit`` injects axe-core and fails on any serious or critical violation,
so each visit below is an accessibility check; forms are also audited with their
error messages showing. With ``SCREENSHOTS=1`` the Greek desktop pass (and the
phone pass) write the README's pictures into ``docs/screenshots/`` at 1280×900.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, AxeViolations, Person
from tests.conftest import ON_POSTGRES, authority
from tracker.extensions import db
from tracker.models import ApprovalRequest, CouncilDecision, Deadline, User
from tracker.seed import DEMO_PASSWORD, seed_demo
from tracker.services import outbox

EXTERNAL_KINDS = ("partner_reply", "partner_loi_reply", "partner_decision", "ministry_decision")


def demo_email(key: str) -> str:
    return f"{key}@demo.marousi.invalid"


def enter(
    people: Callable[..., Person], key: str, lang: str, viewport: dict[str, int] | None = None
) -> Person:
    """A demo user logs in through the form and picks ``lang`` with the header's button."""
    person = people(viewport=viewport)
    person.log_in(demo_email(key), DEMO_PASSWORD)
    person.choose_language(lang)
    return person


def first_id(statement: sa.Select[tuple[int]]) -> int:
    found = db.session.scalars(statement.limit(1)).first()
    assert found is not None, str(statement)
    return int(found)


# Markup does not depend on the database: the sweep runs in the SQLite pass only, which keeps
# the browser part of the PostgreSQL pass short; the walk-through runs in both passes.
@pytest.mark.skipif(ON_POSTGRES, reason="accessibility sweep: SQLite pass only")
def test_every_screen_in_greek_and_english(people, live_server):
    made = seed_demo()
    db.session.commit()
    vilnius, limassol, nea_ionia = made["vilnius"], made["limassol"], made["nea_ionia"]
    deadline = first_id(
        sa.select(Deadline.id).where(Deadline.process_id == vilnius, Deadline.status == "open")
    )
    councillor = db.session.scalars(
        sa.select(User).where(User.email == demo_email("councillor"))
    ).one()
    request_id = first_id(
        sa.select(ApprovalRequest.id)
        .where(ApprovalRequest.approver_id == councillor.id, ApprovalRequest.status == "pending")
        .order_by(ApprovalRequest.id)
    )
    staff_id = first_id(sa.select(User.id).where(User.email == demo_email("staff")))
    council_decision = first_id(sa.select(CouncilDecision.id).order_by(CouncilDecision.id))
    umea = authority("umea").id
    # One message that failed for good and one being retried: Administration → Email has rows.
    for key, status in (("failed", "failed"), ("retrying", "pending")):
        row = outbox.enqueue(councillor, f"axe:{key}", "Υπενθύμιση: Βίλνιους", "…", urgent=True)
        assert row is not None
        row.status, row.attempts, row.last_error = status, 3, "550 5.1.1 No such mailbox"
    db.session.commit()

    for lang in ("el", "en"):
        shots = lang == "el"

        # Anyone: the log-in page, then with a wrong password (the error is announced).
        anon = people()
        anon.visit("/login")
        anon.choose_language(lang)
        if shots:
            anon.screenshot("login")
        anon.page.locator("input[name=email]").fill(demo_email("staff"))
        anon.page.locator("input[name=password]").fill("not the password")
        anon.submit(anon.page.locator("main form button[type=submit]"))
        expect(anon.page.locator(".flash-error")).to_have_count(1)

        # Office staff: the dashboard, filtered with its own form.
        staff = enter(people, "staff", lang)
        staff.visit("/")
        if shots:
            staff.screenshot("dashboard")
        filters = staff.page.locator("main form").first
        filters.locator("select[name=kind]").select_option("twinning")
        filters.locator("input[name=overdue]").check()
        staff.submit(filters.locator("button[type=submit]"))
        assert "overdue=y" in staff.path
        rows = staff.page.locator("main table tbody tr")
        assert rows.count() >= 1

        # The file pages: council decision pending, signing under way, under review.
        staff.visit(f"/processes/{vilnius}")
        if shots:
            staff.screenshot("process")
            staff.screenshot("process-deadlines", at="#dl-h")
        staff.visit(f"/processes/{limassol}")
        if shots:
            staff.screenshot("process-signing", at="#next-h")
        staff.visit(f"/processes/{nea_ionia}")

        # Record forms, blank and with errors next to the fields.
        staff.visit("/processes/new")
        staff.visit(f"/processes/{vilnius}/council")
        form = staff.page.locator("form.council-form")
        for name, value in (
            ("members", "41"),
            ("present", "27"),
            ("votes_for", "24"),
            ("against", "1"),
            ("abstain", "2"),
        ):
            form.locator(f"input[name={name}]").fill(value)
        expect(staff.page.locator("#vote-check")).not_to_be_empty()
        if shots:
            staff.screenshot("council-form", at="#vote-check", block="center")
        form.locator("input[name=votes_for]").fill("40")  # more votes than members present
        staff.submit(form.locator("button[type=submit]"))
        expect(staff.page.locator(".errors").first).to_be_visible()
        for kind in EXTERNAL_KINDS:
            staff.visit(f"/processes/{vilnius}/record/{kind}")
        staff.visit(f"/deadlines/{deadline}/extend")
        if shots:
            staff.screenshot("extend-form")
        staff.visit(f"/council-decisions/{council_decision}/posting")

        # Partners, calendar, reports, own account.
        staff.visit("/partners/")
        if shots:
            staff.screenshot("partners")
        staff.visit(f"/partners/{umea}")
        if shots:
            staff.screenshot("partner")
        staff.visit(f"/partners/{umea}/edit")
        staff.visit("/calendar/")
        if shots:
            staff.screenshot("calendar")
        staff.visit("/reports/")
        if shots:
            staff.screenshot("reports")
        staff.visit("/reports/status")
        staff.visit(f"/reports/processes/{vilnius}/history")
        for path in ("/account/", "/account/password", "/account/totp", "/account/tokens/"):
            staff.visit(path)
        staff.visit("/feeds/")
        staff.visit("/processes/999999", expect_status=404)

        # A council member: the inbox and one decision page (sent back without a comment).
        member = enter(people, "councillor", lang)
        member.visit("/approvals/")
        if shots:
            member.screenshot("approvals")
        member.visit(f"/approvals/{request_id}")
        if shots:
            member.screenshot("decision")
        decision = member.page.locator("main form.decision-form")
        decision.locator("input[name=decision][value=sent_back]").check()
        member.submit(decision.locator("button[type=submit]"))
        expect(member.page.locator("textarea[aria-invalid=true]")).to_have_count(1)

        # The administrator: users, delegations, workflow settings.
        admin = enter(people, "admin", lang)
        for path in (
            "/admin/",
            "/admin/users",
            "/admin/users/new",
            f"/admin/users/{staff_id}",
            "/admin/delegations",
            "/admin/workflows",
            "/admin/workflows/twinning",
            "/admin/workflows/twinning/steps/ministry_review",
        ):
            admin.visit(path)
        if shots:
            admin.screenshot("admin-step-settings")
        admin.visit("/admin/mail")

        # A phone: the dashboard and a file page at 375×812.
        phone = enter(people, "staff", lang, viewport=PHONE)
        phone.visit("/")
        assert_fits(phone)
        if shots:
            phone.screenshot("dashboard-phone")
        phone.visit(f"/processes/{vilnius}")
        assert_fits(phone)
        if shots:
            phone.screenshot("process-phone")


def assert_fits(person: Person) -> None:
    """Nothing but the marked scroll areas (diagram, tables) is wider than the screen."""
    overflow = person.page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{person.path}: the page is {overflow}px wider than the phone"


def test_the_audit_fails_on_a_serious_violation(people):
    """The check can fail: a text box with no label is a critical violation for axe-core."""
    person = people()
    person.visit("/login")
    person.page.evaluate(
        "() => { const box = document.createElement('input');"
        " box.type = 'text'; document.querySelector('main form').append(box); }"
    )
    with pytest.raises(AxeViolations, match=r"critical: label\b"):
        person.audit()
