"""Approval policies as a table: any, all, majority, at least N, veto, ordered and empty groups."""

from __future__ import annotations

import pytest

from tracker.domain.approvals import (
    Vote,
    evaluate,
    evaluate_group,
    may_decide,
    needed,
    open_groups,
    understaffed,
)
from tracker.domain.definitions import ApprovalGroup, ApprovalSpec

CODES = {"a": "approved", "r": "rejected", "p": "pending"}


def votes(pattern: str, group: int = 0, first: int = 1) -> list[Vote]:
    """``"aar"`` → approver 1 approved, 2 approved, 3 rejected (in ``group``)."""
    return [Vote(first + i, group, CODES[c]) for i, c in enumerate(pattern)]  # type: ignore[arg-type]


def group(policy: str = "any", n: int | None = None, veto: bool = False) -> ApprovalGroup:
    return ApprovalGroup(("council_member",), policy, n, veto)  # type: ignore[arg-type]


GROUPS = [
    # policy, n, veto, votes, outcome
    ("any", None, False, "ppp", "pending"),
    ("any", None, False, "app", "approved"),
    ("any", None, False, "rpp", "pending"),  # the others may still approve
    ("any", None, False, "rra", "approved"),
    ("any", None, False, "rrr", "rejected"),
    ("any", None, True, "rpp", "rejected"),  # veto: one no is enough
    ("any", None, True, "arp", "rejected"),  # a veto counts while the step is undecided
    ("all", None, False, "aap", "pending"),
    ("all", None, False, "aaa", "approved"),
    ("all", None, False, "arp", "rejected"),
    ("all", None, False, "a", "approved"),
    ("majority", None, False, "app", "pending"),
    ("majority", None, False, "aap", "approved"),
    ("majority", None, False, "arp", "pending"),
    ("majority", None, False, "rrp", "rejected"),  # one left cannot make two
    ("majority", None, False, "aapp", "pending"),  # 3 of 4 needed
    ("majority", None, False, "aaap", "approved"),
    ("majority", None, False, "rrpp", "rejected"),
    ("majority", None, True, "aar", "rejected"),
    ("majority", None, True, "rpp", "rejected"),
    ("at_least", 2, False, "app", "pending"),
    ("at_least", 2, False, "aap", "approved"),
    ("at_least", 2, False, "rrp", "rejected"),
    ("at_least", 2, False, "arp", "pending"),
    ("at_least", 1, False, "pa", "approved"),
    ("at_least", 3, False, "aa", "pending"),  # understaffed: never approves on its own
    ("at_least", 3, True, "ar", "pending"),
    ("any", None, False, "", "pending"),  # empty group: blocked, never approved
    ("all", None, False, "", "pending"),
    ("majority", None, True, "", "pending"),
]


@pytest.mark.parametrize(("policy", "n", "veto", "pattern", "outcome"), GROUPS)
def test_group_policies(policy: str, n: int | None, veto: bool, pattern: str, outcome: str) -> None:
    assert evaluate_group(group(policy, n, veto), votes(pattern)) == outcome


@pytest.mark.parametrize(
    ("policy", "n", "total", "need"),
    [
        ("any", None, 5, 1),
        ("all", None, 5, 5),
        ("majority", None, 1, 1),
        ("majority", None, 2, 2),
        ("majority", None, 3, 2),
        ("majority", None, 4, 3),
        ("majority", None, 41, 21),
        ("at_least", 3, 5, 3),
    ],
)
def test_needed(policy: str, n: int | None, total: int, need: int) -> None:
    assert needed(group(policy, n), total) == need


@pytest.mark.parametrize(
    ("policy", "n", "total", "short"),
    [
        ("any", None, 0, True),
        ("any", None, 1, False),
        ("all", None, 0, True),
        ("at_least", 3, 2, True),
        ("at_least", 3, 3, False),
        ("majority", None, 1, False),
    ],
)
def test_understaffed(policy: str, n: int | None, total: int, short: bool) -> None:
    assert understaffed(group(policy, n), total) is short


DRAFTING = ApprovalSpec(
    (
        ApprovalGroup(("head",)),
        ApprovalGroup(("deputy_mayor",)),
        ApprovalGroup(("council_member",), "majority"),
    ),
    ordered=True,
)


def drafting(head: str, deputy: str, council: str) -> list[Vote]:
    return votes(head, 0, 1) + votes(deputy, 1, 10) + votes(council, 2, 20)


SPECS = [
    # head, deputy, council, outcome, open groups
    ("p", "p", "ppp", "pending", {0}),
    ("a", "p", "ppp", "pending", {1}),
    ("a", "a", "ppp", "pending", {2}),
    ("a", "a", "app", "pending", {2}),
    ("a", "a", "aap", "approved", set()),
    ("r", "p", "ppp", "rejected", {0}),
    ("a", "r", "ppp", "rejected", {1}),
    ("a", "a", "rrp", "rejected", {2}),
    ("a", "", "ppp", "pending", {1}),  # nobody holds the deputy's role: blocked there
]


@pytest.mark.parametrize(("head", "deputy", "council", "outcome", "groups"), SPECS)
def test_ordered_groups_decide_one_after_another(
    head: str, deputy: str, council: str, outcome: str, groups: set[int]
) -> None:
    cast = drafting(head, deputy, council)
    assert evaluate(DRAFTING, cast) == outcome
    assert open_groups(DRAFTING, cast) == groups


def test_unordered_groups_all_open_and_all_must_approve() -> None:
    spec = ApprovalSpec((ApprovalGroup(("head",)), ApprovalGroup(("mayor",))), ordered=False)
    cast = votes("p", 0, 1) + votes("a", 1, 2)
    assert open_groups(spec, cast) == {0, 1}
    assert evaluate(spec, cast) == "pending"
    assert evaluate(spec, votes("a", 0, 1) + votes("a", 1, 2)) == "approved"
    assert evaluate(spec, votes("a", 0, 1) + votes("r", 1, 2)) == "rejected"


@pytest.mark.parametrize(
    ("head", "deputy", "council", "approver", "grp", "allowed"),
    [
        ("p", "p", "ppp", 1, 0, True),  # the head's turn
        ("p", "p", "ppp", 10, 1, False),  # the deputy waits for the head
        ("p", "p", "ppp", 20, 2, False),
        ("a", "p", "ppp", 1, 0, False),  # no one approves twice
        ("a", "p", "ppp", 10, 1, True),
        ("a", "a", "app", 21, 2, True),
        ("a", "a", "app", 20, 2, False),
        ("a", "a", "aap", 22, 2, False),  # decided: the round is closed
        ("a", "p", "ppp", 99, 1, False),  # not an approver of this round at all
        ("a", "p", "ppp", 10, 0, False),  # right person, wrong group
    ],
)
def test_may_decide(
    head: str, deputy: str, council: str, approver: int, grp: int, allowed: bool
) -> None:
    assert may_decide(DRAFTING, drafting(head, deputy, council), approver, grp) is allowed
