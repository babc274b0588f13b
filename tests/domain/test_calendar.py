"""Working-day calendar and deadline arithmetic (pure domain: no app, no DB)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.calendar import (
    HOME_TZ,
    DeadlineSpec,
    StatutoryShortening,
    WorkingCalendar,
    calendar_for,
    compute_due,
    extend_due,
    local_to_utc,
    to_local,
)
from tracker.domain.errors import DefinitionError

pytestmark = pytest.mark.filterwarnings("error")

GR = calendar_for(["GR"])
CY = calendar_for(["CY"])
GR_CY = calendar_for(["GR", "CY"])


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


# --------------------------------------------------------------------------- holidays


@pytest.mark.parametrize(
    ("day", "what"),
    [
        (date(2026, 1, 1), "New Year"),
        (date(2026, 1, 6), "Epiphany"),
        (date(2026, 2, 23), "Clean Monday"),
        (date(2026, 3, 25), "25 March"),
        (date(2026, 4, 10), "Good Friday"),
        (date(2026, 4, 13), "Easter Monday"),
        (date(2026, 5, 1), "Labour Day"),
        (date(2026, 6, 1), "Whit Monday"),
        (date(2026, 10, 28), "Ohi Day"),
        (date(2026, 12, 25), "Christmas"),
        (date(2027, 3, 15), "Clean Monday 2027"),
        (date(2027, 3, 25), "25 March 2027"),
        (date(2027, 4, 30), "Good Friday 2027"),
        (date(2027, 5, 3), "Easter Monday 2027"),
        (date(2027, 5, 4), "Labour Day moved out of Easter week 2027"),
        (date(2027, 6, 21), "Whit Monday 2027"),
        (date(2027, 10, 28), "Ohi Day 2027"),
    ],
)
def test_greek_weekday_holidays_are_not_working_days(day: date, what: str) -> None:
    assert day.weekday() < 5, what
    assert GR.holiday_name(day) is not None, what
    assert not GR.is_working_day(day), what


@pytest.mark.parametrize(
    "day",
    [date(2026, 8, 15), date(2026, 12, 26), date(2027, 8, 15)],  # weekend holidays
)
def test_weekend_holidays_are_holidays_and_not_working(day: date) -> None:
    assert GR.is_holiday(day)
    assert not GR.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 9),  # Holy Thursday
        date(2026, 4, 14),  # Easter Tuesday: working in Greece
        date(2026, 2, 24),
        date(2026, 10, 27),
        date(2027, 5, 5),
    ],
)
def test_ordinary_weekdays_are_working(day: date) -> None:
    assert GR.is_working_day(day)
    assert GR.holiday_name(day) is None


@pytest.mark.parametrize(
    "day", [date(2026, 4, 1), date(2026, 10, 1), date(2027, 4, 1), date(2027, 10, 1)]
)
def test_cypriot_only_holidays(day: date) -> None:
    assert GR.is_working_day(day)
    assert not CY.is_working_day(day)
    assert not GR_CY.is_working_day(day)  # a holiday on either side stops the clock


def test_weekends_are_not_working() -> None:
    assert not GR.is_working_day(date(2026, 5, 9))  # Saturday
    assert not GR.is_working_day(date(2026, 5, 10))  # Sunday
    assert GR.is_working_day(date(2026, 5, 11))


def test_holiday_names_and_languages() -> None:
    assert GR.holiday_name(date(2026, 4, 13)) == "Easter Monday"
    assert GR.holiday_name(date(2026, 10, 28), language="el") == "Ημέρα του Όχι"
    # Same feast in both countries is named once.
    assert GR_CY.holiday_name(date(2026, 4, 13)) == "Easter Monday"
    assert GR_CY.holiday_name(date(2026, 10, 1)) == "Cyprus Independence Day"
    # Two names on one day: "; " in English, "·" in Greek (where ";" is a question mark).
    assert GR_CY.holiday_name(date(2026, 3, 25)) == "Greek Independence Day; Independence Day"
    assert GR_CY.holiday_name(date(2026, 3, 25), language="el") == (
        "Ημέρα της Ελληνικής Ανεξαρτησίας · Εικοστή Πέμπτη Μαρτίου"
    )


def test_calendar_normalisation_and_cache() -> None:
    assert calendar_for(["gr", "CY"]) is calendar_for(("CY", "GR", "GR"))
    assert WorkingCalendar(("GR", "CY")) == WorkingCalendar(("cy", "gr"))
    assert WorkingCalendar(("GR", "CY")).countries == ("CY", "GR")
    assert hash(WorkingCalendar(("GR",))) == hash(GR)


@pytest.mark.parametrize("bad", [(), ("XX",), ("GR", "ZZ")])
def test_calendar_rejects_bad_countries(bad: tuple[str, ...]) -> None:
    with pytest.raises(DefinitionError):
        WorkingCalendar(bad)


def test_calendar_rejects_bare_string() -> None:
    with pytest.raises(DefinitionError):
        calendar_for("GR")


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("cal", "start", "n", "expected"),
    [
        # Easter week 2026: Good Friday 10 Apr, Easter Monday 13 Apr.
        (GR, date(2026, 4, 8), 1, date(2026, 4, 9)),
        (GR, date(2026, 4, 9), 1, date(2026, 4, 14)),
        (GR, date(2026, 4, 8), 3, date(2026, 4, 15)),
        (GR, date(2026, 4, 14), -1, date(2026, 4, 9)),
        (GR, date(2026, 4, 15), -3, date(2026, 4, 8)),
        (GR, date(2026, 4, 10), 0, date(2026, 4, 14)),  # holiday → next working day
        (GR, date(2026, 4, 9), 0, date(2026, 4, 9)),
        (GR, date(2026, 4, 11), 1, date(2026, 4, 14)),  # from a Saturday
        (GR, date(2026, 4, 12), -1, date(2026, 4, 9)),  # back from Easter Sunday
        # Whit Monday 1 June 2026 (Friday 29 May → Tuesday 2 June).
        (GR, date(2026, 5, 29), 1, date(2026, 6, 2)),
        # Cypriot Independence Day 1 Oct 2026 (Thursday).
        (GR, date(2026, 9, 30), 1, date(2026, 10, 1)),
        (CY, date(2026, 9, 30), 1, date(2026, 10, 2)),
        (GR_CY, date(2026, 9, 30), 1, date(2026, 10, 2)),
        # Across New Year + Epiphany.
        (GR, date(2026, 12, 31), 1, date(2027, 1, 4)),
        (GR, date(2026, 12, 31), 3, date(2027, 1, 7)),
        # Two weeks plain.
        (GR, date(2026, 5, 11), 10, date(2026, 5, 25)),
    ],
)
def test_add_working_days(cal: WorkingCalendar, start: date, n: int, expected: date) -> None:
    assert cal.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 4, 8), date(2026, 4, 15), 3),
        (date(2026, 4, 15), date(2026, 4, 8), -3),
        (date(2026, 4, 9), date(2026, 4, 9), 0),
        (date(2026, 4, 9), date(2026, 4, 13), 0),  # Fri holiday, weekend, Mon holiday
        (date(2026, 5, 11), date(2026, 5, 25), 10),
    ],
)
def test_working_days_between(a: date, b: date, expected: int) -> None:
    assert GR.working_days_between(a, b) == expected


DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))
CALENDARS = st.sampled_from([GR, CY, GR_CY])


@settings(deadline=None, database=None, max_examples=200)
@given(cal=CALENDARS, d=DATES, n=st.integers(min_value=0, max_value=60))
def test_property_add_working_days_roundtrip(cal: WorkingCalendar, d: date, n: int) -> None:
    result = cal.add_working_days(d, n)
    assert cal.is_working_day(result)
    assert result >= d
    working_d = cal.add_working_days(d, 0)
    assert cal.working_days_between(working_d, cal.add_working_days(working_d, n)) == n
    assert cal.working_days_between(working_d, cal.add_working_days(working_d, -n)) == -n


# --------------------------------------------------------------------------- time zones


def test_to_local_and_back() -> None:
    dt = utc(2026, 7, 1, 5, 0)
    local = to_local(dt)
    assert local.utcoffset() == timedelta(hours=3)
    assert (local.date(), local.time()) == (date(2026, 7, 1), time(8, 0))
    assert local_to_utc(local.date(), local.time()) == dt
    assert local_to_utc(date(2026, 1, 15), time(8, 0)) == utc(2026, 1, 15, 6, 0)
    assert local_to_utc(date(2026, 1, 15), time(8, 0)).tzinfo is UTC


def test_to_local_accepts_other_aware_zones() -> None:
    dt = datetime(2026, 7, 1, 10, 0, tzinfo=timezone(timedelta(hours=5)))
    assert to_local(dt) == dt
    assert to_local(dt).tzinfo is HOME_TZ


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        to_local(datetime(2026, 1, 1, 12, 0))
    with pytest.raises(ValueError):
        compute_due(datetime(2026, 1, 1, 12, 0), DeadlineSpec(5, "calendar"), GR)
    with pytest.raises(ValueError):
        local_to_utc(date(2026, 1, 1), time(8, 0, tzinfo=UTC))


def test_dst_gap_and_fold() -> None:
    # 29 Mar 2026 03:30 does not exist in Athens; it is read with the winter offset.
    assert local_to_utc(date(2026, 3, 29), time(3, 30)) == utc(2026, 3, 29, 1, 30)
    # 25 Oct 2026 03:30 happens twice; the first (summer time) is used.
    assert local_to_utc(date(2026, 10, 25), time(3, 30)) == utc(2026, 10, 25, 0, 30)


# --------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize(
    ("start", "spec", "expected_utc"),
    [
        # Across spring DST (29 Mar 2026): start in EET (+2), due in EEST (+3).
        (utc(2026, 3, 20, 10, 0), DeadlineSpec(10, "calendar"), utc(2026, 3, 30, 20, 59)),
        # Calendar deadline landing on the DST Sunday itself moves to Monday 30 March.
        (utc(2026, 3, 22, 10, 0), DeadlineSpec(7, "calendar"), utc(2026, 3, 30, 20, 59)),
        # Across autumn DST (25 Oct 2026): start EEST, due EET (+2).
        (utc(2026, 10, 20, 10, 0), DeadlineSpec(7, "calendar"), utc(2026, 10, 27, 21, 59)),
        # Working days across 28 Oct (Wed) and the DST change.
        (utc(2026, 10, 22, 10, 0), DeadlineSpec(5, "working"), utc(2026, 10, 30, 21, 59)),
        # Calendar deadline landing on Sunday moves to Monday.
        (utc(2026, 5, 4, 9, 0), DeadlineSpec(6, "calendar"), utc(2026, 5, 11, 20, 59)),
        # Landing on Good Friday moves past Easter to Tuesday 14 April.
        (utc(2026, 4, 3, 9, 0), DeadlineSpec(7, "calendar"), utc(2026, 4, 14, 20, 59)),
        # 15-day statutory appeal window landing on Ohi Day (Wed 28 Oct) → Thu 29 Oct.
        (
            utc(2026, 10, 13, 9, 0),
            DeadlineSpec(15, "calendar", statutory=True),
            utc(2026, 10, 29, 21, 59),
        ),
        # Working days across Easter week 2026.
        (utc(2026, 4, 8, 9, 0), DeadlineSpec(3, "working"), utc(2026, 4, 15, 20, 59)),
        # Zero: today if working, else next working day.
        (utc(2026, 4, 9, 9, 0), DeadlineSpec(0, "working"), utc(2026, 4, 9, 20, 59)),
        (utc(2026, 4, 10, 9, 0), DeadlineSpec(0, "calendar"), utc(2026, 4, 14, 20, 59)),
        # Start read in Athens time: 23:30 UTC on 8 Apr is already 9 Apr in Athens.
        (utc(2026, 4, 8, 23, 30), DeadlineSpec(1, "working"), utc(2026, 4, 14, 20, 59)),
    ],
)
def test_compute_due(start: datetime, spec: DeadlineSpec, expected_utc: datetime) -> None:
    due = compute_due(start, spec, GR)
    assert due == expected_utc
    assert due.tzinfo is UTC
    local = to_local(due)
    assert local.time() == time(23, 59)
    assert GR.is_working_day(local.date())


def test_compute_due_respects_partner_calendar_and_due_time() -> None:
    start = utc(2026, 9, 30, 9, 0)
    assert compute_due(start, DeadlineSpec(1, "working"), GR) == utc(2026, 10, 1, 20, 59)
    assert compute_due(start, DeadlineSpec(1, "working"), GR_CY) == utc(2026, 10, 2, 20, 59)
    assert compute_due(start, DeadlineSpec(1, "working"), GR, due_time=time(15, 0)) == utc(
        2026, 10, 1, 12, 0
    )


@pytest.mark.parametrize(
    "data",
    [
        {"amount": 15, "unit": "calendar", "statutory": True},
        {"amount": 0, "unit": "working", "statutory": False},
    ],
)
def test_deadline_spec_roundtrip(data: dict[str, object]) -> None:
    assert DeadlineSpec.from_dict(data).to_dict() == data


def test_deadline_spec_default_statutory() -> None:
    assert DeadlineSpec.from_dict({"amount": 60, "unit": "calendar"}) == DeadlineSpec(
        60, "calendar", False
    )


@pytest.mark.parametrize(
    "data",
    [
        {"amount": -1, "unit": "calendar"},
        {"amount": 5, "unit": "weeks"},
        {"amount": 5.5, "unit": "calendar"},
        {"amount": True, "unit": "calendar"},
        {"amount": "5", "unit": "calendar"},
        {"amount": 5, "unit": "calendar", "statutory": "yes"},
        {"amount": 5, "unit": "calendar", "statuatory": True},
        {"unit": "calendar"},
        {"amount": 5},
    ],
)
def test_deadline_spec_rejects_bad_data(data: dict[str, object]) -> None:
    with pytest.raises(DefinitionError):
        DeadlineSpec.from_dict(data)
    assert issubclass(DefinitionError, ValueError)


# --------------------------------------------------------------------------- extensions


STATUTORY = DeadlineSpec(15, "calendar", statutory=True)
ORDINARY = DeadlineSpec(15, "calendar")


def test_statutory_extension_later_is_allowed() -> None:
    cur, new = utc(2026, 10, 29, 21, 59), utc(2026, 11, 5, 21, 59)
    assert extend_due(cur, new, STATUTORY) == new


def test_statutory_shortening_is_refused() -> None:
    with pytest.raises(StatutoryShortening):
        extend_due(utc(2026, 10, 29, 21, 59), utc(2026, 10, 28, 21, 59), STATUTORY)
    assert issubclass(StatutoryShortening, ValueError)


def test_ordinary_deadline_may_move_either_way() -> None:
    cur = utc(2026, 10, 29, 21, 59)
    earlier = utc(2026, 10, 27, 21, 59)
    assert extend_due(cur, earlier, ORDINARY) == earlier


def test_extend_due_floor_and_naive() -> None:
    cur = utc(2026, 10, 29, 21, 59)
    with pytest.raises(ValueError):
        extend_due(cur, utc(2026, 10, 1), ORDINARY, not_before=utc(2026, 10, 10))
    with pytest.raises(ValueError):
        extend_due(cur, datetime(2026, 11, 5, 21, 59), ORDINARY)
    athens = datetime(2026, 11, 5, 23, 59, tzinfo=HOME_TZ)
    assert extend_due(cur, athens, ORDINARY) == utc(2026, 11, 5, 21, 59)
    assert extend_due(cur, athens, ORDINARY).tzinfo is UTC
