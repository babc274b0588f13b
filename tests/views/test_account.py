"""The account page: details, password change, second factor and one's own leave."""

from __future__ import annotations

from datetime import date, timedelta

import pyotp
import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_token
from tracker import clock
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import AuditLog, Delegation, OutboxMessage, User

NEW_PASSWORD = "olive trees along the old road"


def login(client, email, password=PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post(client, path, data=None, page="/account/"):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def today() -> date:
    return to_local(clock.utcnow()).date()


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- details ---------------------------------------------------------------------------------


def test_account_page_needs_login(client):
    response = client.get("/account/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_account_page_shows_details_and_feed_partial(client, team):
    login(client, "staff@example.org")
    page = client.get("/account/").get_data(as_text=True)
    assert "staff@example.org" in page
    assert 'name="notify"' in page and 'value="weekly"' in page
    assert "no-store" in client.get("/account/").headers["Cache-Control"]


def test_details_are_saved_and_audited(client, team):
    login(client, "staff@example.org")
    response = post(client, "/account/", {"name": "Μαρία Π.", "language": "en", "notify": "daily"})
    assert response.status_code == 302
    user = fresh(team["staff"])
    assert (user.name, user.language, user.notify) == ("Μαρία Π.", "en", "daily")
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "account.update")).one()
    assert row.data["notify"] == {"from": "immediate", "to": "daily"}
    assert 'lang="en"' in client.get("/account/").get_data(as_text=True)


def test_bad_details_come_back_with_what_was_typed(client, team):
    login(client, "staff@example.org")
    response = post(client, "/account/", {"name": "", "language": "xx", "notify": "hourly"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="errors"') >= 2
    user = fresh(team["staff"])
    assert (user.language, user.notify) == ("el", "immediate")


def test_details_form_does_not_mass_assign(client, team):
    """Fields that are not on the form (roles, email, is_active) never change."""
    login(client, "viewer@example.org")
    post(
        client,
        "/account/",
        {
            "name": "Viewer",
            "language": "el",
            "notify": "weekly",
            "roles": "admin",
            "email": "boss@example.org",
            "is_active": "0",
            "must_change_password": "y",
        },
    )
    user = fresh(team["viewer"])
    assert user.role_keys == {"viewer"} and user.email == "viewer@example.org"
    assert user.is_active and not user.must_change_password


# --- password --------------------------------------------------------------------------------


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return post(
        client,
        "/account/password",
        {"current": current, "new": new, "confirm": new if confirm is None else confirm},
        page="/account/password",
    )


def test_password_change_asks_the_current_password(client, team):
    login(client, "staff@example.org")
    response = change(client, current="not my password")
    assert response.status_code == 200
    assert 'class="errors"' in response.get_data(as_text=True)
    assert login(client.application.test_client(), "staff@example.org").status_code == 302


def test_password_change_refuses_weak_and_mismatched(client, team):
    login(client, "staff@example.org")
    for new, confirm in (("short", None), ("Password1!", None), ("amarousion", None)):
        assert change(client, new=new, confirm=confirm).status_code == 200
    assert change(client, confirm="something else entirely").status_code == 200
    assert change(client, new=PASSWORD).status_code == 200  # the same one again
    assert fresh(team["staff"]).password_changed_dt is not None
    assert count(AuditLog, AuditLog.action == "password.change") == 0


def test_password_change_ends_other_sessions_but_not_this_one(app, client, team):
    other = app.test_client()
    login(other, "staff@example.org")
    login(client, "staff@example.org")
    assert change(client).status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert count(AuditLog, AuditLog.action == "password.change") == 1
    assert count(OutboxMessage, OutboxMessage.category == "account") == 1  # "was it you?"
    assert login(app.test_client(), "staff@example.org", NEW_PASSWORD).status_code == 302


# --- second factor -----------------------------------------------------------------------------


def test_enrol_second_factor_with_a_code(client, team):
    login(client, "staff@example.org")
    page = client.get("/account/totp").get_data(as_text=True)
    with client.session_transaction() as sess:
        secret = sess["totp_enrol"]
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    assert "<img" not in page  # no QR image fetched from anywhere
    wrong = post(client, "/account/totp", {"code": "000000"}, page="/account/totp")
    assert wrong.status_code == 200 and fresh(team["staff"]).totp_secret is None
    code = pyotp.TOTP(secret).at(clock.utcnow())
    done = post(client, "/account/totp", {"code": code}, page="/account/totp")
    assert done.status_code == 302
    assert fresh(team["staff"]).totp_secret == secret
    assert count(AuditLog, AuditLog.action == "totp.enable") == 1


def test_enrolment_asks_the_password_when_the_login_is_old(client, team):
    login(client, "staff@example.org")
    clock.shift(timedelta(minutes=16))
    client.get("/account/")  # keeps the session alive (idle < 30 min)
    client.get("/account/totp")
    with client.session_transaction() as sess:
        secret = sess["totp_enrol"]
    code = pyotp.TOTP(secret).at(clock.utcnow())
    refused = post(client, "/account/totp", {"code": code}, page="/account/totp")
    assert refused.status_code == 200 and fresh(team["staff"]).totp_secret is None
    done = post(client, "/account/totp", {"code": code, "password": PASSWORD}, page="/account/totp")
    assert done.status_code == 302 and fresh(team["staff"]).totp_secret == secret


def test_turning_the_second_factor_off_needs_the_password(client, team):
    team["staff"].totp_secret = pyotp.random_base32()
    db.session.commit()
    login(client, "staff@example.org")
    code = pyotp.TOTP(team["staff"].totp_secret).at(clock.utcnow())
    client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login")})
    clock.shift(timedelta(minutes=16))
    client.get("/account/")
    wrong = post(client, "/account/totp/disable", {"password": "wrong"}, page="/account/totp")
    assert wrong.status_code == 400 and fresh(team["staff"]).totp_secret
    done = post(client, "/account/totp/disable", {"password": PASSWORD}, page="/account/totp")
    assert done.status_code == 302 and fresh(team["staff"]).totp_secret is None


def test_administrators_must_enrol_when_configured(app, client, team):
    app.config["REQUIRE_ADMIN_TOTP"] = True
    login(client, "admin@example.org")
    for path in ("/", "/admin/users", "/account/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/totp"
    assert client.get("/account/totp").status_code == 200
    other = app.test_client()
    login(other, "staff@example.org")
    assert other.get("/").status_code == 200  # only administrators


# --- leave (own delegations) -----------------------------------------------------------------


def name_substitute(client, substitute, start, end):
    return post(
        client,
        "/account/delegations",
        {
            "substitute": str(substitute.id),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        },
    )


def test_approver_names_a_substitute(client, team):
    login(client, "deputy@example.org")
    start, end = today() + timedelta(days=3), today() + timedelta(days=16)
    response = name_substitute(client, team["head"], start, end)
    assert response.status_code == 302
    row = db.session.scalars(sa.select(Delegation)).one()
    assert (row.user_id, row.substitute_id, row.start_date, row.end_date) == (
        team["deputy"].id,
        team["head"].id,
        start,
        end,
    )
    audit = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "delegation.create")
    ).one()
    assert audit.data["user"] == team["deputy"].name
    assert audit.data["substitute"] == team["head"].name
    page = client.get("/account/").get_data(as_text=True)
    assert team["head"].name in page


def test_substitute_sees_the_delegation_on_their_page(client, team):
    login(client, "deputy@example.org")
    name_substitute(client, team["c1"], today(), today() + timedelta(days=2))
    other = client.application.test_client()
    login(other, "c1@example.org")
    assert team["deputy"].name in other.get("/account/").get_data(as_text=True)


def test_bad_delegations_are_refused_with_reasons(client, team):
    login(client, "deputy@example.org")
    cases = [
        (team["deputy"], today(), today() + timedelta(days=1)),  # oneself
        (team["staff"], today(), today() + timedelta(days=1)),  # cannot approve
        (team["head"], today() + timedelta(days=5), today() + timedelta(days=1)),  # order
        (team["head"], today() - timedelta(days=9), today() - timedelta(days=2)),  # past
    ]
    for substitute, start, end in cases:
        response = name_substitute(client, substitute, start, end)
        assert response.status_code == 200
        assert 'class="errors"' in response.get_data(as_text=True) or "flash-error" in (
            response.get_data(as_text=True)
        )
    assert count(Delegation) == 0


def test_overlapping_leave_is_refused(client, team):
    login(client, "deputy@example.org")
    name_substitute(client, team["head"], today(), today() + timedelta(days=10))
    response = name_substitute(
        client, team["c1"], today() + timedelta(days=5), today() + timedelta(days=12)
    )
    assert response.status_code == 200
    assert count(Delegation) == 1


def test_approver_cancels_own_delegation_but_not_anothers(app, client, team):
    login(client, "deputy@example.org")
    name_substitute(client, team["head"], today(), today() + timedelta(days=10))
    row = db.session.scalars(sa.select(Delegation)).one()
    intruder = app.test_client()
    login(intruder, "c2@example.org")
    assert post(intruder, f"/account/delegations/{row.id}/cancel").status_code == 403
    db.session.refresh(row)
    assert not row.is_cancelled
    assert count(AuditLog, AuditLog.action == "access.denied") == 1
    assert post(client, f"/account/delegations/{row.id}/cancel").status_code == 302
    db.session.refresh(row)
    assert row.is_cancelled
    assert count(AuditLog, AuditLog.action == "delegation.cancel") == 1


def test_viewer_and_staff_cannot_name_substitutes(client, team):
    for email in ("viewer@example.org", "staff@example.org"):
        browser = client.application.test_client()
        login(browser, email)
        assert 'action="/account/delegations"' not in browser.get("/account/").get_data(
            as_text=True
        )
        response = name_substitute(browser, team["head"], today(), today() + timedelta(days=1))
        assert response.status_code == 403
    assert count(Delegation) == 0


def test_the_substitute_list_shows_each_colleagues_roles(client, team):
    login(client, "deputy@example.org")
    page = client.get("/account/").get_data(as_text=True)
    head = team["head"]
    assert f'<option value="{head.id}">{head.name} (Προϊστάμενος/η Γραφείου)</option>' in page
    c1 = team["c1"]
    assert f'<option value="{c1.id}">{c1.name} (Δημοτικός/ή σύμβουλος)</option>' in page
