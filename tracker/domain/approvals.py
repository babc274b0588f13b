"""Approval policies: any one of, all of, majority of, at least N, with veto.

Evaluation works on the votes of one round only; a "send back" opens a new
round, so the old round's votes simply stop being passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from .definitions import ApprovalGroup, ApprovalSpec

Outcome = Literal["approved", "rejected", "pending"]
Decision = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True)
class Vote:
    """One approver's standing in the current round of a step."""

    approver: int
    group: int
    decision: Decision


def needed(group: ApprovalGroup, total: int) -> int:
    """How many approvals the group needs out of ``total`` assigned approvers."""
    if group.policy == "any":
        return 1
    if group.policy == "all":
        return total
    if group.policy == "majority":
        return total // 2 + 1
    return group.n or 1


def understaffed(group: ApprovalGroup, total: int) -> bool:
    """Too few approvers were assigned for the policy ever to be met (e.g. 3 of 2)."""
    return total == 0 or total < needed(group, total)


def evaluate_group(group: ApprovalGroup, votes: Sequence[Vote]) -> Outcome:
    """Decide a group as soon as the result can no longer change.

    An understaffed group never approves: it stays pending, and the engine
    says which roles are missing, rather than letting a step through unchecked.
    """
    total = len(votes)
    approvals = sum(v.decision == "approved" for v in votes)
    rejections = sum(v.decision == "rejected" for v in votes)
    need = needed(group, total)
    if understaffed(group, total):
        return "pending"
    if rejections and (group.veto or group.policy == "all"):
        return "rejected"
    if approvals >= need:
        return "approved"
    if total - rejections < need:
        return "rejected"
    return "pending"


def evaluate(spec: ApprovalSpec, votes: Sequence[Vote]) -> Outcome:
    """All groups must approve; any rejected group rejects the step."""
    outcomes = [
        evaluate_group(g, [v for v in votes if v.group == i]) for i, g in enumerate(spec.groups)
    ]
    if "rejected" in outcomes:
        return "rejected"
    if all(o == "approved" for o in outcomes):
        return "approved"
    return "pending"


def open_groups(spec: ApprovalSpec, votes: Sequence[Vote]) -> set[int]:
    """Groups whose approvers may decide now (all of them unless ``ordered``)."""
    if not spec.ordered:
        return set(range(len(spec.groups)))
    for i, g in enumerate(spec.groups):
        if evaluate_group(g, [v for v in votes if v.group == i]) != "approved":
            return {i}
    return set()


def may_decide(spec: ApprovalSpec, votes: Sequence[Vote], approver: int, group: int) -> bool:
    """True when ``approver`` has a pending vote in an open group and the step is undecided."""
    if evaluate(spec, votes) != "pending" or group not in open_groups(spec, votes):
        return False
    return any(
        v.approver == approver and v.group == group and v.decision == "pending" for v in votes
    )


def awaited_group(spec: ApprovalSpec, votes: Sequence[Vote], group: int) -> int | None:
    """The earlier group ``group`` waits for under an ``ordered`` policy (None: its turn).

    While the step is undecided, a later group is neither asked nor shown a
    decision form until every group before it has approved.
    """
    if not spec.ordered or evaluate(spec, votes) != "pending":
        return None
    current = open_groups(spec, votes)
    if group in current:
        return None
    return min(current) if current and min(current) < group else None
