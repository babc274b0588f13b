"""Administrator pages: accounts and roles, everyone's delegations, workflow settings."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, AuthActions, csrf_token
from tracker import clock
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import (
    ApprovalRequest,
    AuditLog,
    Delegation,
    OutboxMessage,
    Process,
    User,
    WorkflowVersion,
)
from tracker.services import workflows

ADMIN_PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/1",
    "/admin/delegations",
    "/admin/workflows",
    "/admin/workflows/twinning",
    "/admin/workflows/twinning/steps/drafting",
]
ADMIN_POSTS = [
    "/admin/users/new",
    "/admin/users/1",
    "/admin/users/1/deactivate",
    "/admin/users/1/activate",
    "/admin/users/1/invite",
    "/admin/users/1/totp-reset",
    "/admin/delegations",
    "/admin/delegations/1/cancel",
    "/admin/workflows/twinning/steps/drafting",
]


def login(client, email, password=PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post(client, path, data=None, page="/account/"):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def audits(action):
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        )
    )


def today() -> date:
    return to_local(clock.utcnow()).date()


def age_login(client) -> None:
    """Make the log-in older than the 15-minute re-authentication window (session still alive)."""
    clock.shift(timedelta(minutes=10))
    client.get("/admin/")
    clock.shift(timedelta(minutes=10))
    client.get("/admin/")


@pytest.fixture
def admin(client, team):
    login(client, "admin@example.org")
    return client


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["staff@example.org", "head@example.org", "viewer@example.org"])
def test_admin_pages_refuse_everyone_else(client, team, email):
    login(client, email)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    before = count(AuditLog, AuditLog.action != "access.denied")
    for path in ADMIN_POSTS:
        assert post(client, path, {"name": "x", "roles": "admin"}).status_code == 403, path
    assert count(AuditLog, AuditLog.action != "access.denied") == before  # nothing changed
    denied = audits("access.denied")
    assert len(denied) == len(ADMIN_PAGES) + len(ADMIN_POSTS)
    assert denied[-1].data["path"] == ADMIN_POSTS[-1]
    assert denied[-1].data["action"] == "workflow.edit"
    assert denied[-1].actor_id == db.session.scalar(sa.select(User.id).where(User.email == email))


def test_admin_link_only_for_administrators(app, admin, team):
    assert 'href="/admin/"' in admin.get("/").get_data(as_text=True)
    other = app.test_client()
    login(other, "staff@example.org")
    assert 'href="/admin/"' not in other.get("/").get_data(as_text=True)


def test_admin_pages_render(admin, team):
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code == 200, path


# --- users -----------------------------------------------------------------------------------


def create(client, **fields):
    data = {"email": "eleni@example.org", "name": "Ελένη Κ.", "language": "el", "roles": ["staff"]}
    data.update(fields)
    return post(client, "/admin/users/new", data, page="/admin/users/new")


def test_create_account_sends_an_invitation(admin, team):
    response = create(admin, roles=["staff", "council_member"])
    assert response.status_code == 302
    user = db.session.scalars(sa.select(User).where(User.email == "eleni@example.org")).one()
    assert user.role_keys == {"staff", "council_member"} and user.must_change_password
    message = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id)
    ).one()
    assert "/reset/" in message.text_body and message.digest == "immediate"
    row = audits("user.create")[-1]
    assert row.actor_id == team["admin"].id and row.data["roles"] == ["council_member", "staff"]


def test_bad_new_account_comes_back_with_what_was_typed(admin, team):
    response = create(admin, email="staff@example.org", name="Κάποιος", roles=[])
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="Κάποιος"' in page and 'value="staff@example.org"' in page
    response = create(admin, email="taken@", roles=["nonsense"])
    assert response.status_code == 200
    assert count(User) == len(team)


def test_creating_an_account_asks_the_password_after_15_minutes(admin, team):
    age_login(admin)
    assert create(admin).status_code == 200
    assert count(User, User.email == "eleni@example.org") == 0
    assert create(admin, password="wrong password here").status_code == 200
    assert create(admin, password=PASSWORD).status_code == 302
    assert count(User, User.email == "eleni@example.org") == 1


def edit(client, user, **fields):
    data = {"name": user.name, "language": user.language, "roles": sorted(user.role_keys)}
    data.update(fields)
    return post(client, f"/admin/users/{user.id}", data, page=f"/admin/users/{user.id}")


def test_changing_roles_needs_recent_authentication(admin, team):
    c1 = team["c1"]
    age_login(admin)
    refused = edit(admin, c1, roles=["council_member", "head"])
    assert refused.status_code == 200
    assert 'name="password"' in refused.get_data(as_text=True)
    db.session.refresh(c1)
    assert c1.role_keys == {"council_member"}
    assert edit(admin, c1, name="Σύμβουλος Ένα").status_code == 302  # no role change: no password
    done = edit(admin, c1, roles=["council_member", "head"], password=PASSWORD)
    assert done.status_code == 302
    db.session.refresh(c1)
    assert c1.role_keys == {"council_member", "head"}
    row = audits("user.update")[-1]
    assert row.data["roles"] == {"from": ["council_member"], "to": ["council_member", "head"]}


def test_role_change_right_after_login_needs_no_password(admin, team):
    assert edit(admin, team["viewer"], roles=["staff"]).status_code == 302
    db.session.refresh(team["viewer"])
    assert team["viewer"].role_keys == {"staff"}


def test_last_administrator_keeps_the_role(admin, team):
    response = edit(admin, team["admin"], roles=["staff"])
    assert response.status_code == 200
    db.session.refresh(team["admin"])
    assert "admin" in team["admin"].role_keys


def test_unknown_user_is_404(admin, team):
    assert admin.get("/admin/users/9999").status_code == 404
    assert post(admin, "/admin/users/9999/deactivate").status_code == 404


def test_deactivation_ends_sessions_at_once(app, admin, team):
    victim = app.test_client()
    login(victim, "c2@example.org")
    assert victim.get("/").status_code == 200
    assert post(admin, f"/admin/users/{team['c2'].id}/deactivate").status_code == 302
    assert victim.get("/").status_code == 302
    assert login(app.test_client(), "c2@example.org").status_code == 200  # cannot log in
    assert audits("user.deactivate")[-1].data["email"] == "c2@example.org"
    assert post(admin, f"/admin/users/{team['c2'].id}/activate").status_code == 302
    assert login(app.test_client(), "c2@example.org").status_code == 302


def test_administrator_cannot_deactivate_themself(admin, team):
    post(admin, f"/admin/users/{team['admin'].id}/deactivate")
    db.session.refresh(team["admin"])
    assert team["admin"].is_active
    assert admin.get("/admin/").status_code == 200


def test_resend_invitation_and_reset_second_factor(admin, team):
    assert post(admin, f"/admin/users/{team['staff'].id}/invite").status_code == 302
    assert count(OutboxMessage, OutboxMessage.user_id == team["staff"].id) == 1
    team["staff"].totp_secret = "JBSWY3DPEHPK3PXP"
    db.session.commit()
    assert post(admin, f"/admin/users/{team['staff'].id}/totp-reset").status_code == 302
    db.session.refresh(team["staff"])
    assert team["staff"].totp_secret is None
    assert audits("totp.disable")[-1].actor_id == team["admin"].id


# --- delegations -------------------------------------------------------------------------------


def delegate(client, user, substitute, start, end):
    return post(
        client,
        "/admin/delegations",
        {
            "user": str(user.id),
            "substitute": str(substitute.id),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        },
        page="/admin/delegations",
    )


def test_administrator_names_a_substitute_for_anyone(admin, team):
    response = delegate(admin, team["deputy"], team["head"], today(), today() + timedelta(days=13))
    assert response.status_code == 302
    row = audits("delegation.create")[-1]
    assert row.actor_id == team["admin"].id and row.on_behalf_of_id == team["deputy"].id
    assert (row.data["user"], row.data["substitute"]) == (team["deputy"].name, team["head"].name)
    page = admin.get("/admin/delegations").get_data(as_text=True)
    assert team["deputy"].name in page and team["head"].name in page


def test_administrator_cannot_delegate_for_a_non_approver(admin, team):
    response = delegate(admin, team["staff"], team["head"], today(), today() + timedelta(days=2))
    assert response.status_code == 200
    assert count(Delegation) == 0


def test_administrator_cancels_a_delegation(admin, team):
    delegate(admin, team["deputy"], team["head"], today(), today() + timedelta(days=3))
    row = db.session.scalars(sa.select(Delegation)).one()
    assert post(admin, f"/admin/delegations/{row.id}/cancel").status_code == 302
    db.session.refresh(row)
    assert row.is_cancelled
    assert post(admin, "/admin/delegations/999/cancel").status_code == 404


def test_requests_during_leave_reach_the_substitute(admin, team, make_process):
    """Scenario 5: the head is away; the idea's approval goes to the stand-in, on her behalf."""
    delegate(admin, team["head"], team["c1"], today(), today() + timedelta(days=14))
    process = make_process("umea")
    request = db.session.scalars(
        sa.select(ApprovalRequest).where(ApprovalRequest.process_id == process.id)
    ).one()
    assert request.approver_id == team["c1"].id
    assert request.on_behalf_of_id == team["head"].id


# --- workflow settings -------------------------------------------------------------------------


def settings_page(client, state="drafting", name="twinning"):
    page = client.get(f"/admin/workflows/{name}/steps/{state}").get_data(as_text=True)
    return page


def form_fields(page: str) -> dict[str, object]:
    """The form as a browser would send it: inputs, checked boxes, selected options."""
    data: dict[str, object] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio"):
            if " checked" in tag:
                data.setdefault(name.group(1), [])
                data[name.group(1)].append(value.group(1) if value else "y")  # type: ignore[union-attr]
            continue
        data[name.group(1)] = value.group(1).replace("&#34;", '"') if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)"', body
        )
        data[name] = chosen.group(1) if chosen else ""
    data.pop("csrf_token", None)
    return data


def save_settings(client, changes, state="drafting"):
    page = settings_page(client, state)
    data = form_fields(page)
    data.update(changes)
    return post(
        client,
        f"/admin/workflows/twinning/steps/{state}",
        data,
        page=f"/admin/workflows/twinning/steps/{state}",
    )


def test_saving_settings_makes_a_new_version_and_running_files_keep_theirs(
    admin, team, make_process
):
    running = make_process("umea")
    response = save_settings(admin, {"amount": "45", "unit": "working", "comment": "Νέα προθεσμία"})
    assert response.status_code == 302, response.get_data(as_text=True)
    latest = workflows.current("twinning")
    assert latest.version == 2 and latest.comment == "Νέα προθεσμία"
    assert latest.data["states"]["drafting"]["deadline"] == {
        "amount": 45,
        "unit": "working",
        "statutory": False,
    }
    assert (
        workflows.get_version("twinning", 1).data["states"]["drafting"]["deadline"]["amount"] == 30
    )
    db.session.refresh(running)
    assert running.workflow.version == 1
    assert make_process("vilnius").workflow.version == 2
    row = audits("workflow.step_settings")[-1]
    assert (
        row.data["before"]["deadline"]["amount"] == 30
        and row.data["after"]["deadline"]["amount"] == 45
    )
    page = admin.get("/admin/workflows/twinning").get_data(as_text=True)
    assert "Νέα προθεσμία" in page


def test_ladder_and_approvers_are_edited(admin, team):
    changes = {
        "rungs-0-key": "",  # drop the first reminder
        "rungs-6-key": "week_before",
        "rungs-6-offset": "-7",
        "rungs-6-unit": "calendar",
        "rungs-6-anchor": "due",
        "rungs-6-kind": "before",
        "rungs-6-to": "owner, head",
        "groups-2-policy": "at_least",
        "groups-2-n": "2",
        "groups-2-veto": "y",
    }
    assert save_settings(admin, changes).status_code == 302
    step = workflows.current("twinning").data["states"]["drafting"]
    keys = [r["key"] for r in step["ladder"]["rungs"]]
    assert "before_5" not in keys and "week_before" in keys
    week = next(r for r in step["ladder"]["rungs"] if r["key"] == "week_before")
    assert week["to"] == ["owner", "head"] and week["offset"] == -7
    assert step["approval"]["groups"][2] == {
        "roles": ["council_member"],
        "policy": "at_least",
        "n": 2,
        "veto": True,
    }
    assert step["approval"]["ordered"] is True


@pytest.mark.parametrize(
    "changes",
    [
        {"rungs-0-offset": "3"},  # "before" with a positive offset
        {"rungs-0-to": "owner, the_janitor"},
        {"rungs-0-offset": ""},
        {"groups-2-policy": "at_least", "groups-2-n": ""},
        {"amount": "-4"},
        {"unit": "fortnights"},
        {"groups-0-policy": "dictator"},
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(admin, team, changes):
    response = save_settings(admin, changes)
    assert response.status_code == 200
    assert count(WorkflowVersion, WorkflowVersion.name == "twinning") == 1


def test_settings_saved_meanwhile_are_not_overwritten(app, admin, team):
    page = settings_page(admin)
    data = form_fields(page)
    other = app.test_client()
    login(other, "admin@example.org")
    assert save_settings(other, {"amount": "40"}).status_code == 302
    data["amount"] = "50"
    response = post(
        admin,
        "/admin/workflows/twinning/steps/drafting",
        data,
        page="/admin/workflows/twinning/steps/drafting",
    )
    assert response.status_code == 200
    latest = workflows.current("twinning")
    assert latest.version == 2 and latest.data["states"]["drafting"]["deadline"]["amount"] == 40


def test_unknown_workflow_or_step_is_404(admin, team):
    assert admin.get("/admin/workflows/nope").status_code == 404
    assert admin.get("/admin/workflows/twinning/steps/nope").status_code == 404


def test_removing_the_deadline_removes_its_reminders(admin, team):
    data = {"has_deadline": []}
    assert save_settings(admin, data, state="letter_of_intent").status_code == 302
    step = workflows.current("twinning").data["states"]["letter_of_intent"]
    assert "deadline" not in step and "ladder" not in step
    assert count(Process) == 0


def test_the_admin_overview_counts_in_the_right_number(
    auth: AuthActions, make_user: Callable[..., User]
) -> None:
    """One account reads "1 ενεργός λογαριασμός", not "1 ενεργοί λογαριασμοί"."""
    make_user("admin", email="solo-admin@example.org")
    auth.login("solo-admin@example.org")
    page = auth.client.get("/admin/").get_data(as_text=True)
    assert "1 ενεργός λογαριασμός, 0 απενεργοποιημένοι." in page
    assert "0 τρέχουσες ή προγραμματισμένες αναπληρώσεις." in page
    make_user("staff", email="second@example.org")
    page = auth.client.get("/admin/").get_data(as_text=True)
    assert "2 ενεργοί λογαριασμοί, 0 απενεργοποιημένοι." in page


def test_a_stale_settings_page_keeps_what_was_typed_and_saves_on_the_second_try(admin, team):
    """Two administrators: the second one's save meets version 2 and is refused once; what
    she typed is still on the page, which now carries version 2, so saving again works."""
    stale = form_fields(settings_page(admin, "drafting"))
    assert save_settings(admin, {"amount": "45", "unit": "working"}).status_code == 302
    typed = {**stale, "amount": "50", "unit": "working", "comment": "Δεύτερη"}
    refused = post(
        admin,
        "/admin/workflows/twinning/steps/drafting",
        typed,
        page="/admin/workflows/twinning/steps/drafting",
    )
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "άλλαξαν στο μεταξύ (τώρα έκδοση 2)" in page and "αποθηκεύστε ξανά" in page
    again = form_fields(page)
    assert again["amount"] == "50" and again["seen_version"] == "2"
    saved = post(
        admin,
        "/admin/workflows/twinning/steps/drafting",
        again,
        page="/admin/workflows/twinning/steps/drafting",
    )
    assert saved.status_code == 302
    assert workflows.current("twinning").data["states"]["drafting"]["deadline"]["amount"] == 50
