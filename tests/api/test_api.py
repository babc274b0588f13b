"""The JSON API: tokens, errors, filters, paging, versions, and a twinning carried end to end."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker import clock
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import ApprovalRequest, AuditLog, Process


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def pending_request(process_id: int, approver) -> ApprovalRequest:
    return db.session.scalars(
        sa.select(ApprovalRequest).where(
            ApprovalRequest.process_id == process_id,
            ApprovalRequest.approver_id == approver.id,
            ApprovalRequest.status == "pending",
        )
    ).one()


# --- authentication -------------------------------------------------------------------------


def test_no_token_is_401_with_the_stable_shape(api):
    response = api.get("/processes")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    ["Bearer tt_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "tt_abc", "Bearer " + "x" * 500],
)
def test_bad_credentials_are_401(api, header):
    response = api.get("/processes", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_a_session_cookie_does_not_authenticate_the_api(auth, api, team):
    assert auth.login("staff@example.org").status_code == 302
    assert api.client.get("/").status_code == 200  # the web session works
    assert api.get("/processes").status_code == 401  # the API ignores it


def test_token_acts_as_its_user(api, team):
    me = api.get("/me", as_=team["viewer"]).get_json()
    assert me["email"] == "viewer@example.org"
    assert me["roles"] == ["viewer"]
    assert "process.view" in me["permissions"] and "process.create" not in me["permissions"]


def test_revoked_token_and_deactivated_user_stop_working(api, team, token_for):
    from tracker.services import tokens

    staff, head = team["staff"], team["head"]
    assert api.get("/me", as_=staff).status_code == 200
    token = tokens.authenticate(token_for(staff))
    tokens.revoke(token.id, staff)
    db.session.commit()
    assert api.get("/me", as_=staff).status_code == 401

    assert api.get("/me", as_=head).status_code == 200
    head.is_active = False
    db.session.commit()
    assert api.get("/me", as_=head).status_code == 401


def test_last_used_is_recorded(api, team, token_for):
    from tracker.services import tokens

    api.get("/me", as_=team["staff"])
    token = tokens.authenticate(token_for(team["staff"]))
    assert token.last_used_dt is not None


def test_no_csrf_needed_and_no_cookie_set(api, team):
    response = api.post("/processes", {"kind": "twinning", "partner": "umea"}, as_=team["staff"])
    assert response.status_code == 201, response.get_json()
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


# --- permissions and errors -----------------------------------------------------------------


def test_viewer_cannot_create_and_the_denial_is_in_the_history(api, team):
    response = api.post("/processes", {"kind": "twinning", "partner": "umea"}, as_=team["viewer"])
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Process)) == 0
    denied = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied")).one()
    assert denied.actor_id == team["viewer"].id and denied.data["api"] is True


def test_unknown_ids_are_404_and_unknown_urls_too(api, team):
    assert error_of(api.get("/processes/999999", as_=team["staff"]))["code"] == "not_found"
    assert api.get("/processes/99999999999", as_=team["staff"]).status_code == 404
    assert error_of(api.get("/nowhere", as_=team["staff"]))["code"] == "not_found"


def test_wrong_method_is_405_json(api, team):
    response = api.request("DELETE", "/processes", as_=team["staff"])
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_body_must_be_json_object(api, team):
    staff = team["staff"]
    r = api.post("/processes", data="kind=twinning", as_=staff)
    assert r.status_code == 415
    r = api.post("/processes", data="{not json", as_=staff, content_type="application/json")
    assert r.status_code == 400 and error_of(r)["code"] == "bad_json"
    assert api.post("/processes", [1, 2], as_=staff).status_code == 400


def test_too_large_body_is_413(app, api, team):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = api.post("/processes", {"kind": "twinning", "partner": "x" * 2000}, as_=team["staff"])
    assert r.status_code == 413
    assert error_of(r)["code"] == "too_large"


def test_invalid_fields_are_422_with_per_field_reasons_in_the_requested_language(api, team):
    body = {"kind": "castle", "partner": "atlantis", "title": "x" * 201, "colour": "red"}
    r = api.post("/processes", body, as_=team["staff"], lang="el")
    assert r.status_code == 422
    fields = error_of(r)["details"]["fields"]
    assert set(fields) == {"kind", "title", "colour"}
    assert fields["kind"][0]["code"] == "unknown_value"
    assert fields["kind"][0]["message"] == "Μη αποδεκτή τιμή."
    assert fields["title"][0]["params"] == {"max": 200}
    # the partner is looked up only once the shape is right
    r = api.post("/processes", {"kind": "twinning", "partner": "atlantis"}, as_=team["staff"])
    assert error_of(r)["details"]["fields"]["partner"][0]["message"] == "Not an accepted value."


@pytest.mark.parametrize("text", ["nul\x00byte", "lone \ud800 surrogate"])
def test_unstorable_text_is_refused_not_a_500(api, team, text):
    r = api.post(
        "/processes", {"kind": "twinning", "partner": "umea", "title": text}, as_=team["staff"]
    )
    assert r.status_code == 400  # refused before any code runs (security.unstorable_input)
    assert error_of(r)["code"] == "bad_request"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Process)) == 0


def test_bad_query_parameters_are_422(api, team):
    r = api.get("/processes?overdue=perhaps&per_page=1000&colour=red", as_=team["staff"])
    assert r.status_code == 422
    assert set(error_of(r)["details"]["fields"]) == {"overdue", "per_page", "colour"}


# --- lists, filters, paging -----------------------------------------------------------------


def test_list_filters_and_pages(api, team, make_process):
    for key in ("umea", "vilnius", "fonte_nuova", "positano", "limassol"):
        make_process(key)
    make_process("chaoyang", kind="memorandum")
    staff = team["staff"]

    first = api.get("/processes?per_page=2", as_=staff)
    body = first.get_json()
    assert body["total"] == 6 and len(body["items"]) == 2 and body["prev"] is None
    assert body["next"].startswith("/api/v1/processes?") and "page=2" in body["next"]
    assert 'rel="next"' in first.headers["Link"]
    last = api.get("/processes?per_page=2&page=3", as_=staff).get_json()
    assert last["next"] is None and "page=2" in last["prev"]

    it = api.get("/processes?country=it", as_=staff).get_json()
    assert sorted(p["partner"]["key"] for p in it["items"]) == ["fonte_nuova", "positano"]
    memo = api.get("/processes?kind=memorandum", as_=staff).get_json()
    assert [p["partner"]["key"] for p in memo["items"]] == ["chaoyang"]
    assert api.get("/processes?state=idea", as_=staff).get_json()["total"] == 6
    both = api.get("/processes?state=idea&kind=memorandum&country=CN", as_=staff).get_json()
    assert both["total"] == 1
    assert api.get("/processes?state=active", as_=staff).get_json()["total"] == 0


def test_waiting_on_me_and_overdue(api, team, make_process):
    make_process("umea")
    make_process("vilnius")
    head = team["head"]
    mine = api.get("/processes?waiting_on_me=true", as_=head).get_json()
    assert mine["total"] == 2 and all(p["waiting_on_me"] == 1 for p in mine["items"])
    assert api.get("/processes?waiting_on_me=true", as_=team["mayor"]).get_json()["total"] == 0
    assert api.get("/processes?overdue=true", as_=head).get_json()["total"] == 0


def test_overdue_filter_follows_the_clock(api, team, make_process, make_user):
    process = make_process("umea")
    request_row = pending_request(process.id, team["head"])
    from tracker.services import approvals

    approvals.decide(request_row.id, team["head"], "approved")
    db.session.commit()  # now in exploratory contact: 30-day deadline
    clock.shift(timedelta(days=45))  # 30 days, rolled past holidays and a weekend
    found = api.get("/processes?overdue=true", as_=team["staff"]).get_json()
    assert [p["id"] for p in found["items"]] == [process.id]
    assert found["items"][0]["urgency"] == "overdue"


def test_partners_list_and_detail(api, team, make_process):
    make_process("umea")
    staff = team["staff"]
    cy = api.get("/partners?country=CY", as_=staff).get_json()
    assert sorted(p["key"] for p in cy["items"]) == ["lakatamia", "limassol", "strovolos"]
    umea = next(
        p
        for p in api.get("/partners?per_page=100", as_=staff).get_json()["items"]
        if p["key"] == "umea"
    )
    detail = api.get(f"/partners/{umea['id']}", as_=staff, lang="el").get_json()
    assert detail["name"] == "Ουμεό" and len(detail["processes"]) == 1
    nea = next(
        p
        for p in api.get("/partners?per_page=100", as_=staff).get_json()["items"]
        if p["key"] == "nea_ionia"
    )
    assert nea["successor"]["key"] == "volos"


# --- detail, versions, concurrency ----------------------------------------------------------


def test_detail_explains_actions_in_the_requested_language(api, team, make_process):
    process = make_process("umea")
    el = api.get(f"/processes/{process.id}", as_=team["staff"], lang="el")
    assert el.headers["ETag"] == f'"v{el.get_json()["version"]}"'
    body = el.get_json()
    assert [s["key"] for s in body["states"]] == ["idea"]
    action = next(a for a in body["actions"] if a["transition"] == "open_contact")
    assert action["allowed"] is False
    assert action["reasons"][0]["code"] == "approval_missing"
    assert "Εκκρεμεί έγκριση" in action["reasons"][0]["message"]
    en = api.get(f"/processes/{process.id}", as_=team["staff"], lang="en").get_json()
    en_action = next(a for a in en["actions"] if a["transition"] == "open_contact")
    assert en_action["reasons"][0]["message"].startswith("Approval for")
    assert [a["approver"]["id"] for a in en["approvals"]] == [team["head"].id]
    assert en["history"][0]["action"] == "process.create"


def test_stale_version_in_body_is_409_and_in_if_match_412(api, team, make_process):
    process = make_process("umea")
    staff = team["staff"]
    version = api.get(f"/processes/{process.id}", as_=staff).get_json()["version"]
    ok = api.put(
        f"/processes/{process.id}/flags/final_text_agreed",
        {"value": True},
        as_=staff,
        headers={"If-Match": f'"v{version}"'},
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.headers["ETag"] == f'"v{version + 1}"'
    again = api.put(
        f"/processes/{process.id}/flags/final_text_agreed",
        {"value": False},
        as_=staff,
        headers={"If-Match": f'"v{version}"'},
    )
    assert again.status_code == 412
    assert error_of(again)["code"] == "changed_meanwhile"
    body = api.put(
        f"/processes/{process.id}/flags/final_text_agreed",
        {"value": False, "version": version},
        as_=staff,
    )
    assert body.status_code == 409
    assert error_of(body)["code"] == "changed_meanwhile"
    # A program has no page that refreshed itself: it is told to read the file again.
    told = error_of(body)
    assert told["message"] == (
        "The file changed meanwhile: read it again for its new version, check it and send again."
    )
    assert told["details"]["reasons"] == [
        {"code": "changed_meanwhile", "message": told["message"], "params": {}}
    ]
    greek = api.put(
        f"/processes/{process.id}/flags/final_text_agreed",
        {"value": False},
        as_=staff,
        lang="el",
        headers={"If-Match": f'"v{version}"'},
    )
    assert greek.status_code == 412
    assert error_of(greek)["message"].startswith("Ο φάκελος άλλαξε στο μεταξύ: διαβάστε τον ξανά")
    assert "σελίδα" not in error_of(greek)["message"]
    assert api.get(f"/processes/{process.id}", as_=staff).get_json()["flags"] == {
        "final_text_agreed": True
    }


def test_refused_transition_is_409_with_every_reason(api, team, make_process):
    process = make_process("umea")
    r = api.post(f"/processes/{process.id}/transitions/open_contact", {}, as_=team["staff"])
    assert r.status_code == 409
    err = error_of(r)
    assert err["code"] == "refused"
    assert [x["code"] for x in err["details"]["reasons"]] == ["approval_missing"]
    unknown = api.post(f"/processes/{process.id}/transitions/fly_away", {}, as_=team["staff"])
    assert unknown.status_code == 404


def test_approvals_only_by_their_approver(api, team, make_process):
    process = make_process("umea")
    request_row = pending_request(process.id, team["head"])
    r = api.post(
        f"/approvals/{request_row.id}/decision", {"decision": "approved"}, as_=team["mayor"]
    )
    assert r.status_code == 403
    r = api.post(
        f"/approvals/{request_row.id}/decision", {"decision": "rejected"}, as_=team["head"]
    )
    assert r.status_code == 422
    assert error_of(r)["details"]["fields"]["comment"][0]["code"] == "comment_required"
    assert (
        api.post(
            "/approvals/424242/decision", {"decision": "approved"}, as_=team["head"]
        ).status_code
        == 404
    )


def test_deadline_extension_through_the_api(api, team, make_process):
    from tracker.services import approvals

    process = make_process("umea")
    approvals.decide(pending_request(process.id, team["head"]).id, team["head"], "approved")
    db.session.commit()
    staff = team["staff"]
    detail = api.get(f"/processes/{process.id}", as_=staff).get_json()
    deadline = next(d for d in detail["deadlines"] if d["status"] == "open")
    due = clock.utcnow().date() + timedelta(days=60)
    path = f"/processes/{process.id}/deadlines/{deadline['id']}/extensions"
    r = api.post(
        path, {"new_due": due.isoformat(), "reason": "", "version": detail["version"]}, as_=staff
    )
    assert r.status_code == 422
    r = api.post(
        path,
        {"new_due": due.isoformat(), "reason": "Partner asked", "version": detail["version"]},
        as_=staff,
    )
    assert r.status_code == 200, r.get_json()
    moved = next(d for d in r.get_json()["deadlines"] if d["id"] == deadline["id"])
    assert to_local(clock.utcnow()).date() < due
    assert moved["due_dt"] != deadline["due_dt"]
    assert moved["extensions"][0]["reason"] == "Partner asked"
    assert moved["extensions"][0]["actor"]["id"] == staff.id
    other = make_process("vilnius")
    wrong = f"/processes/{other.id}/deadlines/{deadline['id']}/extensions"
    assert (
        api.post(wrong, {"new_due": due.isoformat(), "reason": "x"}, as_=staff).status_code == 404
    )


# --- a twinning from idea to active, by several people with their own tokens ------------------


def decide_all(api, user, process_id, expected=1):
    mine = api.get("/approvals", as_=user).get_json()
    items = [a for a in mine["items"] if a["process_id"] == process_id]
    assert len(items) == expected, (user.email, mine)
    for item in items:
        r = api.post(f"/approvals/{item['id']}/decision", {"decision": "approved"}, as_=user)
        assert r.status_code == 200, r.get_json()
    return r.get_json()["process"]


def states(body):
    return sorted(s["key"] for s in body["states"])


def record(api, staff, process_id, path, body):
    r = api.post(f"/processes/{process_id}/{path}", body, as_=staff)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def council_vote(session_date: date, **more: str) -> dict[str, object]:
    """The Vilnius vote of scenario 2 as the API takes it; no ΑΔΑ or posting date unless given."""
    return {
        "purpose": "approval",
        "session_date": session_date.isoformat(),
        "decision_number": "214/2026",
        "members": 41,
        "present": 27,
        "votes_for": 24,
        "against": 1,
        "abstain": 2,
        **more,
    }


def test_a_twinning_from_idea_to_active_through_the_api(api, team):
    staff = team["staff"]
    today = to_local(clock.utcnow()).date()
    created = api.post("/processes", {"kind": "twinning", "partner": "umea"}, as_=staff)
    assert created.status_code == 201
    pid = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"/api/v1/processes/{pid}")

    assert states(decide_all(api, team["head"], pid)) == ["exploratory_contact"]
    event = {"kind": "partner_reply", "outcome": "positive", "event_date": today.isoformat()}
    assert states(record(api, staff, pid, "external-events", event)) == ["letter_of_intent"]
    decide_all(api, team["mayor"], pid)
    event = {"kind": "partner_loi_reply", "outcome": "positive", "event_date": today.isoformat()}
    assert states(record(api, staff, pid, "external-events", event)) == ["drafting"]
    decide_all(api, team["head"], pid)
    decide_all(api, team["deputy"], pid)
    decide_all(api, team["c1"], pid)
    assert states(decide_all(api, team["c2"], pid)) == ["council_agenda"]
    assert states(decide_all(api, team["president"], pid)) == ["council_decision"]

    vote = council_vote(
        today - timedelta(days=20),
        posted_on=(today - timedelta(days=19)).isoformat(),
        ada="6ΞΑΖ46ΜΤΛΗ-ΡΣΚ",
    )
    body = record(api, staff, pid, "council-decisions", vote)
    assert states(body) == ["ministry_review", "partner_approval"]
    assert body["council_decisions"][0]["outcome"] == "approved"
    event = {"kind": "ministry_decision", "outcome": "consent", "event_date": today.isoformat()}
    record(api, staff, pid, "external-events", event)
    event = {"kind": "partner_decision", "outcome": "approved", "event_date": today.isoformat()}
    body = record(api, staff, pid, "external-events", event)
    assert states(body) == ["ministry_consented", "partner_approved"]
    flag = api.put(
        f"/processes/{pid}/flags/final_text_agreed",
        {"value": True, "version": body["version"]},
        as_=staff,
    )
    assert states(flag.get_json()) == ["ready_to_sign"]

    sign = {"date": today.isoformat(), "place": "home", "version": flag.get_json()["version"]}
    r = api.post(f"/processes/{pid}/transitions/sign_phase_a", sign, as_=staff)
    assert r.status_code == 200, r.get_json()
    assert states(r.get_json()) == ["signed_phase_a"]
    abroad = {"date": today.isoformat(), "place": "partner"}
    refused = api.post(f"/processes/{pid}/transitions/sign_phase_b", abroad, as_=staff)
    assert refused.status_code == 409
    assert [x["code"] for x in error_of(refused)["details"]["reasons"]] == ["travel_missing"]
    travel = {**vote, "purpose": "travel", "phase": "B", "decision_number": "215/2026"}
    travel["ada"] = "6ΞΑΖ46ΜΤΛΗ-ΡΣΛ"  # a posting of its own
    record(api, staff, pid, "council-decisions", travel)
    r = api.post(f"/processes/{pid}/transitions/sign_phase_b", abroad, as_=staff)
    assert r.status_code == 200, r.get_json()
    final = api.get(f"/processes/{pid}", as_=team["viewer"]).get_json()
    assert states(final) == ["active"]
    assert final["signed_on"] == today.isoformat()
    assert {h["action"] for h in final["history"]} >= {"process.transition", "approval.approved"}


def test_create_token_from_the_command_line(runner, api, team):
    result = runner.invoke(args=["tracker", "create-token", "mayor@example.org", "--name", "ci"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json()["email"] == "mayor@example.org"
    refused = runner.invoke(args=["tracker", "create-token", "nobody@example.org", "--name", "x"])
    assert refused.exit_code != 0


def api_routes(app):
    from tracker.api.spec import api_rules

    for rule in api_rules(app):
        view = app.view_functions[rule.endpoint]
        values = {arg: 1 if arg.endswith("_id") else "final_text_agreed" for arg in rule.arguments}
        path = rule.rule
        for arg, value in values.items():
            path = re.sub(rf"<(?:\w+:)?{arg}>", str(value), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, view.permission


def test_every_api_route_needs_a_token_and_its_permission(app, api, make_user):
    from tracker.domain.permissions import MATRIX
    from tracker.domain.roles import ROLE_KEYS

    checked = 0
    for method, path, permission in api_routes(app):
        anonymous = api.request(method, path, json={})
        if permission == "public":
            assert anonymous.status_code == 200, path
            continue
        assert anonymous.status_code == 401, (method, path)
        outsiders = [r for r in ROLE_KEYS if r not in MATRIX.get(permission, ROLE_KEYS)]
        if not outsiders:
            continue  # every role may (e.g. process.view): nothing to refuse
        user = make_user(outsiders[0])
        refused = api.request(method, path, as_=user, json={})
        assert refused.status_code == 403, (method, path, outsiders[0])
        checked += 1
    assert checked >= 7


def test_an_unexpected_failure_is_a_json_500_with_nothing_saved(api, team, monkeypatch):
    from tracker.services import processes

    original = processes.create_process

    def failing(*args, **kwargs):
        original(*args, **kwargs)  # the file is flushed, then something breaks
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(processes, "create_process", failing)
    r = api.post("/processes", {"kind": "twinning", "partner": "umea"}, as_=team["staff"])
    assert r.status_code == 500
    assert error_of(r)["code"] == "internal_error"
    assert "disk on fire" not in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Process)) == 0


def test_a_decision_recorded_without_its_posting_gets_it_later(api, team, make_process):
    from tests.views.screens import drive

    staff = team["staff"]
    pid = drive(make_process("vilnius"), team, "council").id
    today = to_local(clock.utcnow()).date()
    vote = council_vote(today)
    body = record(api, staff, pid, "council-decisions", vote)
    [decision] = body["council_decisions"]
    assert decision["ada"] == "" and decision["posted_on"] is None
    path = f"/processes/{pid}/council-decisions/{decision['id']}/posting"
    bad = api.put(path, {"version": body["version"], "ada": "abc"}, as_=staff)
    assert bad.status_code == 422
    assert "ada" in error_of(bad)["details"]["fields"]
    councillor = api.put(
        path, {"version": body["version"], "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"}, as_=team["c1"]
    )
    assert councillor.status_code == 403
    done = api.put(
        path,
        {"version": body["version"], "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ", "posted_on": today.isoformat()},
        as_=staff,
    )
    assert done.status_code == 200, done.get_json()
    [decision] = done.get_json()["council_decisions"]
    assert (decision["ada"], decision["posted_on"]) == ("6ΞΑΖ46ΜΤΛΗ-ΡΣΚ", today.isoformat())
    assert any(d["kind"] == "appeal" for d in done.get_json()["deadlines"])
    again = api.put(path, {"version": done.get_json()["version"], "ada": "ΑΒΓ-ΔΕΖ"}, as_=staff)
    assert again.status_code == 422
    assert "Already recorded" in again.get_data(as_text=True)
    other = drive(make_process("umea"), team, "contact").id
    elsewhere = f"/processes/{other}/council-decisions/{decision['id']}/posting"
    assert api.put(elsewhere, {"version": 1, "ada": "ΑΒΓ-ΔΕΖ"}, as_=staff).status_code == 404

    # The ΑΔΑ was mistyped: corrected with a reason, the history keeps both.
    fix = f"/processes/{pid}/council-decisions/{decision['id']}/ada"
    version = done.get_json()["version"]
    missing = api.put(fix, {"version": version, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΛ"}, as_=staff)
    assert missing.status_code == 422 and "reason" in error_of(missing)["details"]["fields"]
    denied = {"version": version, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΛ", "reason": "typo"}
    assert api.put(fix, denied, as_=team["c1"]).status_code == 403
    fixed = api.put(fix, {**denied, "reason": "last letter"}, as_=staff)
    assert fixed.status_code == 200, fixed.get_json()
    [decision] = fixed.get_json()["council_decisions"]
    assert decision["ada"] == "6ΞΑΖ46ΜΤΛΗ-ΡΣΛ"
    [entry] = [h for h in fixed.get_json()["history"] if h["action"] == "council.ada_corrected"]
    assert entry["data"]["old"] == "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ" and entry["data"]["reason"] == "last letter"
    stale = api.put(fix, {**denied, "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΜ"}, as_=staff)
    assert stale.status_code == 409  # the version read before the correction


def test_my_pending_approvals_hold_only_what_i_may_decide_now(api, team, make_process):
    """Ordered groups: the deputy mayor's request appears once the head has approved."""
    from tests.views.screens import drive

    process = drive(make_process("umea"), team, "drafting")
    assert api.get("/approvals", as_=team["deputy"]).get_json()["items"] == []
    decide_all(api, team["head"], process.id)
    decide_all(api, team["deputy"], process.id)
    decide_all(api, team["c1"], process.id)
