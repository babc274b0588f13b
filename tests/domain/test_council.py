"""Council votes (quorum, majority, impossible counts) and the shape of a ΑΔΑ."""

from __future__ import annotations

import pytest

from tracker.domain.council import (
    CouncilRule,
    VoteCount,
    assess_vote,
    normalise_ada,
    valid_ada,
)
from tracker.domain.errors import DefinitionError

DEFAULT = CouncilRule()
THIRD = CouncilRule(quorum="at_least_third")
SIMPLE = CouncilRule(majority="simple")
MEMBERS = CouncilRule(majority="absolute_members")


def test_scenario_2_vilnius_vote_is_approved() -> None:
    """41 members, 27 present, 24 for, 1 against, 2 abstaining (scenarios.md §2)."""
    result = assess_vote(DEFAULT, VoteCount(41, 27, 24, 1, 2))
    assert result.valid
    assert result.quorum_met
    assert result.outcome == "approved"


OUTCOMES = [
    # rule, members, present, for, against, abstain, outcome
    (DEFAULT, 41, 41, 41, 0, 0, "approved"),  # unanimous
    (DEFAULT, 41, 21, 11, 10, 0, "approved"),  # quorum just met, 11 of 21
    (DEFAULT, 41, 27, 14, 13, 0, "approved"),
    (DEFAULT, 41, 27, 13, 10, 4, "rejected"),  # 13 is not more than half of 27
    (DEFAULT, 41, 27, 13, 14, 0, "rejected"),
    (DEFAULT, 41, 27, 0, 0, 0, "rejected"),
    (THIRD, 40, 14, 8, 6, 0, "approved"),  # a third of the members is enough
    (SIMPLE, 41, 27, 10, 9, 8, "approved"),  # more for than against
    (SIMPLE, 41, 27, 9, 9, 9, "rejected"),  # a tie is not a majority
    (MEMBERS, 41, 30, 21, 9, 0, "approved"),  # absolute majority of all members
    (MEMBERS, 41, 30, 20, 0, 10, "rejected"),
    (DEFAULT, 1, 1, 1, 0, 0, "approved"),
]


@pytest.mark.parametrize(("rule", "members", "present", "yes", "no", "blank", "outcome"), OUTCOMES)
def test_majority_rules(
    rule: CouncilRule, members: int, present: int, yes: int, no: int, blank: int, outcome: str
) -> None:
    result = assess_vote(rule, VoteCount(members, present, yes, no, blank))
    assert result.errors == {}
    assert result.outcome == outcome


@pytest.mark.parametrize(
    ("rule", "members", "present", "quorate"),
    [
        (DEFAULT, 41, 20, False),
        (DEFAULT, 41, 21, True),
        (DEFAULT, 40, 20, False),  # exactly half is not more than half
        (DEFAULT, 40, 21, True),
        (THIRD, 40, 13, False),
        (THIRD, 40, 14, True),
        (THIRD, 39, 13, True),  # exactly a third
        (DEFAULT, 41, 0, False),
    ],
)
def test_quorum_rules(rule: CouncilRule, members: int, present: int, quorate: bool) -> None:
    result = assess_vote(rule, VoteCount(members, present, 0, 0, 0))
    assert result.quorum_met is quorate
    if quorate:
        assert result.valid
    else:
        assert result.outcome is None
        assert [r.code for r in result.errors["present"]] == ["vote_no_quorum"]


IMPOSSIBLE = [
    # members, present, for, against, abstain, {field: [codes]}
    ((41, 27, 25, 2, 1), {"votes_for": ["vote_cast_exceeds"]}),  # 28 votes from 27 present
    ((41, 27, 27, 1, 0), {"votes_for": ["vote_cast_exceeds"]}),
    ((41, 42, 30, 0, 0), {"present": ["vote_present_exceeds"]}),
    ((41, 50, 50, 1, 0), {"present": ["vote_present_exceeds"], "votes_for": ["vote_cast_exceeds"]}),
    ((-1, 0, 0, 0, 0), {"members": ["vote_negative", "vote_members_zero"]}),
    ((41, -1, 0, 0, 0), {"present": ["vote_negative"]}),
    ((41, 27, -1, 0, 0), {"votes_for": ["vote_negative"]}),
    ((41, 27, 20, -1, 0), {"against": ["vote_negative"]}),
    ((41, 27, 20, 0, -3), {"abstain": ["vote_negative"]}),
    ((0, 0, 0, 0, 0), {"members": ["vote_members_zero"]}),
]


@pytest.mark.parametrize(("counts", "expected"), IMPOSSIBLE)
def test_impossible_counts_are_refused_field_by_field(
    counts: tuple[int, int, int, int, int], expected: dict[str, list[str]]
) -> None:
    result = assess_vote(DEFAULT, VoteCount(*counts))
    assert not result.valid
    assert result.outcome is None
    assert {k: [r.code for r in v] for k, v in result.errors.items()} == expected
    for reasons in result.errors.values():
        for reason in reasons:
            assert reason.text("el") and reason.text("en")


def test_the_cast_error_names_the_numbers() -> None:
    result = assess_vote(DEFAULT, VoteCount(41, 27, 25, 2, 1))
    assert result.errors["votes_for"][0].text("en") == (
        "For + against + abstaining (28) exceed those present (27)."
    )


@pytest.mark.parametrize(
    "data",
    [
        {"members": 0},
        {"members": "41"},
        {"members": True},
        {"quorum": "most"},
        {"majority": "loudest"},
        {"quorum": ["more_than_half"]},
    ],
)
def test_bad_council_rules_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(DefinitionError):
        CouncilRule.from_dict(data)


def test_council_rule_round_trips() -> None:
    rule = CouncilRule(33, "at_least_third", "simple")
    assert CouncilRule.from_dict(rule.to_dict()) == rule
    assert CouncilRule.from_dict(None) == DEFAULT


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("6ΞΑΖ46ΜΤΛΗ-ΡΣΚ", "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"),
        ("Ψ4ΚΓ46ΜΤΛΗ-Β9Ι", "Ψ4ΚΓ46ΜΤΛΗ-Β9Ι"),
        ("4ΑΓΚ46ΜΤΛΗ-9", "4ΑΓΚ46ΜΤΛΗ-9"),  # older, shorter ones
        ("ΒΛ4Γ-ΡΔΠ", "ΒΛ4Γ-ΡΔΠ"),
        ("6ξαζ46μτλη-ρσκ", "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"),  # lower case
        ("6ΞΆΖ46ΜΤΛΉ-ΡΣΚ", "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"),  # accents
        ("6ξαζ46μτλη-ρςκ", "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"),  # final sigma
        ("  6ΞΑΖ 46ΜΤΛΗ - ΡΣΚ\n", "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"),  # spaces
        ("6ΞΑΖ46ΜΤΛΗ–ΡΣΚ", "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ"),  # an en dash from a PDF
        ("6XAZ46MTΛH-PΣK", "6ΧΑΖ46ΜΤΛΗ-ΡΣΚ"),  # Latin look-alikes typed in
    ],
)
def test_real_ada_shapes_are_accepted_and_normalised(raw: str, stored: str) -> None:
    assert valid_ada(raw)
    assert normalise_ada(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "-",
        "ΡΣΚ",
        "6ΞΑΖ46ΜΤΛΗΡΣΚ",  # no hyphen
        "6ΞΑΖ-46ΜΤΛΗ-ΡΣΚ",  # two hyphens
        "6ΞΑ-ΡΣΚ",  # too short before the hyphen
        "6ΞΑΖ46ΜΤΛΗ-",
        "-6ΞΑΖ46ΜΤΛΗ",
        "6ΞΑΖ46ΜΤΛΗ-ΡΣΚΡΣΚΡ",  # too long after it
        "6ΞΑΖ46ΜΤΛΗ6ΞΑΖ46-ΡΣΚ",  # too long before it
        "6QWZ46ΜΤΛΗ-ΡΣΚ",  # Latin letters with no Greek twin
        "<script>-x",
        "6ΞΑΖ46ΜΤΛΗ-ΡΣΚ;",
        "214/2026",
    ],
)
def test_garbage_is_rejected(raw: str) -> None:
    assert not valid_ada(raw)
