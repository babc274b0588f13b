"""Helpers for the screen tests: one logged-in browser per person, CSRF included."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient

from tests.conftest import CSRF_RE, PASSWORD
from tests.services.support import vote
from tracker import clock, seed
from tracker.domain.calendar import to_local
from tracker.extensions import db
from tracker.models import ApprovalRequest, AuditLog, Authority, Process, Step, User


class _Client(FlaskClient):
    """A test client whose every request starts with a clean ``g``.

    The ``app`` fixture keeps one application context pushed and requests
    reuse it, so ``g`` (Flask-Login's user, Flask-WTF's CSRF token,
    Flask-Babel's locale) would leak from one person's request into the next
    person's. A real server gives each request its own ``g``.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        for name in ("_login_user", "csrf_token", "_flask_babel"):
            g.pop(name, None)
        return super().open(*args, **kwargs)


class Browser:
    """A test client logged in as one person, posting forms the way a browser does."""

    def __init__(self, app: Flask, email: str | None = None) -> None:
        app.test_client_class = _Client
        self.client: FlaskClient = app.test_client()
        self.email = email
        if email:
            self.login(email)

    def login(self, email: str) -> None:
        page = self.client.get("/login", follow_redirects=True).get_data(as_text=True)
        response = self.client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token_in(page)}
        )
        assert response.status_code == 302, f"log-in of {email} failed"

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def text(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def token(self) -> str:
        return token_in(self.client.get("/").get_data(as_text=True))

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        """POST with this session's CSRF token (scraped from the dashboard)."""
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token()}, **kw)

    def submit(self, path: str, typed: dict[str, Any], **kw: Any) -> Any:
        """Fill in the form on ``path`` as rendered (its hidden fields kept) and send it."""
        page = self.text(path)
        form = page[page.index('<form method="post" novalidate') :]
        form = form[: form.index("</form>")]
        hidden = dict(
            re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
        )
        hidden.update(
            re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', form)
        )
        return self.client.post(path, data={**hidden, **typed}, **kw)

    def post_raw(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        """POST without any CSRF token, as a forged cross-site form would."""
        return self.client.post(path, data=data or {}, **kw)

    def language(self, code: str) -> None:
        self.client.post(f"/language/{code}", data={"csrf_token": self.token()})


def token_in(page: str) -> str:
    found = CSRF_RE.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def authority(key: str) -> Authority:
    return db.session.scalars(sa.select(Authority).where(Authority.key == key)).one()


def fresh(process_id: int) -> Process:
    db.session.expire_all()
    found = db.session.get(Process, process_id)
    assert found is not None
    return found


def active(process_id: int) -> set[str]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            sa.select(Step.state).where(Step.process_id == process_id, Step.status == "open")
        )
    )


def pending_request(process_id: int, approver_id: int) -> ApprovalRequest:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(ApprovalRequest)
        .join(Step, Step.id == ApprovalRequest.step_id)
        .where(
            ApprovalRequest.process_id == process_id,
            ApprovalRequest.approver_id == approver_id,
            ApprovalRequest.status == "pending",
            Step.status == "open",
            Step.round == ApprovalRequest.round,
        )
    ).one()


def history_count(process_id: int) -> int:
    db.session.expire_all()
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.process_id == process_id)
        )
        or 0
    )


def today() -> date:
    return to_local(clock.utcnow()).date()


def council_data(version: int, **over: Any) -> dict[str, Any]:
    """The Vilnius vote of scenario 2, as typed into the form."""
    data = {
        "version": version,
        "purpose": "approval",
        "phase": "",
        "session_date": "2026-11-18",
        "session_number": "21η",
        "decision_number": "214/2026",
        "ada": "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ",
        "posted_on": "2026-11-20",
        "members": "41",
        "present": "27",
        "votes_for": "24",
        "against": "1",
        "abstain": "2",
        "notes": "",
    }
    data.update({k: str(v) for k, v in over.items()})
    if "ada" not in over:
        from tests.services.support import free_ada

        data["ada"] = free_ada()
    return data


def strip_tags(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


STAGES = ("contact", "letter", "drafting", "agenda", "council", "parallel", "outside", "active")


def drive(process: Process, team: dict[str, User], until: str) -> Process:
    """Walk a twinning through the services (as its people would) up to ``until``."""
    from tracker.services import processes, records

    staff = team["staff"]

    def approve_all() -> None:
        seed.approve_all(process, rounds=6)

    steps = {
        "contact": approve_all,
        "letter": lambda: records.record_external(
            process.id, "partner_reply", "positive", today(), staff
        ),
        "drafting": lambda: (
            approve_all(),
            records.record_external(process.id, "partner_loi_reply", "positive", today(), staff),
        ),
        "agenda": approve_all,
        "council": approve_all,
        "parallel": lambda: records.record_council_decision(process.id, vote(), staff),
        "outside": lambda: (
            records.record_external(process.id, "ministry_decision", "consent", today(), staff)
            if "ministry_review" in processes.active_states(process)
            else None,
            records.record_external(process.id, "partner_decision", "approved", today(), staff),
            processes.set_flag(process.id, "final_text_agreed", True, staff),
        ),
        "active": lambda: (
            clock.shift(timedelta(days=16)),
            processes.set_flag(process.id, "final_text_agreed", True, staff),
            processes.transition(
                process.id, "sign_jointly", staff, payload={"date": today(), "place": "home"}
            ),
        ),
    }
    for name in STAGES:
        steps[name]()
        db.session.commit()
        if name == until:
            break
    return fresh(process.id)
