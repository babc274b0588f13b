"""A double-clicked or resubmitted form records once, through a real server.

For each form that records something — an approval decision, a council vote, a
comment, a transition — the same browser sends the same form several times at
the same instant (a double click, an impatient user), and once more afterwards
(the browser's "resubmit" after going back). Exactly one record must result.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.conftest import PASSWORD
from tests.figures import record
from tests.views.screens import council_data, drive
from tracker.extensions import db
from tracker.models import (
    ApprovalRequest,
    AuditLog,
    Comment,
    CouncilDecision,
    Process,
    Step,
    User,
)

from .live import Browser, server_app, serving

CLICKS = 6
KEY_RE = re.compile(r'name="key" type="hidden" value="([^"]+)"')


def same_form_at_once(browser: Browser, path: str, data: dict[str, Any]) -> Counter[int]:
    """``CLICKS`` identical posts released together, then one resubmission."""
    barrier = threading.Barrier(CLICKS)

    def click(_: int) -> int:
        barrier.wait(timeout=60)
        return browser.post(path, data)[0]

    with ThreadPoolExecutor(CLICKS) as pool:
        statuses = Counter(pool.map(click, range(CLICKS)))
    statuses[browser.post(path, data)[0]] += 1
    return statuses


def double_clicked(
    app: Flask, tmp_path: Path, email: str, path: str, data: dict[str, Any]
) -> Counter[int]:
    """``same_form_at_once`` by ``email``, logged in to a real server of its own."""
    with serving(server_app(app, tmp_path)) as base:
        browser = Browser(base, email)
        browser.login()
        statuses = same_form_at_once(browser, path, data)
        browser.close()
    return statuses


def count(model: Any, *where: Any) -> int:
    """Count in a new transaction: an open one (SQLite) would still show its old snapshot."""
    db.session.commit()
    found = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
    db.session.commit()
    return int(found or 0)


def history(process_id: int, action: str) -> int:
    return count(AuditLog, AuditLog.process_id == process_id, AuditLog.action == action)


def test_approval_decision_double_clicked_records_once(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process], tmp_path: Path
) -> None:
    process = make_process("umea")
    request_id = db.session.scalar(
        sa.select(ApprovalRequest.id).where(
            ApprovalRequest.process_id == process.id,
            ApprovalRequest.approver_id == team["head"].id,
        )
    )
    db.session.commit()
    statuses = double_clicked(
        app,
        tmp_path,
        "head@example.org",
        f"/approvals/{request_id}",
        {"decision": "approved", "password": PASSWORD},
    )
    assert statuses == {302: 1, 409: CLICKS}, statuses
    assert history(process.id, "approval.approved") == 1
    assert history(process.id, "process.transition") == 1
    record("reliability", f"double submission, approval decision: {dict(statuses)} -> 1 approval")


def test_council_decision_double_clicked_records_once(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process], tmp_path: Path
) -> None:
    process = drive(make_process("vilnius"), team, until="council")
    data = council_data(process.version)
    db.session.commit()
    statuses = double_clicked(
        app, tmp_path, "staff@example.org", f"/processes/{process.id}/council", data
    )
    assert statuses == {302: 1, 409: CLICKS}, statuses
    assert count(CouncilDecision, CouncilDecision.process_id == process.id) == 1
    assert history(process.id, "council.record") == 1
    record("reliability", f"double submission, council decision: {dict(statuses)} -> 1 decision")


def test_comment_double_clicked_records_once(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process], tmp_path: Path
) -> None:
    process = make_process("positano")
    db.session.commit()
    with serving(server_app(app, tmp_path)) as base:
        staff = Browser(base, "staff@example.org")
        staff.login()
        page = staff.get(f"/processes/{process.id}").text
        key = KEY_RE.search(page)
        assert key, "the comment form carries no key"
        data = {"body": "Η Positano απάντησε θετικά.", "key": key.group(1)}
        statuses = same_form_at_once(staff, f"/processes/{process.id}/comments", data)
        # A fresh form (a new key) is a new comment, even with the same words.
        fresh = KEY_RE.search(staff.get(f"/processes/{process.id}").text)
        assert fresh and fresh.group(1) != key.group(1)
        again = staff.post(f"/processes/{process.id}/comments", {**data, "key": fresh.group(1)})
        staff.close()
    assert statuses == {302: CLICKS + 1}, statuses
    assert again[0] == 302
    assert count(Comment, Comment.process_id == process.id) == 2
    assert history(process.id, "comment.add") == 2
    record("reliability", f"double submission, comment: {dict(statuses)} -> 1 comment")


def test_transition_double_clicked_records_once(
    app: Flask, team: dict[str, User], make_process: Callable[..., Process], tmp_path: Path
) -> None:
    process = make_process("limassol")
    data = {"version": process.version, "transition": "abandon"}
    db.session.commit()
    statuses = double_clicked(
        app, tmp_path, "head@example.org", f"/processes/{process.id}/transition", data
    )
    assert statuses == {302: 1, 409: CLICKS}, statuses
    assert history(process.id, "process.transition") == 1
    assert count(Step, Step.process_id == process.id, Step.state == "abandoned") == 1
    record("reliability", f"double submission, transition: {dict(statuses)} -> 1 transition")
