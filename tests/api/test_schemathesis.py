"""Schemathesis against a live server: no 5xx, and every response matches the document.

A real werkzeug server on 127.0.0.1 (free port, own thread) serves the app on
its own database; the document is fetched over HTTP like any client would.
Each operation gets a bounded number of generated requests, valid and invalid,
sent with a personal token of a user who may do nearly everything, so writes
really happen. Deterministic (``derandomize``) so CI runs are repeatable.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from config import TestingConfig
from tests.conftest import ON_POSTGRES, PASSWORD, _truncate_all, authority
from tracker import create_app
from tracker.extensions import db
from tracker.services import accounts, processes, tokens

MAX_EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _prepare(app: Any) -> str:
    """Reference data, two users, a few files; returns a token that can write."""
    from tracker.seed import seed_reference

    with app.app_context():
        if ON_POSTGRES:
            _truncate_all()
        seed_reference()
        office = accounts.create_user(
            "office@example.org",
            "Office and approver",
            PASSWORD,
            ["staff", "head", "council_member"],
            None,
            must_change_password=False,
        )
        accounts.create_user(
            "other@example.org", "Other", PASSWORD, ["mayor"], None, must_change_password=False
        )
        for key in ("umea", "vilnius", "limassol"):
            processes.create_process("twinning", authority(key), office)
        _token, secret = tokens.create(office, "schemathesis")
        db.session.commit()
        db.session.remove()
    return secret


@pytest.fixture(scope="module")
def live(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("live")
    if ON_POSTGRES:
        url = template_db
    else:
        shutil.copy(template_db, tmp / "live.db")
        url = f"sqlite:///{tmp / 'live.db'}"
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=url,
        UPLOAD_DIR=tmp / "documents",
        MAIL_OUTBOX_DIR=tmp / "outbox",
    )
    secret = _prepare(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base": f"http://127.0.0.1:{server.server_port}", "token": secret}
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def test_every_operation_holds_to_its_document(live: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(live["base"] + "/api/v1/openapi.json", timeout=10)
    headers = {"Authorization": f"Bearer {live['token']}", "Accept-Language": "en"}
    ran = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def exercise(case: Any) -> None:
            case.call_and_validate(base_url=live["base"], headers=headers, checks=CHECKS)

        exercise()
        ran.append(operation.label)
    assert len(ran) >= 13, ran
