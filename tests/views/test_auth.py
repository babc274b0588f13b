"""Logging in and out: sessions that really end, remember-me, fixation, ``next``, throttling,
password reset, first log-in and the second factor — all through the real forms, CSRF on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pyotp
import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import PASSWORD, csrf_token
from tests.views.screens import Browser
from tracker import clock, create_app
from tracker.extensions import db
from tracker.models import AuditLog, LoginAttempt, OutboxMessage, User
from tracker.services import accounts

NEW_PASSWORD = "a walk along the kifisias avenue"


# --- helpers ---------------------------------------------------------------------------------


def login(client, email, password=PASSWORD, remember=False, next_="", ip="127.0.0.1"):
    token = csrf_token(client, "/login")
    data = {"email": email, "password": password, "csrf_token": token, "next": next_}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": ip})


def post(client, path, data=None, page="/account/", **kw):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)}, **kw)


def logged_in(client) -> bool:
    """Whether the client's cookies open the dashboard."""
    return client.get("/").status_code == 200


def audit_actions(*actions):
    return list(
        db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action.in_(actions)).order_by(AuditLog.id)
        )
    )


def outbox_for(user: User) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.user_id == user.id)
            .order_by(OutboxMessage.id)
        )
    )


LINK_RE = re.compile(r"http://localhost(/reset/[^\s]+)")


def emailed_link(user: User) -> str:
    links = [m for msg in outbox_for(user) for m in LINK_RE.findall(msg.text_body)]
    assert links, "no link in the outbox"
    return links[-1]


def request_reset(client, email, ip="127.0.0.1"):
    return client.post(
        "/reset",
        data={"email": email, "csrf_token": csrf_token(client, "/reset")},
        environ_base={"REMOTE_ADDR": ip},
    )


def set_password_via(client, link, password=NEW_PASSWORD):
    opened = client.get(link)
    if opened.status_code != 302:
        return opened
    page = opened.headers["Location"]
    return client.post(
        page,
        data={"password": password, "confirm": password, "csrf_token": csrf_token(client, page)},
    )


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', "", page)


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


# --- log in / log out ------------------------------------------------------------------------


def test_login_success_is_audited_with_address(client, team):
    response = login(client, "staff@example.org", ip="10.1.2.3")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    row = audit_actions("login.success")[-1]
    assert row.actor_id == team["staff"].id and row.ip == "10.1.2.3"
    assert PASSWORD not in str(row.data)


def test_wrong_password_and_unknown_email_answer_the_same(client, team):
    wrong = login(client, "staff@example.org", "not the password at all")
    unknown = login(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    pages = [without_tokens(r.get_data(as_text=True)) for r in (wrong, unknown)]
    assert "Το email ή ο κωδικός δεν είναι σωστά." in pages[0]
    assert pages[0].replace("staff@", "nobody@") == pages[1]
    assert not logged_in(client)
    failures = audit_actions("login.failure")
    assert [f.data["email"] for f in failures] == ["staff@example.org", "nobody@example.org"]
    assert all("not the password" not in str(f.data) for f in failures)


def test_form_keeps_the_typed_email_but_never_the_password(client, team):
    page = login(client, "staff@example.org", "wrong password typed").get_data(as_text=True)
    assert 'value="staff@example.org"' in page
    assert "wrong password typed" not in page


def test_inactive_account_cannot_log_in(client, team):
    team["c1"].is_active = False
    db.session.commit()
    assert login(client, "c1@example.org").status_code == 200
    assert not logged_in(client)


def test_login_without_csrf_token_is_refused(client, team):
    response = client.post("/login", data={"email": "staff@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert not logged_in(client)


def test_logout_is_post_only_and_audited(client, team):
    login(client, "staff@example.org")
    assert client.get("/logout").status_code == 405
    assert post(client, "/logout", page="/").status_code == 302
    assert not logged_in(client)
    assert audit_actions("logout")[-1].actor_id == team["staff"].id


def test_session_cookie_copied_before_logout_is_dead_after(app, client, team):
    login(client, "staff@example.org")
    stolen = session_cookie(client)
    post(client, "/logout", page="/")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_the_sessions_on_other_computers_too(app, client, team):
    other = app.test_client()
    login(client, "staff@example.org")
    login(other, "staff@example.org")
    post(client, "/logout", page="/")
    assert not logged_in(other)


def test_session_is_renewed_at_login(client, team):
    """Session fixation: nothing planted before the log-in survives it."""
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    before = session_cookie(client)
    login(client, "staff@example.org")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == team["staff"].get_id()
    assert session_cookie(client) != before


def test_chosen_language_survives_login(client, team):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    login(client, "staff@example.org")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_pages_before_log_in_are_greek_whatever_the_browser_language(client, team):
    """A councillor on an English-language office computer follows an email link:
    the log-in page and the invitation page are Greek, English one click away."""
    english = {"Accept-Language": "en-US,en;q=0.9"}
    response = client.get("/approvals/7", headers=english)
    page = client.get(response.headers["Location"], headers=english).get_data(as_text=True)
    assert 'lang="el"' in page and "Σύνδεση" in page and "Log in" not in page
    user = accounts.invite_user("newbie@example.org", "Νέα Συνάδελφος", ["staff"], team["admin"])
    db.session.commit()
    opened = client.get(emailed_link(user), headers=english)
    page = client.get(opened.headers["Location"], headers=english).get_data(as_text=True)
    assert 'lang="el"' in page and "Choose your password" not in page


def test_idle_timeout_ends_the_session(client, team):
    login(client, "staff@example.org")
    clock.shift(timedelta(minutes=31))
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not logged_in(client)


def test_chosen_language_survives_an_idle_timeout(app, team):
    staff = Browser(app, "staff@example.org")  # a fresh ``g`` per request, as in a server
    staff.language("en")
    clock.shift(timedelta(minutes=31))
    response = staff.get("/processes/new")
    assert "/login" in response.headers["Location"]
    page = staff.text(response.headers["Location"])
    assert 'lang="en"' in page and "Log in" in page
    staff.login("staff@example.org")
    assert 'lang="en"' in staff.text("/")


def test_account_language_survives_expiry_and_logout(app, team):
    team["staff"].language = "en"
    db.session.commit()
    staff = Browser(app, "staff@example.org")
    clock.shift(timedelta(hours=13))  # past the absolute timeout
    response = staff.get("/")
    assert 'lang="en"' in staff.text(response.headers["Location"])
    staff.login("staff@example.org")
    assert staff.post("/logout").status_code == 302
    page = staff.text("/login")
    assert 'lang="en"' in page and "You have logged out." in page


def test_absolute_timeout_ends_an_active_session(client, team):
    login(client, "staff@example.org")
    for _ in range(25):  # busy all day: a click every 29 minutes
        clock.shift(timedelta(minutes=29))
        if client.get("/").status_code != 200:
            break
    assert not logged_in(client)


# --- next ------------------------------------------------------------------------------------

OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/evil.example",
    "//evil.example/%2F..",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    "/\tevil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    "\x00/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    " //evil.example",
    "/" + "a" * 2100,
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leads_off_site(client, team, target):
    response = login(client, "staff@example.org", next_=target)
    if "\x00" in target:  # no column can store a NUL: the request is refused whole (400)
        assert response.status_code == 400
        return
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE[:12])
def test_language_switch_never_leads_off_site(client, target):
    token = csrf_token(client, "/login")
    response = client.post("/language/en", data={"csrf_token": token, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_next_on_this_site_is_followed(client, team):
    response = login(client, "c1@example.org", next_="/approvals/?x=1")
    assert response.headers["Location"] == "/approvals/?x=1"


def test_protected_page_sends_to_login_and_back(client, team):
    response = client.get("/approvals/")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    page = client.get(login_url).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', page).group(1)
    assert next_value.startswith("/approvals/")
    back = login(client, "c1@example.org", next_=next_value.replace("&amp;", "&"))
    assert back.headers["Location"].startswith("/approvals/")


# --- remember me -----------------------------------------------------------------------------


def remembered(app, cookie) -> bool:
    """A fresh browser holding only the remember-me cookie: does it get in?"""
    browser = app.test_client()
    browser.set_cookie("remember_token", cookie)
    return logged_in(browser)


def remember_cookie(client, email="staff@example.org") -> str:
    response = login(client, email, remember=True)
    header = next(h for h in response.headers.getlist("Set-Cookie") if "remember_token=" in h)
    assert "HttpOnly" in header and "SameSite=Lax" in header
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))
    assert expires <= datetime.now(UTC) + timedelta(days=30, minutes=1)
    return client.get_cookie("remember_token").value


def test_remember_me_restores_a_session_without_fresh_password(app, client, team):
    cookie = remember_cookie(client)
    browser = app.test_client()
    browser.set_cookie("remember_token", cookie)
    assert logged_in(browser)
    with browser.session_transaction() as sess:
        assert sess["auth_at"] == 0  # approving or voting will ask for the password
    assert audit_actions("login.remembered")[-1].actor_id == team["staff"].id


def test_remember_cookie_is_secure_when_configured(app, client, team):
    app.config["REMEMBER_COOKIE_SECURE"] = True
    response = login(client, "staff@example.org", remember=True)
    header = next(h for h in response.headers.getlist("Set-Cookie") if "remember_token=" in h)
    assert "Secure" in header
    assert TestingConfig.REMEMBER_COOKIE_SAMESITE == "Lax"


def test_production_config_makes_cookies_secure():
    from config import ProductionConfig

    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE


def test_remember_cookie_is_capped_at_30_days(db_url, tmp_path):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=db_url,
        REMEMBER_COOKIE_DURATION=timedelta(days=365),
        UPLOAD_DIR=tmp_path,
    )
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    with app.app_context():
        db.engine.dispose()


def test_remember_cookie_dies_at_logout(app, client, team):
    cookie = remember_cookie(client)
    response = post(client, "/logout", page="/")
    assert any(
        "remember_token=;" in h or "remember_token=; " in h
        for h in response.headers.getlist("Set-Cookie")
    )
    assert not remembered(app, cookie)


def test_remember_cookie_dies_with_a_password_change(app, client, team):
    cookie = remember_cookie(client)
    other = app.test_client()
    login(other, "staff@example.org")
    post(
        other,
        "/account/password",
        {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page="/account/password",
    )
    assert not remembered(app, cookie)


def test_remember_cookie_dies_with_deactivation(app, client, team):
    cookie = remember_cookie(client)
    accounts.set_active(team["staff"], False, team["admin"])
    db.session.commit()
    assert not remembered(app, cookie)


# --- throttling ------------------------------------------------------------------------------


def fail(client, email, ip):
    return login(client, email, "this is a wrong guess", ip=ip)


def test_account_is_throttled_after_100_failures_from_many_addresses(client, team):
    for i in range(100):
        assert (
            fail(client, "staff@example.org", f"10.0.{i // 200}.{i % 200 + 1}").status_code == 200
        )
    blocked = login(client, "staff@example.org", ip="192.0.2.9")  # the right password
    assert blocked.status_code == 429
    assert not logged_in(client)
    assert audit_actions("login.throttled")
    # ...and the same for an address that has no account: nothing to enumerate
    for i in range(100):
        db.session.add(LoginAttempt(email="ghost@example.org", ip=f"10.9.0.{i}", success=False))
    db.session.commit()
    assert login(client, "ghost@example.org", ip="192.0.2.9").status_code == 429


def test_throttled_user_gets_back_in_after_the_window(client, team):
    for i in range(100):
        db.session.add(LoginAttempt(email="staff@example.org", ip=f"10.0.0.{i}", success=False))
    db.session.commit()
    assert login(client, "staff@example.org").status_code == 429
    clock.shift(timedelta(minutes=61))
    assert login(client, "staff@example.org").status_code == 302


def test_throttled_user_gets_back_in_by_resetting_the_password(client, team):
    for i in range(100):
        db.session.add(LoginAttempt(email="staff@example.org", ip=f"10.0.0.{i}", success=False))
    db.session.commit()
    assert login(client, "staff@example.org").status_code == 429
    request_reset(client, "staff@example.org")
    set_password_via(client, emailed_link(team["staff"]))
    assert login(client, "staff@example.org", NEW_PASSWORD).status_code == 302


def test_address_is_throttled_across_accounts(client, team):
    for i in range(30):
        fail(client, f"guess{i}@example.org", "203.0.113.7")
    assert login(client, "staff@example.org", ip="203.0.113.7").status_code == 429
    assert login(client, "staff@example.org", ip="198.51.100.1").status_code == 302


def test_throttle_is_shared_by_workers(app, client, team, db_url, tmp_path):
    """A second application process on the same database sees the same failures."""
    other = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=db_url, UPLOAD_DIR=tmp_path)
    other_client = other.test_client()
    for i in range(30):
        fail(other_client, f"guess{i}@example.org", "203.0.113.8")
    with other.app_context():
        db.engine.dispose()
    assert login(client, "staff@example.org", ip="203.0.113.8").status_code == 429


# --- password reset --------------------------------------------------------------------------


def test_reset_gives_the_same_answer_for_unknown_addresses(client, team):
    known = request_reset(client, "staff@example.org")
    unknown = request_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert client.get(known.headers["Location"]).status_code == 200
    assert len(outbox_for(team["staff"])) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1


def test_reset_link_sets_a_new_password_once(client, team):
    request_reset(client, "staff@example.org")
    link = emailed_link(team["staff"])
    message = outbox_for(team["staff"])[-1]
    assert message.digest == "immediate"
    done = set_password_via(client, link)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert login(client, "staff@example.org", NEW_PASSWORD).status_code == 302
    post(client, "/logout", page="/")
    again = client.get(link)
    assert again.status_code == 400
    assert "no-store" in again.headers["Cache-Control"]
    assert audit_actions("password.reset")[-1].actor_id == team["staff"].id
    assert all(
        link.split("/")[-1] not in str(row.data) for row in db.session.scalars(sa.select(AuditLog))
    )


def test_reset_link_expires_after_an_hour(client, team):
    request_reset(client, "staff@example.org")
    link = emailed_link(team["staff"])
    clock.shift(timedelta(minutes=61))
    assert client.get(link).status_code == 400
    assert login(client, "staff@example.org").status_code == 302  # the old password still works


def test_reset_link_dies_when_the_password_changes_otherwise(client, team):
    request_reset(client, "staff@example.org")
    link = emailed_link(team["staff"])
    accounts.change_password(team["staff"], PASSWORD, NEW_PASSWORD)
    db.session.commit()
    assert client.get(link).status_code == 400


def test_tampered_reset_link_is_refused(client, team):
    request_reset(client, "staff@example.org")
    link = emailed_link(team["staff"])
    assert client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB")).status_code == 400
    assert client.get("/reset/password").status_code == 400  # no token in the session


def test_reset_refuses_a_weak_password_and_keeps_the_link(client, team):
    request_reset(client, "staff@example.org")
    link = emailed_link(team["staff"])
    response = set_password_via(client, link, "Password1!")
    assert response.status_code == 200
    assert "password_common" not in response.get_data(as_text=True)
    assert set_password_via(client, link).status_code == 302


def test_reset_emails_are_capped_per_account(client, team):
    for _ in range(5):
        request_reset(client, "staff@example.org")
    assert len(outbox_for(team["staff"])) == 3


def test_reset_ends_existing_sessions(app, client, team):
    login(client, "staff@example.org")
    browser = app.test_client()
    request_reset(browser, "staff@example.org")
    set_password_via(browser, emailed_link(team["staff"]))
    assert not logged_in(client)


# --- first log-in --------------------------------------------------------------------------


def test_first_login_forces_a_password_change(client, make_user):
    user = make_user("staff", email="new@example.org", must_change_password=True)
    response = login(client, "new@example.org")
    assert response.status_code == 302
    for path in ("/", "/approvals/", "/account/"):
        forced = client.get(path)
        assert forced.status_code == 302 and forced.headers["Location"] == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert "temporary password" in page or "προσωρινό" in page
    done = post(
        client,
        "/account/password",
        {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page="/account/password",
    )
    assert done.status_code == 302
    assert logged_in(client)
    db.session.refresh(user)
    assert not user.must_change_password


def test_invited_colleague_sets_a_password_from_the_email(client, team):
    user = accounts.invite_user("newbie@example.org", "Νέα Συνάδελφος", ["staff"], team["admin"])
    db.session.commit()
    assert login(client, "newbie@example.org", "anything at all really").status_code == 200
    set_password_via(client, emailed_link(user))
    assert login(client, "newbie@example.org", NEW_PASSWORD).status_code == 302
    assert logged_in(client)


def test_greek_invitation_reads_well(client, team):
    """Whatever the hour it arrives, and with the article Greek needs."""
    user = accounts.invite_user("newbie@example.org", "Νέα Συνάδελφος", ["staff"], team["admin"])
    db.session.commit()
    body = outbox_for(user)[-1].text_body
    assert body.startswith("Καλώς ήρθατε, Νέα Συνάδελφος.")
    assert "Δημιουργήθηκε ο λογαριασμός σας στο Twinning Tracker του Δήμου Αμαρουσίου." in body


def test_invitation_link_works_for_a_week(client, team):
    user = accounts.invite_user("late@example.org", "Late Colleague", ["staff"], team["admin"])
    db.session.commit()
    link = emailed_link(user)
    clock.shift(timedelta(days=6))
    assert client.get(link).status_code == 302
    clock.shift(timedelta(days=2))
    assert client.get(link).status_code == 400


# --- second factor -----------------------------------------------------------------------------


def enable_totp(user: User) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    user.totp_secret = secret
    db.session.commit()
    return pyotp.TOTP(secret)


def code_now(totp: pyotp.TOTP, steps: int = 0) -> str:
    return totp.at(clock.utcnow() + timedelta(seconds=30 * steps))


def send_code(client, code):
    return client.post(
        "/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login")}
    )


def test_second_factor_is_asked_after_the_password(client, team):
    totp = enable_totp(team["staff"])
    response = login(client, "staff@example.org", next_="/approvals/")
    assert response.headers["Location"] == "/login/code"
    assert not logged_in(client)
    assert (
        send_code(client, "000000" if code_now(totp) != "000000" else "111111").status_code == 200
    )
    assert not logged_in(client)
    done = send_code(client, code_now(totp))
    assert done.status_code == 302 and done.headers["Location"] == "/approvals/"
    assert audit_actions("login.success")[-1].data["second_factor"] is True


def test_a_code_is_accepted_only_once(app, client, team):
    totp = enable_totp(team["staff"])
    clock.freeze(datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC))
    code = code_now(totp)
    login(client, "staff@example.org")
    assert send_code(client, code).status_code == 302
    other = app.test_client()
    login(other, "staff@example.org")
    assert send_code(other, code).status_code == 200  # replayed: refused
    assert not logged_in(other)


def test_wrong_codes_count_towards_the_limit(client, team):
    enable_totp(team["staff"])
    login(client, "staff@example.org")
    for _ in range(5):
        send_code(client, "12345x")
    assert client.get("/login/code").status_code == 302  # back to the password after 5
    attempts = db.session.scalar(
        sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.kind == "totp")
    )
    assert attempts == 5


def test_pending_second_factor_expires(client, team):
    totp = enable_totp(team["staff"])
    login(client, "staff@example.org")
    clock.shift(timedelta(minutes=6))
    assert send_code(client, code_now(totp)).status_code == 302
    assert not logged_in(client)


def test_code_page_without_a_password_first_goes_to_login(client, team):
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
