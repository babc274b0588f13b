"""Personal API tokens: the service and the /account/tokens page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from tests.conftest import PASSWORD, csrf_token
from tracker import clock
from tracker.api import serial
from tracker.extensions import db
from tracker.models import ApiToken, AuditLog
from tracker.services import tokens
from tracker.services.errors import Forbidden, Invalid, NotFound

SECRET_RE = re.compile(r"tt_[A-Za-z0-9_-]{40,}")


def login(auth, email: str) -> None:
    """Log in, then drop the CSRF token Flask-WTF cached in ``g``.

    The ``app`` fixture keeps one app context for the whole test, so ``g``
    outlives each request; login clears the session, and the cached token
    would no longer match it (a real server starts every request afresh).
    """
    assert auth.login(email).status_code == 302
    g.pop("csrf_token", None)


def test_only_a_hash_is_stored_and_the_secret_authenticates(app, team):
    token, secret = tokens.create(team["staff"], "  minutes   script ")
    db.session.commit()
    assert token.name == "minutes script"
    assert secret.startswith("tt_") and len(secret) >= 40
    assert token.token_hash == tokens.digest(secret) and secret not in token.token_hash
    assert secret.startswith(token.prefix) and len(token.prefix) == 11
    assert tokens.authenticate(secret).id == token.id
    assert tokens.authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert tokens.authenticate(token.token_hash) is None
    actions = db.session.scalars(sa.select(AuditLog.action)).all()
    assert "token.create" in actions and secret not in repr(
        db.session.scalars(sa.select(AuditLog.data)).all()
    )


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_name_is_required_and_bounded(app, team, name):
    with pytest.raises(Invalid) as refused:
        tokens.create(team["staff"], name)
    assert set(refused.value.fields) == {"name"}


def test_nobody_revokes_someone_elses_token(app, team):
    token, secret = tokens.create(team["staff"], "mine")
    db.session.commit()
    with pytest.raises(Forbidden):
        tokens.revoke(token.id, team["head"])
    with pytest.raises(NotFound):
        tokens.revoke(token.id + 1000, team["head"])
    assert tokens.authenticate(secret) is not None


def test_page_creates_a_token_shown_once(auth, client, team, api):
    login(auth, "staff@example.org")
    page = client.get("/account/tokens/")
    assert page.status_code == 200
    response = auth.post("/account/tokens/", {"name": "minutes"}, page="/account/tokens/")
    assert response.status_code == 201
    secret = SECRET_RE.search(response.get_data(as_text=True)).group(0)
    assert response.headers["Cache-Control"] == "no-store"
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json()["email"] == "staff@example.org"
    # The script sees which token it runs on and when that stops working (90 days: the default).
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert me.get_json()["token"] == {
        "name": "minutes",
        "prefix": token.prefix,
        "expires_at": serial.dt(token.expires_at),
    }
    assert (token.expires_at - token.created_dt).days == 90
    again = client.get("/account/tokens/").get_data(as_text=True)
    assert secret not in again and secret[:11] in again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_page_refuses_without_csrf_or_name(auth, client, team):
    login(auth, "staff@example.org")
    assert client.post("/account/tokens/", data={"name": "x"}).status_code == 400
    empty = auth.post("/account/tokens/", {"name": ""}, page="/account/tokens/")
    assert empty.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_an_old_login_must_confirm_the_password(auth, client, team):
    login(auth, "staff@example.org")
    clock.shift(timedelta(minutes=20))
    client.get("/account/tokens/")  # keep the session alive (idle limit is 30 minutes)
    wrong = auth.post(
        "/account/tokens/", {"name": "x", "password": "not it at all"}, page="/account/tokens/"
    )
    assert wrong.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    right = auth.post(
        "/account/tokens/", {"name": "x", "password": PASSWORD}, page="/account/tokens/"
    )
    assert right.status_code == 201


def test_revoke_from_the_page(auth, client, team, api):
    token, secret = tokens.create(team["staff"], "old")
    other, other_secret = tokens.create(team["head"], "theirs")
    db.session.commit()
    login(auth, "staff@example.org")
    token_value = csrf_token(client, "/account/tokens/")
    stolen = client.post(f"/account/tokens/{other.id}/revoke", data={"csrf_token": token_value})
    assert stolen.status_code == 403
    done = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": token_value})
    assert done.status_code == 302
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/api/v1/me", headers=headers).status_code == 401
    headers = {"Authorization": f"Bearer {other_secret}"}
    assert api.client.get("/api/v1/me", headers=headers).status_code == 200


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Expiry: every token is made with a lifetime and stops working after it. ---

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def expired_error(response) -> dict:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.parametrize("days", tokens.LIFETIMES)
def test_each_lifetime_sets_the_expiry(app, team, days):
    clock.freeze(T0)
    token, _secret = tokens.create(team["staff"], "script", days)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).expires_at == T0 + timedelta(days=days)
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "token.create")).one()
    assert row.data["lifetime_days"] == days


def test_the_default_lifetime_is_90_days(app, team):
    clock.freeze(T0)
    token, _secret = tokens.create(team["staff"], "script")
    assert tokens.DEFAULT_LIFETIME == 90
    assert token.expires_at == T0 + timedelta(days=90)


@pytest.mark.parametrize("days", [0, -30, 7, 91, 366, 3650, True, "90", None])
def test_a_lifetime_outside_the_choices_is_refused(app, team, days):
    with pytest.raises(Invalid) as refused:
        tokens.create(team["staff"], "script", days)
    assert set(refused.value.fields) == {"lifetime"}
    assert [r.code for r in refused.value.fields["lifetime"]] == ["unknown_value"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_service_rule_works_until_not_at_the_expiry(app, team):
    clock.freeze(T0)
    token, secret = tokens.create(team["staff"], "script", 30)
    db.session.commit()
    end = T0 + timedelta(days=30)
    assert not tokens.is_expired(token, end - timedelta(seconds=1))
    assert tokens.is_expired(token, end)
    assert tokens.check(secret, end - timedelta(seconds=1)) == (token, "")
    assert tokens.check(secret, end) == (None, tokens.EXPIRED)
    assert tokens.authenticate(secret, end) is None
    clock.freeze(end)
    assert tokens.authenticate(secret) is None  # the clock's now by default


def test_an_expired_token_is_401_token_expired(app, team, api):
    clock.freeze(T0)
    _token, secret = tokens.create(team["staff"], "nightly", 30)
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    clock.freeze(T0 + timedelta(days=30) - timedelta(seconds=1))
    assert api.get("/me", headers=headers).status_code == 200
    clock.freeze(T0 + timedelta(days=30))
    error = expired_error(api.get("/me", headers=headers))
    assert error["code"] == "token_expired"
    assert (
        error["message"] == "The personal token has expired; create a new one at /account/tokens."
    )
    assert error["details"] == {}
    greek = expired_error(api.get("/processes", headers=headers, lang="el"))
    assert greek["code"] == "token_expired" and "έχει λήξει" in greek["message"]
    posted = api.post("/processes", {"kind": "twinning", "partner": "umea"}, headers=headers)
    assert expired_error(posted)["code"] == "token_expired"
    # public routes still answer, as for any bad token
    assert api.get("/openapi.json", headers=headers).status_code == 200


def test_revoked_unknown_or_deactivated_stay_unauthorized_even_when_expired(app, team, api):
    clock.freeze(T0)
    revoked, revoked_secret = tokens.create(team["staff"], "old", 30)
    _head_token, head_secret = tokens.create(team["head"], "head", 30)
    tokens.revoke(revoked.id, team["staff"])
    team["head"].is_active = False
    db.session.commit()
    for moment in (T0 + timedelta(days=1), T0 + timedelta(days=31)):
        clock.freeze(moment)
        for secret in (revoked_secret, head_secret, "tt_" + "x" * 43):
            response = api.get("/me", headers={"Authorization": f"Bearer {secret}"})
            assert expired_error(response)["code"] == "unauthorized", (moment, secret[:11])


def test_housekeeping_keeps_expired_tokens_and_they_still_do_not_work(app, team, api):
    from tracker import jobs

    clock.freeze(T0)
    token, secret = tokens.create(team["staff"], "history", 30)
    db.session.commit()
    clock.freeze(T0 + timedelta(days=400))
    jobs.housekeeping()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id) is not None
    response = api.get("/me", headers={"Authorization": f"Bearer {secret}"})
    assert expired_error(response)["code"] == "token_expired"


def test_the_form_offers_exactly_the_service_lifetimes(auth, client, team):
    from tracker.forms.tokens import LIFETIME_LABELS

    assert tuple(LIFETIME_LABELS) == tokens.LIFETIMES
    login(auth, "staff@example.org")
    page = client.get("/account/tokens/").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="lifetime"[^>]*>(.*?)</select>', page, re.S).group(1)
    values = re.findall(r'<option[^>]*value="(\d+)"', select)
    assert values == [str(d) for d in tokens.LIFETIMES]
    assert re.search(r'<option selected value="90"|<option value="90" selected', select)


@pytest.mark.parametrize("days", tokens.LIFETIMES)
def test_page_creates_a_token_with_each_lifetime(auth, client, team, api, days):
    clock.freeze(T0)
    login(auth, "staff@example.org")
    response = auth.post(
        "/account/tokens/", {"name": "minutes", "lifetime": str(days)}, page="/account/tokens/"
    )
    assert response.status_code == 201
    (token,) = db.session.scalars(sa.select(ApiToken)).all()
    assert token.expires_at == T0 + timedelta(days=days)
    until = {30: "1 Απρ 2026, 12:00", 90: "31 Μαΐ 2026, 12:00", 365: "2 Μαρ 2027, 11:00"}[days]
    assert f"Ισχύει έως {until}" in response.get_data(as_text=True)  # Athens time
    secret = SECRET_RE.search(response.get_data(as_text=True)).group(0)
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200


def test_page_without_a_lifetime_gives_the_default(auth, client, team):
    clock.freeze(T0)
    login(auth, "staff@example.org")
    response = auth.post("/account/tokens/", {"name": "minutes"}, page="/account/tokens/")
    assert response.status_code == 201
    (token,) = db.session.scalars(sa.select(ApiToken)).all()
    assert token.expires_at == T0 + timedelta(days=90)


@pytest.mark.parametrize("value", ["7", "91", "abc", "", "-30", "9_0", "٩٠", "90.0"])
def test_an_invalid_lifetime_comes_back_with_its_message(auth, client, team, value):
    login(auth, "staff@example.org")
    response = auth.post(
        "/account/tokens/", {"name": "minutes", "lifetime": value}, page="/account/tokens/"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = re.search(r'<ul class="errors" id="lifetime-err">(.*?)</ul>', page, re.S)
    assert errors and errors.group(1).strip() == "<li>Άγνωστη επιλογή</li>", page
    assert 'id="name-err"' not in page
    assert 'value="minutes"' in page  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_list_shows_each_expiry_and_marks_expired_ones(auth, client, team):
    clock.freeze(T0)
    old, _ = tokens.create(team["staff"], "short-lived", 30)
    live, _ = tokens.create(team["staff"], "long-lived", 365)
    db.session.commit()
    clock.freeze(T0 + timedelta(days=45))
    login(auth, "staff@example.org")
    page = client.get("/account/tokens/").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>(.*?)</tr>", page, re.S)
    assert [name for name, _rest in rows] == ["long-lived", "short-lived"]  # live ones first
    by_name = dict(rows)
    # 1 Apr 2026 09:00 UTC is 12:00 in Athens (summer time); 2 Mar 2027 09:00 UTC is 11:00
    assert "1 Απρ 2026, 12:00" in by_name["short-lived"] and "έληξε" in by_name["short-lived"]
    assert "Ανάκληση" not in by_name["short-lived"]
    assert "2 Μαρ 2027, 11:00" in by_name["long-lived"] and "έληξε" not in by_name["long-lived"]
    assert "ενεργό" in by_name["long-lived"] and "ενεργό" not in by_name["short-lived"]
    assert "Ανάκληση" in by_name["long-lived"]
    assert {old.id, live.id} == set(db.session.scalars(sa.select(ApiToken.id)))


def test_create_token_from_the_command_line_with_a_lifetime(runner, team):
    clock.freeze(T0)
    made = runner.invoke(
        args=["tracker", "create-token", "staff@example.org", "--name", "ci", "--days", "30"]
    )
    assert made.exit_code == 0, made.output
    assert "valid until 2026-04-01 09:00 UTC" in made.stderr
    (token,) = db.session.scalars(sa.select(ApiToken)).all()
    assert token.expires_at == T0 + timedelta(days=30)
    refused = runner.invoke(
        args=["tracker", "create-token", "staff@example.org", "--name", "x", "--days", "7"]
    )
    assert refused.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_the_account_page_leads_to_the_tokens(auth, client, team):
    login(auth, "staff@example.org")
    page = client.get("/account/").get_data(as_text=True)
    assert '<a href="/account/tokens/">Διακριτικά API</a>' in page


def test_page_writes_dates_as_every_page_does_and_says_a_token_is_active(app, team):
    """«31 Μαΐ 2026, 12:00», not Babel's short «31/5/26, 12:00 μ.μ.» (which reads as
    "5/31/26, 12:00 PM" in English): a token's expiry leaves nothing to guess."""
    from tests.views.screens import Browser, strip_tags

    clock.freeze(T0)
    tokens.create(team["staff"], "script")  # 90 days: 31 May, 12:00 in Athens (summer time)
    db.session.commit()
    staff = Browser(app, "staff@example.org")
    row = strip_tags(staff.text("/account/tokens/").split("<tbody>", 1)[1].split("</tr>")[0])
    assert "2 Μαρ 2026, 11:00" in row and "31 Μαΐ 2026, 12:00" in row, row
    assert "ενεργό" in row and "Ανάκληση" in row
    staff.language("en")
    row = strip_tags(staff.text("/account/tokens/").split("<tbody>", 1)[1].split("</tr>")[0])
    assert "2 Mar 2026, 11:00" in row and "31 May 2026, 12:00" in row, row
    assert "active" in row
