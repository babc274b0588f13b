"""Approving through the API: no password is asked (a bearer token is possession), so the
token is the thing guarded, and every action it takes is traceable to it.

The deviation and its mitigations are in docs/security.md ("Deviations"): a token is made
only after a fresh password (tests/api/test_tokens.py), only its hash is stored, it dies
with revocation or deactivation, and — tested here — the history row of an approval made
through the API names the token, while one made on the web does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.conftest import PASSWORD
from tests.views.screens import Browser
from tracker.extensions import db
from tracker.models import ApprovalRequest, AuditLog, Process, User
from tracker.services import tokens


def pending(process: Process, user: User) -> ApprovalRequest:
    return db.session.scalars(
        sa.select(ApprovalRequest).where(
            ApprovalRequest.process_id == process.id,
            ApprovalRequest.approver_id == user.id,
            ApprovalRequest.status == "pending",
        )
    ).one()


def history(action: str) -> list[AuditLog]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def test_an_api_approval_names_its_token_and_a_web_one_does_not(
    app: Flask, client: Any, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    by_api = make_process("umea")
    token, secret = tokens.create(team["head"], "approvals script")
    db.session.commit()
    response = client.post(
        f"/api/v1/approvals/{pending(by_api, team['head']).id}/decision",
        json={"decision": "approved", "version": by_api.version},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.get_json()
    (approved,) = history("approval.approved")
    assert approved.actor_id == team["head"].id
    assert approved.data["via_token"] == token.prefix
    assert secret not in repr(approved.data)  # the prefix only, never the secret

    by_web = make_process("vilnius")
    head = Browser(app, "head@example.org")
    path = f"/approvals/{pending(by_web, team['head']).id}"
    assert head.post(path, {"decision": "approved", "password": PASSWORD}).status_code == 302
    web = [row for row in history("approval.approved") if row.process_id == by_web.id]
    assert len(web) == 1 and "via_token" not in web[0].data


def test_a_revoked_token_approves_nothing(
    app: Flask, client: Any, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = make_process("umea")
    token, secret = tokens.create(team["head"], "lost laptop")
    db.session.commit()
    tokens.revoke(token.id, team["head"])
    db.session.commit()
    request_id = pending(process, team["head"]).id
    response = client.post(
        f"/api/v1/approvals/{request_id}/decision",
        json={"decision": "approved", "version": process.version},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 401
    db.session.expire_all()
    assert db.session.get(ApprovalRequest, request_id).status == "pending"
    assert history("approval.approved") == []
