"""Nobody acts on what is not theirs, and forms never assign what they do not show.

- Another person's id in a URL or a form (an approval request, a delegation, an
  API token, the same through the API): 403, nothing changed, a history row
  ``access.denied`` and a log line.
- An id outside the choices a form offered (the municipality itself as a partner,
  a viewer as a substitute, a partner as its own successor): the form comes back
  with a message and nothing is saved.
- Extra fields posted with a form (``owner_id``, ``is_closed``, ``roles``,
  ``version``, ``approver_id``…) are ignored: only what the form shows is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import PASSWORD, authority
from tests.views.screens import Browser, council_data, drive, today
from tracker.extensions import db
from tracker.models import (
    ApiToken,
    ApprovalRequest,
    AuditLog,
    Authority,
    Comment,
    CouncilDecision,
    Delegation,
    Process,
    User,
)
from tracker.services import delegations, tokens

EXTRA = {
    "id": "999",
    "version": "999",
    "owner_id": "{other}",
    "author_id": "{other}",
    "approver_id": "{other}",
    "recorded_by_id": "{other}",
    "user_id": "{other}",
    "created_by_id": "{other}",
    "process_id": "{other_process}",
    "is_closed": "1",
    "is_active": "0",
    "is_home": "1",
    "is_demo": "1",
    "roles": "admin",
    "status": "approved",
    "outcome": "rejected",
    "session_version": "77",
    "must_change_password": "1",
    "password_hash": "$argon2id$forged",
    "totp_secret": "JBSWY3DPEHPK3PXP",
    "token_hash": "0" * 64,
    "email": "forged@example.org",
    "key": "forged",
    "successor_id": "{umea}",
    "flags": '{"final_text_agreed": true}',
    "signed_on": "2020-01-01",
}


def extra(team: dict[str, User], other_process: int) -> dict[str, str]:
    values = {"other": team["viewer"].id, "other_process": other_process, "umea": 0}
    values["umea"] = authority("umea").id
    out = {}
    for name, value in EXTRA.items():
        for key, replacement in values.items():
            value = value.replace("{" + key + "}", str(replacement))
        out[name] = value
    return out


def denied_rows(path: str) -> int:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied"))
    return sum(1 for r in rows if r.data.get("path") == path)


def request_of(process: Process, user: User) -> ApprovalRequest:
    return db.session.scalars(
        sa.select(ApprovalRequest).where(
            ApprovalRequest.process_id == process.id, ApprovalRequest.approver_id == user.id
        )
    ).one()


def logged(caplog: pytest.LogCaptureFixture, path: str) -> bool:
    return any("denied" in r.getMessage() and path in r.getMessage() for r in caplog.records)


# --- another person's ids ------------------------------------------------------------------------


def test_someone_elses_approval_request_is_403_logged_and_unchanged(
    app: Flask,
    team: dict[str, User],
    make_user: Callable[..., User],
    make_process: Callable[..., Process],
    caplog: pytest.LogCaptureFixture,
) -> None:
    colleague = make_user("head", email="head2@example.org")
    process = make_process("umea")
    theirs = request_of(process, colleague)
    path = f"/approvals/{theirs.id}"
    head = Browser(app, "head@example.org")
    with caplog.at_level(logging.INFO):
        assert head.get(path).status_code == 403
        decided = head.post(path, {"decision": "approved", "password": PASSWORD})
    assert decided.status_code == 403
    db.session.expire_all()
    assert db.session.get(ApprovalRequest, theirs.id).status == "pending"
    assert request_of(process, team["head"]).status == "pending"
    assert denied_rows(path) == 2
    assert logged(caplog, path)


def test_someone_elses_approval_request_through_the_api_is_403(
    app: Flask,
    team: dict[str, User],
    make_user: Callable[..., User],
    make_process: Callable[..., Process],
    client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    colleague = make_user("head", email="head2@example.org")
    process = make_process("vilnius")
    theirs = request_of(process, colleague)
    _token, secret = tokens.create(team["head"], "script")
    db.session.commit()
    path = f"/api/v1/approvals/{theirs.id}/decision"
    with caplog.at_level(logging.INFO):
        response = client.post(
            path,
            json={"decision": "approved", "version": process.version},
            headers={"Authorization": f"Bearer {secret}"},
        )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    db.session.expire_all()
    assert db.session.get(ApprovalRequest, theirs.id).status == "pending"
    assert db.session.get(Process, process.id).version == process.version
    assert denied_rows(path) == 1
    assert logged(caplog, path) or any("access.denied" in r.getMessage() for r in caplog.records)


def test_someone_elses_delegation_cannot_be_cancelled(
    app: Flask,
    team: dict[str, User],
    make_user: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    colleague = make_user("head", email="head2@example.org")
    leave = delegations.create(
        colleague, team["deputy"], today(), today() + timedelta(days=5), colleague
    )
    db.session.commit()
    path = f"/account/delegations/{leave.id}/cancel"
    with caplog.at_level(logging.INFO):
        response = Browser(app, "head@example.org").post(path)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Delegation, leave.id).is_cancelled is False
    assert denied_rows(path) == 1
    assert logged(caplog, path) or any("access.denied" in r.getMessage() for r in caplog.records)


def test_someone_elses_api_token_cannot_be_revoked(
    app: Flask, team: dict[str, User], caplog: pytest.LogCaptureFixture
) -> None:
    theirs, secret = tokens.create(team["head"], "theirs")
    db.session.commit()
    path = f"/account/tokens/{theirs.id}/revoke"
    with caplog.at_level(logging.INFO):
        response = Browser(app, "staff@example.org").post(path)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.id).revoked_dt is None
    assert tokens.authenticate(secret) is not None
    assert denied_rows(path) == 1


def test_a_staff_member_cannot_reach_an_account_by_its_id(
    app: Flask, team: dict[str, User], caplog: pytest.LogCaptureFixture
) -> None:
    path = f"/admin/users/{team['head'].id}/deactivate"
    with caplog.at_level(logging.INFO):
        response = Browser(app, "staff@example.org").post(path)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, team["head"].id).is_active
    assert denied_rows(path) == 1
    assert logged(caplog, path)


# --- ids outside the offered choices -------------------------------------------------------------


def count(model: Any) -> int:
    db.session.expire_all()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_ids_outside_the_choices_are_refused_and_change_nothing(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    home = db.session.scalars(sa.select(Authority).where(Authority.is_home.is_(True))).one()
    umea = authority("umea")
    staff, head, admin = (Browser(app, f"{r}@example.org") for r in ("staff", "head", "admin"))
    processes_before, delegations_before = count(Process), count(Delegation)
    tried = [
        staff.post("/processes/new", {"kind": "twinning", "partner": home.id}),
        staff.post("/processes/new", {"kind": "twinning", "partner": 2**31 - 1}),
        staff.post("/processes/new", {"kind": "no-such-kind", "partner": umea.id}),
        head.post(
            "/account/delegations",
            {
                "substitute": team["viewer"].id,
                "start_date": today().isoformat(),
                "end_date": (today() + timedelta(days=3)).isoformat(),
            },
        ),
        admin.post(
            "/admin/delegations",
            {
                "user": team["viewer"].id,
                "substitute": team["head"].id,
                "start_date": today().isoformat(),
                "end_date": (today() + timedelta(days=3)).isoformat(),
            },
        ),
        staff.post(f"/partners/{umea.id}/successor", {"successor": umea.id}),
        staff.post(f"/partners/{umea.id}/successor", {"successor": home.id}),
    ]
    # The form comes back with its messages (422, or 200 where the page re-renders as is).
    assert all(r.status_code in (200, 422) for r in tried), [r.status_code for r in tried]
    assert count(Process) == processes_before
    assert count(Delegation) == delegations_before
    db.session.expire_all()
    assert db.session.get(Authority, umea.id).successor_id is None


# --- extra fields ---------------------------------------------------------------------------------


def test_account_details_assign_only_name_language_and_notices(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    me = team["staff"]
    before = (me.email, me.role_keys, me.is_active, me.session_version, me.password_hash)
    data = {"name": "Νέο όνομα", "language": "en", "notify": "daily"}
    browser = Browser(app, me.email)
    done = browser.post("/account/", {**extra(team, 0), **data})
    assert done.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, me.id)
    assert (user.name, user.language, user.notify) == ("Νέο όνομα", "en", "daily")
    assert (
        user.email,
        user.role_keys,
        user.is_active,
        user.session_version,
        user.password_hash,
    ) == before
    assert user.totp_secret is None and not user.must_change_password and not user.is_demo


def test_admin_user_form_never_touches_email_password_or_status(
    app: Flask, team: dict[str, User]
) -> None:
    target = team["viewer"]
    before = (target.email, target.is_active, target.session_version, target.password_hash)
    data = {"name": "Renamed", "language": "el", "roles": "viewer"}
    done = Browser(app, "admin@example.org").post(f"/admin/users/{target.id}", {**EXTRA, **data})
    assert done.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert user.name == "Renamed" and user.role_keys == {"viewer"}
    assert (user.email, user.is_active, user.session_version, user.password_hash) == before


def test_new_file_ignores_owner_state_and_version_fields(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    other = make_process("umea")
    umea = authority("vilnius")
    data = {"kind": "twinning", "partner": umea.id, "title": "Vilnius"}
    browser = Browser(app, "staff@example.org")
    done = browser.post("/processes/new", {**extra(team, other.id), **data})
    assert done.status_code == 302
    created = db.session.scalars(sa.select(Process).order_by(Process.id.desc())).first()
    assert created is not None and created.id != other.id
    assert created.owner_id == team["staff"].id
    assert created.is_closed is False and created.signed_on is None
    assert created.flags.get("final_text_agreed") is not True
    assert created.version < 999


def test_comment_belongs_to_its_author_and_its_file(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    target, other = make_process("umea"), make_process("vilnius")
    done = Browser(app, "staff@example.org").post(
        f"/processes/{target.id}/comments", {**extra(team, other.id), "body": "Σημείωση"}
    )
    assert done.status_code == 302
    (comment,) = db.session.scalars(sa.select(Comment)).all()
    assert (comment.process_id, comment.author_id) == (target.id, team["staff"].id)


def test_decision_form_decides_only_the_approvers_own_request(
    app: Flask,
    team: dict[str, User],
    make_user: Callable[..., User],
    make_process: Callable[..., Process],
) -> None:
    colleague = make_user("head", email="head2@example.org")
    process = make_process("umea")
    mine, theirs = request_of(process, team["head"]), request_of(process, colleague)
    data = {**extra(team, process.id), "decision": "sent_back", "comment": "Χρειάζεται αλλαγές."}
    data["approver_id"] = str(colleague.id)
    done = Browser(app, "head@example.org").post(f"/approvals/{mine.id}", data)
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApprovalRequest, mine.id).status == "sent_back"
    assert db.session.get(ApprovalRequest, mine.id).approver_id == team["head"].id
    assert db.session.get(ApprovalRequest, theirs.id).status != "approved"


def test_council_outcome_is_computed_not_taken_from_the_form(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process]
) -> None:
    process = drive(make_process("vilnius"), team, until="council")
    data = {**extra(team, 0), **council_data(process.version)}
    done = Browser(app, "staff@example.org").post(f"/processes/{process.id}/council", data)
    assert done.status_code == 302
    (decision,) = db.session.scalars(sa.select(CouncilDecision)).all()
    assert decision.outcome == "approved"  # 24 of 27 present: whatever "outcome" said
    assert decision.recorded_by_id == team["staff"].id
    assert decision.process_id == process.id


def test_partner_form_cannot_make_a_partner_home_or_merge_it(
    app: Flask, team: dict[str, User]
) -> None:
    vilnius = authority("vilnius")
    before = (vilnius.key, vilnius.is_home, vilnius.successor_id)
    data = {
        "name_el": "Βίλνιους",
        "name_en": "Vilnius",
        "name_native": "Vilnius",
        "country": "LT",
        "timezone": "Europe/Vilnius",
        "language": "lt",
        "population": "590000",
        "website": "https://vilnius.lt",
        "notes": "",
    }
    done = Browser(app, "staff@example.org").post(
        f"/partners/{vilnius.id}/edit", {**extra(team, 0), **data}
    )
    assert done.status_code == 302
    db.session.expire_all()
    after = db.session.get(Authority, vilnius.id)
    assert (after.key, after.is_home, after.successor_id) == before
    assert after.website == "https://vilnius.lt"


def test_token_form_makes_a_token_for_its_user_only(app: Flask, team: dict[str, User]) -> None:
    data = {**extra(team, 0), "name": "script", "password": PASSWORD}
    done = Browser(app, "staff@example.org").post("/account/tokens/", data)
    assert done.status_code == 201
    (token,) = db.session.scalars(sa.select(ApiToken)).all()
    assert token.user_id == team["staff"].id and token.token_hash != "0" * 64
