"""Reminder ladders as data, and their firing moments (pure domain: no app, no DB)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from tracker.domain.calendar import DeadlineSpec, calendar_for, compute_due, to_local
from tracker.domain.errors import DefinitionError
from tracker.domain.ladders import DEFAULT_LADDER, Ladder, Rung, fire_times, repeat_times

pytestmark = pytest.mark.filterwarnings("error")

GR = calendar_for(["GR"])


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def keyed(pairs: list[tuple[Rung, datetime]]) -> list[tuple[str, datetime]]:
    return [(rung.key, moment) for rung, moment in pairs]


# --------------------------------------------------------------------------- default ladder


def test_default_ladder_shape() -> None:
    assert [(r.key, r.offset, r.unit, r.anchor, r.kind) for r in DEFAULT_LADDER.rungs] == [
        ("before_5", -5, "working", "due", "before"),
        ("before_1", -1, "working", "due", "before"),
        ("due", 0, "working", "due", "due"),
        ("overdue_2", 2, "working", "due", "overdue"),
        ("overdue_5", 5, "working", "due", "overdue"),
        ("escalation", 6, "working", "due", "escalation"),
    ]
    assert DEFAULT_LADDER.rung("escalation").to == ("head", "owner")
    assert DEFAULT_LADDER.rung("due").to == ("assignees", "owner")
    assert DEFAULT_LADDER.repeat_every_days is None


# --------------------------------------------------------------------------- fire times

# Due Wed 15 Apr 2026 23:59 Athens, in the week after Orthodox Easter
# (Good Friday 10 Apr and Easter Monday 13 Apr are holidays). EEST = UTC+3.
EASTER_DUE = utc(2026, 4, 15, 20, 59)
EASTER_EXPECTED = [
    ("before_5", utc(2026, 4, 6, 5, 0)),
    ("before_1", utc(2026, 4, 14, 5, 0)),
    ("due", utc(2026, 4, 15, 5, 0)),
    ("overdue_2", utc(2026, 4, 17, 5, 0)),
    ("overdue_5", utc(2026, 4, 22, 5, 0)),
    ("escalation", utc(2026, 4, 23, 5, 0)),
]


@pytest.mark.parametrize(
    ("start", "due", "expected"),
    [
        (utc(2026, 4, 1, 9, 0), EASTER_DUE, EASTER_EXPECTED),
        # Created 2 working days before due: "5 days before" is dropped.
        (utc(2026, 4, 9, 10, 0), EASTER_DUE, EASTER_EXPECTED[1:]),
        # Created on the morning of 14 Apr after 08:00 Athens: "1 day before" dropped too.
        (utc(2026, 4, 14, 7, 0), EASTER_DUE, EASTER_EXPECTED[2:]),
        # A rung firing exactly at the start moment is kept.
        (utc(2026, 4, 14, 5, 0), EASTER_DUE, EASTER_EXPECTED[1:]),
        # Created after the due day's 08:00 reminder: only overdue/escalation remain.
        (utc(2026, 4, 15, 12, 0), EASTER_DUE, EASTER_EXPECTED[3:]),
        # Across spring DST: due Mon 30 Mar 2026; 25 Mar (Wed) is a holiday.
        # Before DST 08:00 Athens = 06:00 UTC, after = 05:00 UTC.
        (
            utc(2026, 3, 2, 9, 0),
            utc(2026, 3, 30, 20, 59),
            [
                ("before_5", utc(2026, 3, 20, 6, 0)),
                ("before_1", utc(2026, 3, 27, 6, 0)),
                ("due", utc(2026, 3, 30, 5, 0)),
                ("overdue_2", utc(2026, 4, 1, 5, 0)),
                ("overdue_5", utc(2026, 4, 6, 5, 0)),
                ("escalation", utc(2026, 4, 7, 5, 0)),
            ],
        ),
        # Across autumn DST and Ohi Day (Wed 28 Oct): due Fri 30 Oct 2026 (EET, UTC+2).
        (
            utc(2026, 10, 1, 9, 0),
            utc(2026, 10, 30, 21, 59),
            [
                ("before_5", utc(2026, 10, 22, 5, 0)),
                ("before_1", utc(2026, 10, 29, 6, 0)),
                ("due", utc(2026, 10, 30, 6, 0)),
                ("overdue_2", utc(2026, 11, 3, 6, 0)),
                ("overdue_5", utc(2026, 11, 6, 6, 0)),
                ("escalation", utc(2026, 11, 9, 6, 0)),
            ],
        ),
    ],
)
def test_default_ladder_fire_times(
    start: datetime, due: datetime, expected: list[tuple[str, datetime]]
) -> None:
    got = fire_times(DEFAULT_LADDER, start, due, GR)
    assert keyed(got) == expected
    for _, moment in got:
        assert moment.tzinfo is UTC
        assert to_local(moment).time() == time(8, 0)


def test_fire_times_with_compute_due_and_custom_hour() -> None:
    start = utc(2026, 4, 1, 9, 0)
    due = compute_due(start, DeadlineSpec(10, "working"), GR)
    assert to_local(due).date() == date(2026, 4, 17)
    got = fire_times(DEFAULT_LADDER, start, due, GR, at=time(9, 30))
    assert got[2][0].key == "due"
    assert got[2][1] == utc(2026, 4, 17, 6, 30)


def test_fire_times_sorted_mixing_anchors_and_units() -> None:
    ladder = Ladder(
        rungs=(
            Rung("due", 0, "working", "due", "due"),
            Rung("opening", 0, "calendar", "start", "opening", to=("owner",)),
            Rung("week_in", 10, "calendar", "start", "reminder"),  # Sat 11 Apr: plain days
            Rung("mayor", -3, "working", "due", "before", to=("mayor",)),
        )
    )
    start = utc(2026, 4, 1, 4, 0)  # 07:00 Athens, before the 08:00 opening rung
    got = keyed(fire_times(ladder, start, EASTER_DUE, GR))
    assert got == [
        ("opening", utc(2026, 4, 1, 5, 0)),
        ("mayor", utc(2026, 4, 8, 5, 0)),
        ("week_in", utc(2026, 4, 11, 5, 0)),
        ("due", utc(2026, 4, 15, 5, 0)),
    ]


def test_fire_times_refuses_naive() -> None:
    with pytest.raises(ValueError):
        fire_times(DEFAULT_LADDER, datetime(2026, 4, 1), EASTER_DUE, GR)


def test_fire_times_equal_moments_keep_ladder_order() -> None:
    ladder = Ladder(
        rungs=(
            Rung("b", 0, "working", "due", "due", to=("owner",)),
            Rung("a", 0, "calendar", "due", "reminder", to=("head",)),
        )
    )
    got = keyed(fire_times(ladder, utc(2026, 4, 1), EASTER_DUE, GR))
    assert [k for k, _ in got] == ["b", "a"]


# --------------------------------------------------------------------------- repeats


@pytest.mark.parametrize(
    ("every", "start", "horizon", "use_cal", "expected"),
    [
        (
            7,
            utc(2026, 4, 1, 9, 0),
            utc(2026, 4, 22, 5, 0),  # horizon equal to a moment: included
            False,
            [utc(2026, 4, 8, 5, 0), utc(2026, 4, 15, 5, 0), utc(2026, 4, 22, 5, 0)],
        ),
        (
            7,
            utc(2026, 4, 1, 9, 0),
            utc(2026, 4, 22, 4, 59),
            False,
            [utc(2026, 4, 8, 5, 0), utc(2026, 4, 15, 5, 0)],
        ),
        # Across spring DST: 08:00 Athens is 06:00 UTC then 05:00 UTC.
        (
            7,
            utc(2026, 3, 20, 9, 0),
            utc(2026, 4, 4),
            False,
            [utc(2026, 3, 27, 6, 0), utc(2026, 4, 3, 5, 0)],
        ),
        # With a calendar: weekends/holidays roll forward and duplicates collapse.
        (
            3,
            utc(2026, 4, 1, 9, 0),
            utc(2026, 4, 16, 5, 0),
            True,
            [
                utc(2026, 4, 6, 5, 0),
                utc(2026, 4, 7, 5, 0),
                utc(2026, 4, 14, 5, 0),
                utc(2026, 4, 16, 5, 0),
            ],
        ),
        (7, utc(2026, 4, 1, 9, 0), utc(2026, 4, 2), False, []),
    ],
)
def test_repeat_times(
    every: int,
    start: datetime,
    horizon: datetime,
    use_cal: bool,
    expected: list[datetime],
) -> None:
    ladder = Ladder(rungs=DEFAULT_LADDER.rungs, repeat_every_days=every)
    got = repeat_times(ladder, start, horizon, cal=GR if use_cal else None)
    assert got == expected


def test_repeat_times_without_repeat_is_empty() -> None:
    assert repeat_times(DEFAULT_LADDER, utc(2026, 4, 1), utc(2027, 4, 1)) == []


# --------------------------------------------------------------------------- data


def test_default_ladder_json_roundtrip() -> None:
    data = json.loads(json.dumps(DEFAULT_LADDER.to_dict()))
    assert Ladder.from_dict(data) == DEFAULT_LADDER
    assert data["rungs"][-1] == {
        "key": "escalation",
        "offset": 6,
        "unit": "working",
        "anchor": "due",
        "kind": "escalation",
        "to": ["head", "owner"],
    }


def test_rung_from_dict_defaults_recipients() -> None:
    rung = Rung.from_dict(
        {"key": "r", "offset": 3, "unit": "calendar", "anchor": "start", "kind": "reminder"}
    )
    assert rung.to == ("assignees", "owner")


GOOD_RUNG: dict[str, Any] = {
    "key": "r",
    "offset": -2,
    "unit": "working",
    "anchor": "due",
    "kind": "before",
    "to": ["approvers"],
}


@pytest.mark.parametrize(
    "patch",
    [
        {"key": ""},
        {"key": " r"},
        {"offset": 1.5},
        {"offset": True},
        {"unit": "hours"},
        {"anchor": "end"},
        {"kind": "nag"},
        {"to": []},
        {"to": "owner"},
        {"to": ["owner", "owner"]},
        {"to": [""]},
        {"offset": 2},  # "before" with a positive offset from due
        {"kind": "due"},  # "due" with a non-zero offset
        {"kind": "overdue"},  # "overdue" with a negative offset
        {"extra": 1},
    ],
)
def test_rung_rejects_bad_data(patch: dict[str, Any]) -> None:
    with pytest.raises(DefinitionError):
        Rung.from_dict({**GOOD_RUNG, **patch})


@pytest.mark.parametrize("missing", ["key", "offset", "unit", "anchor", "kind"])
def test_rung_requires_fields(missing: str) -> None:
    data = {k: v for k, v in GOOD_RUNG.items() if k != missing}
    with pytest.raises(DefinitionError):
        Rung.from_dict(data)


@pytest.mark.parametrize(
    "data",
    [
        {"rungs": [GOOD_RUNG, GOOD_RUNG]},  # duplicate keys
        {"rungs": [GOOD_RUNG], "repeat_every_days": 0},
        {"rungs": [GOOD_RUNG], "repeat_every_days": "7"},
        {"rungs": GOOD_RUNG},
        {"rungs": [], "colour": "red"},
        [GOOD_RUNG],
    ],
)
def test_ladder_rejects_bad_data(data: Any) -> None:
    with pytest.raises(DefinitionError):
        Ladder.from_dict(data)


def test_ladder_accepts_escalation_from_start_and_empty() -> None:
    ladder = Ladder.from_dict(
        {
            "rungs": [
                {
                    "key": "esc",
                    "offset": 30,
                    "unit": "calendar",
                    "anchor": "start",
                    "kind": "escalation",
                    "to": ["head", "mayor"],
                }
            ],
            "repeat_every_days": 7,
        }
    )
    assert ladder.repeat_every_days == 7
    assert Ladder.from_dict({"rungs": []}).rungs == ()
