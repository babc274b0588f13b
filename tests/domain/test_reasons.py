"""Every reason explains itself in Greek and in English, with its parameters filled in."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

import pytest

from tracker.domain import engine
from tracker.domain.builtin import builtin
from tracker.domain.text import LANGUAGES, REASONS, Reason

GREEK = re.compile(r"[\u0370-\u03ff]")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(REASONS))
def test_reason_renders_in_both_languages(code: str) -> None:
    texts = REASONS[code]
    assert set(texts) == set(LANGUAGES), f"{code}: needs exactly {LANGUAGES}"
    names = placeholders(texts["el"])
    assert names == placeholders(texts["en"]), f"{code}: el and en take different parameters"
    params = {name: {"el": f"«{name}-el»", "en": f"<{name}-en>"} for name in names}
    greek = Reason(code, params).text("el")
    english = Reason(code, params).text("en")
    assert GREEK.search(greek), f"{code}: the Greek text has no Greek in it"
    assert greek != english
    for name in names:  # bilingual parameters follow the language of the sentence
        assert f"«{name}-el»" in greek and f"<{name}-en>" not in greek
        assert f"<{name}-en>" in english and f"«{name}-el»" not in english
    for text in (greek, english):
        assert "{" not in text and "}" not in text
        assert text.strip() == text and text


def test_plain_parameters_are_used_as_they_are() -> None:
    reason = Reason("vote_no_quorum", {"present": 20, "members": 41})
    assert reason.text("el") == "Δεν υπάρχει απαρτία: παρόντες 20 από 41."
    assert reason.text("en") == "No quorum: 20 present out of 41."
    assert str(reason) == reason.text("en")
    assert reason.to_dict("el")["message"] == reason.text("el")


def test_unknown_language_falls_back_to_greek() -> None:
    assert Reason("required").text("fr") == REASONS["required"]["el"]


NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
LATIN_KEYS = re.compile(
    r"\b(council_member|deputy_mayor|requires_ministry|final_text_agreed|partner_abroad|"
    r"ministry_decision|partner_decision|sign_phase_a|ready_to_sign|partner_approved)\b"
)


@pytest.mark.parametrize(
    ("active", "key", "roles", "payload", "flags"),
    [
        ({"idea"}, "sign_phase_a", {"staff"}, None, {}),
        ({"abandoned"}, "abandon", {"head"}, None, {}),
        ({"idea"}, "abandon", {"staff"}, None, {}),
        ({"idea"}, "open_contact", {"staff"}, None, {}),
        ({"ready_to_sign"}, "sign_phase_a", {"staff"}, {}, {}),
        (
            {"ready_to_sign"},
            "sign_phase_a",
            {"staff"},
            {"place": "partner", "date": "x"},
            {"partner_abroad": True},
        ),
        ({"partner_approved"}, "ready", {"staff"}, None, {}),
        ({"ministry_review"}, "ministry_consents", {"staff"}, None, {}),
        ({"active"}, "terminate", {"viewer"}, None, {}),
        ({"drafting"}, "submit_to_council", {"staff"}, None, {}),
    ],
)
def test_guards_explain_themselves_in_both_languages(
    active: set[str],
    key: str,
    roles: set[str],
    payload: dict[str, str] | None,
    flags: dict[str, bool],
) -> None:
    """What users read: no internal keys, Greek in Greek, English in English."""
    facts = engine.Facts(active=frozenset(active), now=NOW, flags=flags)
    reasons = engine.check(builtin("twinning"), facts, key, roles, payload)
    assert reasons
    for reason in reasons:
        greek, english = reason.text("el"), reason.text("en")
        assert GREEK.search(greek)
        assert not LATIN_KEYS.search(greek), greek
        assert not LATIN_KEYS.search(english), english
        assert not GREEK.search(english.replace("ΑΔΑ", "")) or reason.code == "approval_missing"


def test_closed_window_date_is_in_athens_time() -> None:
    facts = engine.Facts(
        active=frozenset({"partner_approved"}),
        now=NOW,
        flags={"final_text_agreed": True},
        council=[engine.CouncilFact("approval", "approved")],
        appeal_until=datetime(2026, 7, 1, 20, 59, tzinfo=UTC),
        appeal_from=datetime(2026, 6, 15, 21, 0, tzinfo=UTC),
    )
    reasons = engine.check(builtin("twinning"), facts, "ready", {"staff"}, None)
    assert [r.code for r in reasons] == []  # the window closed before NOW
    later = engine.Facts(**{**facts.__dict__, "now": datetime(2026, 7, 1, 12, 0, tzinfo=UTC)})
    (reason,) = engine.check(builtin("twinning"), later, "ready", {"staff"}, None)
    assert reason.text("en") == "The appeal window is open until 1 Jul 2026, 23:59."
    assert reason.text("el") == "Η προθεσμία προσφυγής είναι ανοιχτή έως 1 Ιουλ 2026, 23:59."


def test_dates_in_reasons_read_like_the_pages_in_each_language() -> None:
    """The domain has no Babel; its dates must still match the pages' "d MMM y" exactly."""
    from datetime import date

    from babel.dates import format_date

    from tracker.domain.text import day_text

    for month in range(1, 13):
        day = date(2026, month, 7)
        text = day_text(day)
        assert text == {lang: format_date(day, "d MMM y", locale=lang) for lang in ("el", "en")}
