"""The role × action matrix, as data: one place that says who may do what.

Object-level rules (an approver decides only their own request) live in the
services; this matrix answers the coarse question and a test checks that every
route of the application names one of these actions.
"""

from __future__ import annotations

from .roles import (
    ADMIN,
    COUNCIL_MEMBER,
    COUNCIL_PRESIDENT,
    DEPUTY_MAYOR,
    HEAD,
    MAYOR,
    ROLE_KEYS,
    STAFF,
    VIEWER,
)

EVERYONE = frozenset(ROLE_KEYS)
OFFICE = frozenset({STAFF, HEAD})
APPROVERS = frozenset({HEAD, DEPUTY_MAYOR, MAYOR, COUNCIL_PRESIDENT, COUNCIL_MEMBER})

MATRIX: dict[str, frozenset[str]] = {
    "process.view": EVERYONE,
    "process.create": OFFICE | {ADMIN},
    "process.flag": OFFICE,
    "process.migrate": frozenset({ADMIN}),
    "approval.decide": APPROVERS,
    "council.record": OFFICE,
    "external.record": OFFICE,
    "deadline.extend": OFFICE,
    "document.upload": OFFICE,
    "document.view": EVERYONE,
    "comment.add": EVERYONE - {VIEWER},
    "partner.view": EVERYONE,
    "partner.edit": OFFICE | {ADMIN},
    "calendar.view": EVERYONE,
    "report.export": OFFICE | {ADMIN, MAYOR, DEPUTY_MAYOR},
    "audit.export": frozenset({HEAD, ADMIN}),
    "delegation.own": APPROVERS,
    "delegation.manage": frozenset({ADMIN}),
    "user.manage": frozenset({ADMIN}),
    "mail.manage": frozenset({ADMIN}),
    "workflow.edit": frozenset({ADMIN}),
}


def allowed(roles: frozenset[str] | set[str], action: str) -> bool:
    """Whether any of ``roles`` may perform ``action`` (unknown actions: never)."""
    return bool(MATRIX.get(action, frozenset()) & set(roles))
