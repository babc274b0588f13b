"""The approver's inbox: oldest first, decisions right there, only one's own, password asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.views.screens import Browser, active, drive, history_count, pending_request
from tracker import clock
from tracker.extensions import db
from tracker.models import ApprovalRequest, OutboxMessage


def test_inbox_lists_oldest_first_with_forms(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    make_process("vilnius")
    clock.shift(timedelta(days=2))
    make_process("umea")
    page = Browser(app, "head@example.org").text("/approvals/")
    assert page.index("Βίλνιους") < page.index("Ουμεό")
    assert page.count('class="decision-form"') == 2
    # Each form has its own ids: labels point at the right inputs.
    assert page.count('id="d1-approved"') == 1 and page.count('id="d2-approved"') == 1
    assert 'for="d1-comment"' in page


def test_approve_right_from_the_inbox(app, team, make_process):
    process = make_process("umea")
    request = pending_request(process.id, team["head"].id)
    head = Browser(app, "head@example.org")
    response = head.post(
        f"/approvals/{request.id}", {"decision": "approved", "comment": "", "from": "inbox"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/approvals/")
    assert active(process.id) == {"exploratory_contact"}
    assert f"/approvals/{request.id}" not in head.text("/approvals/")


def test_send_back_and_reject_need_a_comment(app, team, make_process):
    process = drive(make_process("umea"), team, "drafting")
    for user in ("head", "deputy"):
        request = pending_request(process.id, team[user].id)
        Browser(app, f"{user}@example.org").post(
            f"/approvals/{request.id}", {"decision": "approved"}
        )
    request = pending_request(process.id, team["c1"].id)
    c1 = Browser(app, "c1@example.org")
    for decision in ("sent_back", "rejected"):
        response = c1.post(f"/approvals/{request.id}", {"decision": decision, "comment": "  "})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert f'id="d{request.id}-comment-err"' in page
        assert f'value="{decision}" checked' in page  # the choice made stays
    db.session.expire_all()
    assert db.session.get(ApprovalRequest, request.id).status == "pending"
    response = c1.post(
        f"/approvals/{request.id}",
        {"decision": "sent_back", "comment": "Λείπει το σχέδιο δράσης."},
    )
    assert response.status_code == 302
    # A new round: earlier approvals are void, the drafter is told why.
    db.session.expire_all()
    statuses = db.session.scalars(
        sa.select(ApprovalRequest.status).where(ApprovalRequest.process_id == process.id)
    ).all()
    assert "sent_back" in statuses and "void" in statuses
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_addr == "staff@example.org")
    ).all()
    assert any("Λείπει το σχέδιο δράσης." in m.text_body for m in mail)
    page = Browser(app, "staff@example.org").text(f"/processes/{process.id}")
    assert "Λείπει το σχέδιο δράσης." in page
    assert "γύρος 2" in page


def test_a_council_member_cannot_decide_another_ones_approval(app, team, make_process):
    process = drive(make_process("umea"), team, "drafting")
    for user in ("head", "deputy"):
        request = pending_request(process.id, team[user].id)
        Browser(app, f"{user}@example.org").post(
            f"/approvals/{request.id}", {"decision": "approved"}
        )
    theirs = pending_request(process.id, team["c2"].id)
    events = history_count(process.id)
    c1 = Browser(app, "c1@example.org")
    assert c1.get(f"/approvals/{theirs.id}").status_code == 403
    response = c1.post(f"/approvals/{theirs.id}", {"decision": "approved"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ApprovalRequest, theirs.id).status == "pending"
    assert history_count(process.id) == events
    assert active(process.id) == {"drafting"}
    # Staff hold no approver role at all.
    assert Browser(app, "staff@example.org").get("/approvals/").status_code == 403


def test_password_is_asked_again_after_fifteen_minutes(app, team, make_process):
    clock.freeze(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    process = make_process("umea")
    request = pending_request(process.id, team["head"].id)
    head = Browser(app, "head@example.org")
    assert 'name="password"' not in head.text("/approvals/")
    clock.shift(timedelta(minutes=16))
    head.get("/")  # stays logged in (not idle for 30 minutes)
    page = head.text("/approvals/")
    assert 'name="password"' in page
    wrong = head.post(f"/approvals/{request.id}", {"decision": "approved", "password": "nope"})
    assert wrong.status_code == 422
    assert active(process.id) == {"idea"}
    right = head.post(
        f"/approvals/{request.id}",
        {"decision": "approved", "password": "correct horse battery staple"},
    )
    assert right.status_code == 302
    assert active(process.id) == {"exploratory_contact"}


def test_missing_csrf_on_a_decision_is_refused(app, team, make_process):
    process = make_process("umea")
    request = pending_request(process.id, team["head"].id)
    response = Browser(app, "head@example.org").post_raw(
        f"/approvals/{request.id}", {"decision": "approved"}
    )
    assert response.status_code == 400
    assert active(process.id) == {"idea"}


def test_decision_page_shows_documents_and_the_round(app, team, make_process):
    process = drive(make_process("umea"), team, "drafting")
    request = pending_request(process.id, team["head"].id)
    page = Browser(app, "head@example.org").text(f"/approvals/{request.id}")
    assert "Σύνταξη σχεδίου πρωτοκόλλου" in page
    assert team["deputy"].name in page  # the others of the round
    assert 'class="decision-form"' in page


def test_a_later_group_sees_nothing_to_decide_until_its_turn(app, team, make_process):
    """Ordered drafting approval: the deputy mayor waits for the head, the committee for both."""
    process = drive(make_process("umea"), team, "drafting")
    deputy_request = pending_request(process.id, team["deputy"].id)
    deputy = Browser(app, "deputy@example.org")
    assert 'class="decision-form"' not in deputy.text("/approvals/")
    page = deputy.text(f"/approvals/{deputy_request.id}")
    assert 'class="decision-form"' not in page
    assert "Δεν είναι ακόμη η σειρά σας" in page and "Προϊστάμενος/η Γραφείου" in page
    file_page = deputy.text(f"/processes/{process.id}")
    assert file_page.count("όχι ακόμη η σειρά τους") == 4  # the deputy and three members
    assert f'href="/approvals/{deputy_request.id}"' not in file_page

    head_request = pending_request(process.id, team["head"].id)
    Browser(app, "head@example.org").post(f"/approvals/{head_request.id}", {"decision": "approved"})
    assert f"/approvals/{deputy_request.id}" in deputy.text("/approvals/")
    assert 'class="decision-form"' in deputy.text(f"/approvals/{deputy_request.id}")
    assert deputy.text(f"/processes/{process.id}").count("όχι ακόμη η σειρά τους") == 3
