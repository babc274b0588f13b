"""API fixtures: personal tokens and a JSON client that sends them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tracker.extensions import db
from tracker.models import User
from tracker.services import tokens


class Api:
    """``api.get("/processes", as_=user)``: JSON requests under /api/v1 with a bearer token."""

    def __init__(self, client: FlaskClient, token_for: Callable[[User], str]) -> None:
        self.client = client
        self.token_for = token_for

    def request(
        self, method: str, path: str, as_: User | None = None, lang: str = "en", **kw: Any
    ) -> Any:
        headers = {"Accept-Language": lang, **kw.pop("headers", {})}
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.token_for(as_)}"
        url = path if path.startswith("/api/") else "/api/v1" + path
        return self.client.open(url, method=method, headers=headers, **kw)

    def get(self, path: str, as_: User | None = None, **kw: Any) -> Any:
        return self.request("GET", path, as_, **kw)

    def post(self, path: str, json: Any = None, as_: User | None = None, **kw: Any) -> Any:
        return self.request("POST", path, as_, json=json, **kw)

    def put(self, path: str, json: Any = None, as_: User | None = None, **kw: Any) -> Any:
        return self.request("PUT", path, as_, json=json, **kw)


@pytest.fixture
def token_for(app: Any) -> Callable[[User], str]:
    """Factory: one token per user (created on first use), returning its secret."""
    made: dict[int, str] = {}

    def make(user: User) -> str:
        if user.id not in made:
            _token, secret = tokens.create(user, f"test token {user.id}")
            db.session.commit()
            made[user.id] = secret
        return made[user.id]

    return make


@pytest.fixture
def api(client: FlaskClient, token_for: Callable[[User], str]) -> Api:
    return Api(client, token_for)
