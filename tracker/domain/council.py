"""Municipal council votes: quorum, majority and the ΑΔΑ of Diavgeia."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from .errors import DefinitionError
from .text import Reason

QUORUM_RULES = ("more_than_half", "at_least_third")
MAJORITY_RULES = ("absolute_present", "simple", "absolute_members")


@dataclass(frozen=True)
class CouncilRule:
    """How this council decides (Law 3463/2006 defaults; configurable per workflow)."""

    members: int = 41
    quorum: Literal["more_than_half", "at_least_third"] = "more_than_half"
    majority: Literal["absolute_present", "simple", "absolute_members"] = "absolute_present"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CouncilRule:
        data = data or {}
        members = data.get("members", 41)
        quorum = data.get("quorum", "more_than_half")
        majority = data.get("majority", "absolute_present")
        if not isinstance(members, int) or isinstance(members, bool) or members < 1:
            raise DefinitionError("council: members must be a whole number >= 1")
        if not isinstance(quorum, str) or quorum not in QUORUM_RULES:
            raise DefinitionError(f"council: quorum rule must be one of {QUORUM_RULES}")
        if not isinstance(majority, str) or majority not in MAJORITY_RULES:
            raise DefinitionError(f"council: majority rule must be one of {MAJORITY_RULES}")
        return cls(members, quorum, majority)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {"members": self.members, "quorum": self.quorum, "majority": self.majority}


@dataclass(frozen=True)
class VoteCount:
    """The counts staff type in from the minutes."""

    members: int
    present: int
    votes_for: int
    against: int
    abstain: int


@dataclass(frozen=True)
class VoteAssessment:
    """Outcome of a recorded vote, or the reasons it cannot be recorded."""

    errors: dict[str, list[Reason]]
    quorum_met: bool
    outcome: Literal["approved", "rejected"] | None

    @property
    def valid(self) -> bool:
        return not self.errors


def _quorum(rule: CouncilRule, members: int, present: int) -> bool:
    if rule.quorum == "more_than_half":
        return present * 2 > members
    return present * 3 >= members


def _passes(rule: CouncilRule, count: VoteCount) -> bool:
    if rule.majority == "absolute_present":
        return count.votes_for * 2 > count.present
    if rule.majority == "absolute_members":
        return count.votes_for * 2 > count.members
    return count.votes_for > count.against


def assess_vote(rule: CouncilRule, count: VoteCount) -> VoteAssessment:
    """Check that the counts can be true, then apply quorum and majority.

    Errors are keyed by field so a form can show each next to its input.
    """
    errors: dict[str, list[Reason]] = {}

    def err(fieldname: str, code: str, **params: Any) -> None:
        errors.setdefault(fieldname, []).append(Reason(code, params))

    for name in ("members", "present", "votes_for", "against", "abstain"):
        if getattr(count, name) < 0:
            err(name, "vote_negative")
    if count.members < 1:
        err("members", "vote_members_zero")
    if errors:  # comparisons with a negative number only repeat the same mistake
        return VoteAssessment(errors, False, None)
    if count.present > count.members:
        err("present", "vote_present_exceeds", present=count.present, members=count.members)
    cast = count.votes_for + count.against + count.abstain
    if cast > count.present:
        err("votes_for", "vote_cast_exceeds", cast=cast, present=count.present)
    if errors:
        return VoteAssessment(errors, False, None)
    if not _quorum(rule, count.members, count.present):
        err("present", "vote_no_quorum", present=count.present, members=count.members)
        return VoteAssessment(errors, False, None)
    return VoteAssessment({}, True, "approved" if _passes(rule, count) else "rejected")


_ADA_RE = re.compile(r"^[0-9Α-Ω]{4,14}-[0-9Α-Ω]{1,6}$")
#: Latin capitals that look like Greek ones: a ΑΔΑ copied through a Latin keyboard.
_LOOKALIKES = str.maketrans("ABEZHIKMNOPTYX", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ")
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))


def normalise_ada(raw: str) -> str:
    """Upper-case, strip accents and spaces, Greek letters for Latin look-alikes.

    Staff copy ΑΔΑ from PDFs and e-mails in many shapes; Diavgeia's own are
    digits and Greek capitals with one hyphen.
    """
    text = unicodedata.normalize("NFD", raw.strip().upper())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", "", text).translate(_DASHES).translate(_LOOKALIKES)


def valid_ada(raw: str) -> bool:
    """Loose shape check (Greek capitals and digits, one hyphen) that accepts every real ΑΔΑ."""
    return bool(_ADA_RE.match(normalise_ada(raw)))
