"""Accounts through the service layer: passwords, links, roles, delegations, settings."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tracker import clock
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import AuditLog, LoginAttempt
from tracker.services import accounts, delegations, logins, twofactor, workflow_settings, workflows
from tracker.services.errors import Forbidden, Invalid, Refused


def today():
    return to_local(clock.utcnow()).date()


# --- passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, code",
    [
        ("short1!", "password_short"),
        ("x" * 129, "password_long"),
        ("Password1!", "password_common"),
        ("Amarousion2024", "password_common"),
        ("aaaaaaaaaaaa", "password_common"),
    ],
)
def test_weak_passwords_are_refused(password, code):
    assert [r.code for r in accounts.password_problems(password)] == [code]


def test_long_passphrases_and_unicode_are_accepted_untruncated(app, make_user):
    user = make_user("staff")
    phrase = "Η ελιά στην αυλή της γιαγιάς " * 4  # 116 characters, no composition rules
    accounts.change_password(user, PASSWORD, phrase)
    assert accounts.verify_password(user, phrase)
    assert not accounts.verify_password(user, phrase[:-1])


def test_unknown_accounts_still_pay_for_a_hash(monkeypatch):
    """Similar timing: an unknown email costs one argon2 verification too."""
    calls = []

    class Counting(type(accounts.hasher)):  # type: ignore[misc]
        def verify(self, hash, password):
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "hasher", Counting(time_cost=1, memory_cost=256, parallelism=1))
    monkeypatch.setattr(accounts, "_DUMMY_HASH", accounts.hasher.hash("dummy"))
    assert not accounts.verify_password(None, "anything at all")
    assert calls == [accounts._DUMMY_HASH]


def test_old_hash_parameters_are_upgraded_at_login(app, make_user):
    from argon2 import PasswordHasher

    user = make_user("staff")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
    old = user.password_hash
    assert accounts.verify_password(user, PASSWORD)
    assert user.password_hash != old and user.password_hash.startswith("$argon2id$")


def test_change_password_is_audited_without_the_password(app, make_user):
    user = make_user("staff")
    accounts.change_password(user, PASSWORD, "the quiet harbour at dawn")
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "password.change")).one()
    assert "harbour" not in str(row.data) and PASSWORD not in str(row.data)
    assert user.session_version == 2


def test_link_tokens_are_bound_to_purpose_and_password(app, make_user):
    user = make_user("staff")
    token = accounts.make_link_token(user, "reset")
    assert accounts.user_for_token(token) is user
    assert accounts.user_for_token(token + "x") is None
    assert accounts.user_for_token("not.a.token") is None
    user.is_active = False
    assert accounts.user_for_token(token) is None
    user.is_active = True
    accounts.reset_with_token(token, "a brand new sentence of mine")
    assert accounts.user_for_token(token) is None
    with pytest.raises(Invalid):
        accounts.reset_with_token(token, "another brand new sentence")


# --- administration ---------------------------------------------------------------------------


def test_only_administrators_manage_users(app, team):
    for action in (
        lambda: accounts.invite_user("x@example.org", "X", ["staff"], team["head"]),
        lambda: accounts.update_user(team["c1"], "C", "el", ["head"], team["head"]),
        lambda: accounts.set_active(team["c1"], False, team["head"]),
        lambda: accounts.resend_invitation(team["c1"], team["staff"]),
        lambda: twofactor.disable(team["c1"], team["staff"]),
    ):
        with pytest.raises(Forbidden):
            action()


def test_last_active_administrator_stays(app, team):
    with pytest.raises(Invalid):
        accounts.update_user(team["admin"], "A", "el", ["staff"], team["admin"])
    second = accounts.create_user("a2@example.org", "Admin Two", PASSWORD, ["admin"], None)
    accounts.update_user(team["admin"], "A", "el", ["staff", "admin"], second)
    accounts.set_active(team["admin"], False, second)
    with pytest.raises(Refused):
        accounts.set_active(second, False, second)


def test_unknown_roles_are_refused(app, team):
    with pytest.raises(Invalid) as caught:
        accounts.update_user(team["c1"], "C", "el", ["emperor"], team["admin"])
    assert "roles" in caught.value.fields


# --- throttling ---------------------------------------------------------------------------------


def test_failures_before_a_password_change_do_not_count(app, make_user):
    user = make_user("staff", email="t@example.org")
    for i in range(100):
        db.session.add(LoginAttempt(email="t@example.org", ip=f"10.0.0.{i}", success=False))
    db.session.flush()
    assert logins.account_blocked("t@example.org")
    clock.shift(timedelta(seconds=1))
    accounts.change_password(user, PASSWORD, "the quiet harbour at dawn")
    assert not logins.account_blocked("t@example.org")


def test_successes_and_reset_requests_are_not_failures(app):
    for _ in range(100):
        db.session.add(LoginAttempt(email="u@example.org", ip="10.0.0.1", success=True))
        db.session.add(
            LoginAttempt(email="u@example.org", ip="10.0.0.1", success=False, kind="reset")
        )
    db.session.flush()
    assert not logins.blocked("u@example.org", "10.0.0.1")


# --- second factor ------------------------------------------------------------------------------


def test_totp_accepts_the_neighbouring_step_but_not_a_replay(app, make_user):
    user = make_user("staff")
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    twofactor.enable(user, secret, totp.at(clock.utcnow()))
    assert not twofactor.verify(user, totp.at(clock.utcnow()))  # used to enrol
    assert twofactor.verify(user, totp.at(clock.utcnow() + timedelta(seconds=30)))
    assert not twofactor.verify(user, totp.at(clock.utcnow() + timedelta(seconds=90)))
    assert not twofactor.verify(user, "abcdef")


# --- delegations --------------------------------------------------------------------------------


def test_delegation_rules(app, team):
    deputy, head = team["deputy"], team["head"]
    row = delegations.create(deputy, head, today(), today() + timedelta(days=5), deputy)
    with pytest.raises(Forbidden):
        delegations.create(deputy, team["c1"], today(), today(), team["c2"])  # not theirs
    with pytest.raises(Forbidden):
        delegations.cancel(row.id, team["c2"])
    with pytest.raises(Invalid) as caught:
        delegations.create(deputy, None, today(), today(), deputy)
    assert "substitute" in caught.value.fields
    delegations.cancel(row.id, deputy)
    with pytest.raises(Refused):
        delegations.cancel(row.id, deputy)
    assert delegations.current_and_future(deputy) == []


def test_inactive_substitute_is_refused(app, team):
    team["head"].is_active = False
    with pytest.raises(Invalid):
        delegations.create(team["deputy"], team["head"], today(), today(), team["deputy"])


# --- workflow settings -----------------------------------------------------------------------


def test_statutory_deadline_cannot_be_shortened(app, team):
    latest = workflows.current("twinning")
    data = dict(latest.data)
    data["states"] = dict(data["states"])
    data["states"]["drafting"] = dict(
        data["states"]["drafting"], deadline={"amount": 15, "unit": "calendar", "statutory": True}
    )
    v2 = workflows.save_version("twinning", data, team["admin"])
    for deadline in ({"amount": 10, "unit": "calendar"}, {"amount": 15, "unit": "working"}, None):
        with pytest.raises(Invalid):
            workflow_settings.save_step(
                "twinning", "drafting", v2.version, deadline, None, None, team["admin"]
            )
    v3 = workflow_settings.save_step(
        "twinning",
        "drafting",
        v2.version,
        {"amount": 20, "unit": "calendar"},
        None,
        None,
        team["admin"],
    )
    assert v3.data["states"]["drafting"]["deadline"] == {
        "amount": 20,
        "unit": "calendar",
        "statutory": True,
    }


def test_terminal_states_take_no_settings(app, team):
    with pytest.raises(Invalid):
        workflow_settings.save_step(
            "twinning", "abandoned", 1, {"amount": 5, "unit": "calendar"}, None, None, team["admin"]
        )


def test_only_administrators_edit_workflows(app, team):
    with pytest.raises(Forbidden):
        workflow_settings.save_step("twinning", "drafting", 1, None, None, None, team["head"])
