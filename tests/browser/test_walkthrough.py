"""A whole twinning from idea to active in chromium, once in Greek and once in English.

Seven people, each in their own browser context and logged in through the real
form: staff run the file, the head of office, the mayor, the deputy mayor, two
council members and the council president approve from their inboxes (password
confirmed, since their log-in is older than 15 minutes). The only thing the test
moves is ``tracker.clock``, in this same process as the server thread: past the
re-authentication age, then past the 15-day appeal window. Every page anyone
lands on is also checked by axe-core (see ``conftest.Person.audit``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, expect

from tests.browser.conftest import Person, squash
from tests.conftest import PASSWORD, authority
from tracker import clock, jobs
from tracker.domain.builtin import TWINNING
from tracker.domain.calendar import to_local
from tracker.domain.text import REASONS, day_text, pick
from tracker.extensions import db
from tracker.models import Deadline, Process, Step, User

START = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)  # a Monday morning in Marousi
UMEA = {"el": "Ουμεό", "en": "Umeå"}


def title(state: str, lang: str) -> str:
    return str(TWINNING["states"][state]["title"][lang])


def reason_start(code: str, lang: str) -> str:
    """The fixed opening of a reason (before its first parameter), as shown on the page."""
    return REASONS[code][lang].split("{")[0].strip()


def today() -> date:
    return to_local(clock.utcnow()).date()


def open_states(process_id: int) -> set[str]:
    db.session.commit()  # a new read transaction sees what the server thread committed
    states = db.session.scalars(
        sa.select(Step.state).where(Step.process_id == process_id, Step.status == "open")
    )
    result = set(states)
    db.session.commit()  # end the read so the server thread never waits on us
    return result


class Walk:
    """The people of one run and the file they carry, with what each of them does."""

    def __init__(self, people: Callable[..., Person], team: dict[str, User], lang: str) -> None:
        self.lang = lang
        self.team = team
        self.people = people
        self.pid = 0
        self.who: dict[str, Person] = {}

    # people ----------------------------------------------------------------
    def arrive(self, key: str) -> Person:
        """A person opens the site, picks the language if needed, logs in."""
        person = self.people()
        person.visit("/login")
        person.choose_language(self.lang)
        person.log_in(self.team[key].email)
        assert person.lang == self.lang, "the language chosen before log-in is kept"
        self.who[key] = person
        return person

    # the file page -----------------------------------------------------------
    def file_page(self, key: str = "staff") -> Person:
        person = self.who[key]
        person.visit(f"/processes/{self.pid}")
        return person

    def badges(self, person: Person) -> set[str]:
        return {squash(t) for t in person.page.locator(".page-head .badge").all_inner_texts()}

    def expect_states(self, *states: str) -> Person:
        """What staff see on the file page matches the open steps in the database."""
        assert open_states(self.pid) == set(states)
        person = self.file_page()
        assert self.badges(person) == {title(s, self.lang) for s in states}
        return person

    def needs(self, person: Person) -> str:
        return squash(person.text("section[aria-labelledby=next-h]"))

    # approvals ---------------------------------------------------------------
    def approve(self, key: str, password: str = PASSWORD) -> bool:
        """From the inbox: this file's card, "approve", password if asked, submit.

        Returns whether the password was asked for.
        """
        person = self.who[key]
        person.click_through(person.page.locator("header nav a[href='/approvals/']"))
        card = self.inbox_card(person)
        expect(card.locator("h2")).to_contain_text(UMEA[self.lang])
        card.locator("input[name=decision][value=approved]").check()
        password_box = card.locator("input[name=password]")
        asked = password_box.count() == 1
        if asked:
            password_box.fill(password)
        person.submit(card.locator("button[type=submit]"))
        return asked

    def inbox_card(self, person: Person) -> Locator:
        cards = person.page.locator("ul.inbox > li.card").filter(
            has=person.page.locator(f"a[href='/processes/{self.pid}']")
        )
        expect(cards).to_have_count(1)
        return cards.first

    def approved(self, key: str) -> None:
        """The inbox says so, and this file no longer waits there."""
        person = self.who[key]
        assert person.path == "/approvals/"
        flash = squash(person.text(".flash-success"))
        assert UMEA[self.lang] in flash
        expect(person.page.locator(f"ul.inbox a[href='/processes/{self.pid}']")).to_have_count(0)

    # records -----------------------------------------------------------------
    def record(self, kind: str, outcome: str, reference: str = "Φ.110/2026") -> Person:
        """Staff follow the file page's "Record: …" link and fill the outside event."""
        person = self.file_page()
        person.click_through(person.page.locator(f".record-links a[href$='/record/{kind}']"))
        form = person.page.locator("main form")
        form.locator(f"input[name=outcome][value={outcome}]").check()
        form.locator("input[name=event_date]").fill(today().isoformat())
        form.locator("input[name=reference]").fill(reference)
        person.submit(form.locator("button[type=submit]"))
        assert person.path == f"/processes/{self.pid}", person.text()
        return person

    def council_vote(self, link: Locator, **fields: str) -> Person:
        person = self.who["staff"]
        person.click_through(link)
        form = person.page.locator("form.council-form")
        for name, value in fields.items():
            box = form.locator(f"[name={name}]")
            if box.evaluate("e => e.tagName") == "SELECT":
                box.select_option(value)
            else:
                box.fill(value)
        return person

    def sign(self, transition: str, on: date, place: str) -> Person:
        person = self.file_page()
        form = person.page.locator("form.action-form").filter(
            has=person.page.locator(f"input[name=transition][value={transition}]")
        )
        form.locator("input[name=date]").fill(on.isoformat())
        form.locator(f"input[name=place][value={place}]").check()
        person.submit(form.locator("button[type=submit]"))
        return person


def appeal_closes(process_id: int) -> datetime:
    db.session.commit()
    due = db.session.scalars(
        sa.select(Deadline.due_dt).where(
            Deadline.process_id == process_id, Deadline.kind == "appeal"
        )
    ).one()
    db.session.commit()
    return due


@pytest.mark.parametrize("lang", ["el", "en"])
def test_a_twinning_from_idea_to_active(people, team, lang):
    clock.freeze(START)
    walk = Walk(people, team, lang)
    staff = walk.arrive("staff")
    for key in ("head", "mayor", "deputy", "c1", "c2", "president"):
        walk.arrive(key)

    # Staff open the file from the dashboard's "New file" button.
    staff.visit("/")
    staff.click_through(staff.page.locator("main a[href='/processes/new']").first)
    form = staff.page.locator("main form")
    form.locator("select[name=kind]").select_option("twinning")
    form.locator("select[name=partner]").select_option(str(authority("umea").id))
    form.locator("[name=source]").fill("Δίκτυο Q-Cities")
    staff.submit(form.locator("button[type=submit]"))
    found = re.search(r"/processes/(\d+)$", staff.path)
    assert found, staff.path
    walk.pid = int(found.group(1))
    page = walk.expect_states("idea")
    assert team["head"].name in squash(page.text(".page-head")), "who must act is named"

    # Sixteen minutes later: approving now needs the password again.
    clock.shift(timedelta(minutes=16))

    # The head of office approves opening contact; first she mistypes her password.
    head = walk.who["head"]
    assert walk.approve("head", password="not my password")
    assert head.path.startswith("/approvals/")
    errors = head.page.locator("input[name=password][aria-invalid=true]")
    expect(errors).to_have_count(1)
    assert open_states(walk.pid) == {"idea"}
    assert walk.approve("head")
    walk.approved("head")
    page = walk.expect_states("exploratory_contact")

    # The partner replies; staff record it. The mayor signs the letter of intent.
    assert reason_start("external_missing", lang) in walk.needs(page)
    walk.record("partner_reply", "positive")
    walk.expect_states("letter_of_intent")
    assert walk.approve("mayor")
    walk.approved("mayor")
    walk.record("partner_loi_reply", "positive")
    page = walk.expect_states("drafting")

    # Drafting: head, then deputy mayor, then the council's committee by majority.
    assert reason_start("approval_missing", lang) in walk.needs(page)
    assert not walk.approve("head"), "she confirmed her password a moment ago"
    assert walk.approve("deputy")
    assert walk.approve("c1")
    walk.approved("c1")
    assert walk.approve("c2")
    walk.expect_states("council_agenda")

    # The council president puts it on the agenda.
    assert walk.approve("president")
    page = walk.expect_states("council_decision")

    # Staff record the council's vote, with ΑΔΑ; the form checks quorum as it is typed.
    link = page.page.locator(".record-links a[href*='/council']")
    staff = walk.council_vote(
        link,
        purpose="approval",
        decision_number="214/2026",
        ada="6ΞΑΖ46ΜΤΛΗ-ΡΣΚ",
        session_date=today().isoformat(),
        session_number="21",
        posted_on=today().isoformat(),
        members="41",
        present="27",
        votes_for="24",
        against="1",
        abstain="2",
    )
    expect(staff.page.locator("#vote-check")).to_have_class(re.compile(r"\bok\b"))
    staff.submit(staff.page.locator("form.council-form button[type=submit]"))
    page = walk.expect_states("ministry_review", "partner_approval")
    council = squash(page.text("section[aria-labelledby=council-h]"))
    assert "214/2026" in council and "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ" in council

    # The final text is agreed: its button is in sight, in the "before signing" list (nothing
    # to unfold). Signing still waits for the appeal window, and says until when.
    confirm = page.page.locator(".checklist form[action$='/flag'] button.primary")
    expect(confirm).to_be_visible()
    page.submit(confirm)
    closes = to_local(appeal_closes(walk.pid))
    expect(page.page.locator(".appeal")).to_have_class(re.compile(r"\bopen\b"))
    checklist = squash(page.text(".checklist"))
    assert (
        f"{reason_start('appeal_window_open', lang)} {pick(day_text(closes.date()), lang)}"
        in checklist
    )

    # Three weeks later the window has closed. Staff's session has long expired:
    # the file page sends them to log in (in the language they were reading), then
    # straight back to the file.
    clock.shift(timedelta(days=20))
    assert jobs.close_timers() == 1, "the scheduler's periodic job closes the appeal window"
    staff.visit(f"/processes/{walk.pid}")
    assert staff.path.startswith("/login?next=")
    assert staff.lang == lang, "the language survives the expired session"
    staff.page.locator("input[name=email]").fill(team["staff"].email)
    staff.page.locator("input[name=password]").fill(PASSWORD)
    staff.submit(staff.page.locator("main form button[type=submit]"))
    assert staff.path == f"/processes/{walk.pid}"
    expect(staff.page.locator(".appeal")).to_have_class(re.compile(r"\bclosed\b"))
    assert reason_start("appeal_window_open", lang) not in squash(staff.text(".checklist"))

    # The ministry consents; the partner's council approves: ready to sign.
    walk.record("ministry_decision", "consent", reference="Φ.112/4321")
    walk.expect_states("ministry_consented", "partner_approval")
    walk.record("partner_decision", "approved")
    walk.expect_states("ready_to_sign")

    # Phase A at home, today.
    walk.sign("sign_phase_a", today(), "home")
    page = walk.expect_states("signed_phase_a")

    # Phase B in Umeå needs the trip's own council decision. The file page says so before
    # anyone tries; trying anyway is refused with the reason, and nothing moves.
    travel = reason_start("travel_missing", lang)
    assert travel in walk.needs(page)
    ceremony = today() + timedelta(days=30)
    refused = walk.sign("sign_phase_b", ceremony, "partner")
    assert travel in squash(refused.text())
    assert open_states(walk.pid) == {"signed_phase_a"}

    # Staff follow the page's own link to record the travel decision (purpose and phase set).
    staff = walk.council_vote(
        refused.page.locator("a[href*='purpose=travel']").first,
        decision_number="250/2026",
        session_date=today().isoformat(),
        members="41",
        present="30",
        votes_for="30",
        against="0",
        abstain="0",
    )
    expect(staff.page.locator("select[name=purpose]")).to_have_value("travel")
    expect(staff.page.locator("select[name=phase]")).to_have_value("B")
    staff.submit(staff.page.locator("form.council-form button[type=submit]"))
    assert staff.path == f"/processes/{walk.pid}", staff.text()
    assert travel not in walk.needs(staff)

    walk.sign("sign_phase_b", ceremony, "partner")
    page = walk.expect_states("active")
    db.session.commit()
    assert db.session.get(Process, walk.pid).signed_on == ceremony
    db.session.commit()

    # The whole story is in the history, in the language of the page.
    history = squash(page.text("section[aria-labelledby=hist-h]"))
    assert history.count(team["head"].name) >= 2
    for person in (team["mayor"], team["deputy"], team["c1"], team["president"]):
        assert person.name in history
