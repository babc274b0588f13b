"""Every route names its permission, and the matrix decides who reaches it.

Walks ``app.url_map``: a view without ``permission`` (from ``@requires`` or
``@public``) fails the suite; anonymous visitors reach only the log-in, reset
and language pages (plus the documented token-authenticated exceptions); a
viewer and the office staff are refused every route whose action the role ×
action matrix does not give them.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for

from tests.conftest import PASSWORD, csrf_token
from tracker.domain.permissions import MATRIX
from tracker.views.access import AUTHENTICATED

#: Pages anyone may reach: logging in, the second factor, password reset, language.
PUBLIC = {
    "auth.login",
    "auth.second_factor",
    "auth.reset_request",
    "auth.reset_with_token",
    "auth.reset_password",
    "auth.language",
}
#: Public because a credential other than the session protects them (see docs/security.md).
TOKEN_PROTECTED = {
    "feeds.feed",  # the unguessable, revocable token in the calendar-feed URL
    "api.openapi",  # the API description: no data, the API itself needs a bearer token
}
SAMPLE = {"int": 1, "id": 1, "default": "x", "string": "x", "path": "x", "any": "x"}


def rules(app: Flask) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def build(app: Flask, rule: Any) -> str:
    """A URL for ``rule`` with sample values for its arguments."""
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__.lower().replace("converter", "")
        values[name] = SAMPLE.get(converter, 1 if "id" in name else "x")
    if rule.endpoint == "auth.language":
        values["code"] = "en"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def methods(rule: Any) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def login(client, email):
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})


def test_every_route_names_its_permission(app):
    missing = [
        r.endpoint for r in rules(app) if not hasattr(app.view_functions[r.endpoint], "permission")
    ]
    assert missing == [], f"routes without @requires/@public: {missing}"


def test_every_permission_is_in_the_matrix(app):
    for rule in rules(app):
        permission = app.view_functions[rule.endpoint].permission
        assert permission in MATRIX or permission in ("public", AUTHENTICATED), rule.endpoint


def test_public_routes_are_exactly_the_reviewed_ones(app):
    public = {
        r.endpoint for r in rules(app) if app.view_functions[r.endpoint].permission == "public"
    }
    assert public >= PUBLIC
    assert public <= PUBLIC | TOKEN_PROTECTED, f"unreviewed public routes: {public - PUBLIC}"


def test_no_state_change_on_get_for_account_and_admin(app):
    """Logging out, deactivating, cancelling… are POST only."""
    for rule in rules(app):
        if (
            rule.endpoint.split(".")[0] in ("auth", "account", "admin")
            and "GET" not in rule.methods
        ):
            assert rule.methods & {"POST"}, rule.endpoint
    post_only = {"auth.logout", "auth.language", "admin.user_deactivate", "account.totp_disable"}
    for rule in rules(app):
        if rule.endpoint in post_only:
            assert "GET" not in rule.methods, rule.endpoint


def test_anonymous_visitors_reach_only_public_pages(app, client):
    for path in ("/login", "/reset", "/static/css/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()  # static files are streamed from disk
    token = csrf_token(client, "/login")
    for rule in rules(app):
        if app.view_functions[rule.endpoint].permission == "public":
            continue
        url = build(app, rule)
        for method in methods(rule):
            data = {"csrf_token": token} if method != "GET" else None
            response = client.open(url, method=method, data=data)
            if url.startswith("/api/"):
                assert response.status_code == 401, (method, url)
            else:
                assert response.status_code == 302, (method, url, response.status_code)
                assert response.headers["Location"].startswith("/login"), (method, url)


@pytest.mark.parametrize("role", ["viewer", "staff"])
def test_roles_are_refused_every_route_the_matrix_denies_them(app, client, team, role):
    login(client, f"{role}@example.org")
    token = csrf_token(client, "/")
    checked = 0
    for rule in rules(app):
        permission = app.view_functions[rule.endpoint].permission
        if permission in ("public", AUTHENTICATED) or role in MATRIX[permission]:
            continue
        if rule.rule.startswith("/api/"):
            continue  # the API authenticates by token: tests/api checks the same matrix
        url = build(app, rule)
        for method in methods(rule):
            data = {"csrf_token": token} if method != "GET" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code == 403, (role, method, url, response.status_code)
            checked += 1
    assert checked > 10


def test_post_without_csrf_token_is_refused(app, client, team):
    login(client, "admin@example.org")
    for path in (
        "/account/",
        "/admin/users/new",
        f"/admin/users/{team['c1'].id}/deactivate",
        "/logout",
    ):
        assert client.post(path, data={"name": "x"}).status_code == 400, path
    assert client.get("/").status_code == 200  # still logged in: the logout was refused
