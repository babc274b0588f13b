"""Personal API tokens: the service and the /account/tokens page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from tests.conftest import PASSWORD, csrf_token
from tracker import clock
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
