"""Working-day calendar and deadline arithmetic for the workflow engine.

Deadlines are agreed in Europe/Athens local dates (that is how a council, a ministry or
a partner city counts them) but stored as aware UTC datetimes. Working days skip
weekends and the public holidays of every country involved (Greece, and Cyprus for
Cypriot partners), taken from the ``holidays`` package so Orthodox movable feasts
(Clean Monday, Good Friday, Easter Monday, Whit Monday) are always right.

Pure Python: only the standard library, ``holidays`` and ``zoneinfo``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

import holidays

from tracker.domain.errors import DefinitionError

__all__ = [
    "HOME_TZ",
    "DeadlineSpec",
    "DefinitionError",
    "StatutoryShortening",
    "Unit",
    "WorkingCalendar",
    "calendar_for",
    "compute_due",
    "extend_due",
    "local_to_utc",
    "to_local",
]

HOME_TZ = ZoneInfo("Europe/Athens")

Unit = Literal["calendar", "working"]
UNITS: tuple[Unit, ...] = ("calendar", "working")

_ONE_DAY = timedelta(days=1)
# Guard against runaway loops on a misconfigured calendar (no working day for a year).
_MAX_SCAN_DAYS = 366


class StatutoryShortening(ValueError):
    """A statutory deadline (e.g. the 15-day appeal window) may be extended, never shortened."""


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class WorkingCalendar:
    """Mon-Fri minus the public holidays of *any* of ``countries``.

    A day off in either partner's country is not a working day, because a deadline that
    needs the other side to act cannot run on their holiday. Country codes are normalised
    (upper-case, de-duplicated, sorted) so equal calendars compare and hash equal.
    Holiday tables are computed lazily and cached per year (and language, for names).
    """

    countries: tuple[str, ...]
    _cache: dict[tuple[int, str | None], dict[date, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if isinstance(self.countries, str):
            raise DefinitionError("countries must be a tuple of codes, not a single string")
        codes = tuple(sorted({str(c).strip().upper() for c in self.countries}))
        if not codes:
            raise DefinitionError("a working calendar needs at least one country code")
        supported = holidays.list_supported_countries()
        unknown = [c for c in codes if c not in supported]
        if unknown:
            raise DefinitionError(f"unsupported country code(s): {', '.join(unknown)}")
        object.__setattr__(self, "countries", codes)

    def _table(self, year: int, language: str | None = None) -> dict[date, str]:
        """Holidays falling in ``year`` → combined name(s), across all countries."""
        key = (year, language)
        table = self._cache.get(key)
        if table is not None:
            return table
        # No lock: a race only computes the same table twice; dict assignment is atomic.
        names: dict[date, list[str]] = {}
        for code in self.countries:
            # Neighbouring years too: an "observed" day may spill across New Year.
            hols = holidays.country_holidays(
                code, years=(year - 1, year, year + 1), language=language
            )
            for day in sorted(hols):
                if day.year != year:
                    continue
                for name in hols.get_list(day):
                    bucket = names.setdefault(day, [])
                    if name not in bucket:
                        bucket.append(name)
        # In Greek a ";" reads as a question mark: "·" joins the names there.
        sep = " · " if language == "el" else "; "
        table = {day: sep.join(ns) for day, ns in names.items()}
        self._cache[key] = table
        return table

    def is_holiday(self, d: date) -> bool:
        """True if ``d`` is a public holiday in any of the countries (whatever the weekday)."""
        return d in self._table(d.year)

    def holiday_name(self, d: date, language: str | None = None) -> str | None:
        """Name(s) of the holiday on ``d`` (joined with "; ", in Greek " · "), or None.

        ``language`` e.g. "el"; without it, the holidays package's default (English).
        """
        return self._table(d.year, language).get(d)

    def is_working_day(self, d: date) -> bool:
        """Mon-Fri and not a public holiday in any of the countries."""
        return d.weekday() < 5 and not self.is_holiday(d)

    def _step(self, d: date, delta: timedelta) -> date:
        """The next working day strictly after (or before, for a negative delta) ``d``."""
        for _ in range(_MAX_SCAN_DAYS):
            d += delta
            if self.is_working_day(d):
                return d
        raise RuntimeError(
            f"no working day within {_MAX_SCAN_DAYS} days of {d}"
        )  # pragma: no cover

    def add_working_days(self, d: date, n: int) -> date:
        """Shift ``d`` by ``n`` working days; ``d`` itself is never counted.

        ``n == 0`` returns ``d`` if it is a working day, else the next working day (so the
        result is always a working day). ``n > 0`` counts forward, ``n < 0`` backward.
        """
        if n == 0:
            return d if self.is_working_day(d) else self._step(d, _ONE_DAY)
        delta = _ONE_DAY if n > 0 else -_ONE_DAY
        for _ in range(abs(n)):
            d = self._step(d, delta)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in ``(a, b]``; negative (count of ``(b, a]``) when ``b < a``.

        Inverse of :meth:`add_working_days` for a working day ``a``:
        ``working_days_between(a, add_working_days(a, n)) == n``.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a
        while d < b:
            d += _ONE_DAY
            if self.is_working_day(d):
                count += 1
        return count


@functools.lru_cache(maxsize=64)
def _calendar_for_codes(codes: tuple[str, ...]) -> WorkingCalendar:
    return WorkingCalendar(codes)


def calendar_for(countries: Iterable[str]) -> WorkingCalendar:
    """Shared calendar for a set of countries, so holiday tables are computed once per process."""
    if isinstance(countries, str):
        raise DefinitionError("countries must be an iterable of codes, not a single string")
    codes = tuple(sorted({str(c).strip().upper() for c in countries}))
    return _calendar_for_codes(codes)


# --------------------------------------------------------------------------- time zones


def _require_aware(dt: datetime, what: str) -> None:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got naive {dt!r}")


def to_local(dt_utc: datetime, tz: ZoneInfo = HOME_TZ) -> datetime:
    """Aware datetime → the same instant in ``tz``; naive input is refused (ambiguous)."""
    _require_aware(dt_utc, "dt_utc")
    return dt_utc.astimezone(tz)


def local_to_utc(d: date, t: time, tz: ZoneInfo = HOME_TZ) -> datetime:
    """Wall-clock ``d`` + ``t`` in ``tz`` → aware UTC.

    DST: a time skipped in spring (03:00-03:59 on the last Sunday of March in Athens)
    is read with the pre-transition offset, i.e. it lands one hour later on the clock;
    a repeated autumn time takes its first occurrence (``fold=0``).
    """
    if t.tzinfo is not None:
        raise ValueError("t must be a naive wall-clock time; the zone is given by tz")
    return datetime.combine(d, t, tzinfo=tz).astimezone(UTC)


# --------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineSpec:
    """How long a step may take: ``amount`` calendar or working days.

    ``statutory`` marks a deadline set by law (e.g. the 15-day appeal window after
    posting on Diavgeia): it may be extended but never shortened.
    """

    amount: int
    unit: Unit
    statutory: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise DefinitionError(f"deadline amount must be an integer, got {self.amount!r}")
        if self.amount < 0:
            raise DefinitionError(f"deadline amount must be >= 0, got {self.amount}")
        if self.unit not in UNITS:
            raise DefinitionError(f"deadline unit must be one of {UNITS}, got {self.unit!r}")
        if not isinstance(self.statutory, bool):
            raise DefinitionError(f"statutory must be true/false, got {self.statutory!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeadlineSpec:
        """Build from stored JSON; unknown keys are refused so typos do not pass silently."""
        if not isinstance(data, Mapping):
            raise DefinitionError(f"deadline must be an object, got {type(data).__name__}")
        unknown = set(data) - {"amount", "unit", "statutory"}
        if unknown:
            raise DefinitionError(f"unknown deadline key(s): {', '.join(sorted(unknown))}")
        missing = {"amount", "unit"} - set(data)
        if missing:
            raise DefinitionError(f"missing deadline key(s): {', '.join(sorted(missing))}")
        return cls(
            amount=data["amount"],
            unit=cast(Unit, data["unit"]),
            statutory=data.get("statutory", False),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, the inverse of :meth:`from_dict`."""
        return {"amount": self.amount, "unit": self.unit, "statutory": self.statutory}


def compute_due(
    start_utc: datetime,
    spec: DeadlineSpec,
    cal: WorkingCalendar,
    due_time: time = time(23, 59),
) -> datetime:
    """Due moment (aware UTC) of a deadline that starts at ``start_utc``.

    The start is read as a Europe/Athens local date; the start day itself is not counted.

    * ``calendar``: add ``amount`` days. **A deadline never falls on a weekend or a
      holiday**: if the last day is not a working day it moves *forward* to the next
      working day (the rule of Greek administrative procedure for time limits).
    * ``working``: :meth:`WorkingCalendar.add_working_days` (``amount == 0`` → today if
      working, else the next working day).

    The result is that local date at ``due_time`` Athens time, converted to UTC with the
    offset valid on that date, so it is right across the March/October DST changes.
    """
    start_day = to_local(start_utc).date()
    if spec.unit == "calendar":
        due_day = cal.add_working_days(start_day + timedelta(days=spec.amount), 0)
    else:
        due_day = cal.add_working_days(start_day, spec.amount)
    return local_to_utc(due_day, due_time)


def extend_due(
    current_due_utc: datetime,
    new_due_utc: datetime,
    spec: DeadlineSpec,
    *,
    not_before: datetime | None = None,
) -> datetime:
    """Validate a change of due date and return the new one (aware UTC).

    Statutory deadlines may only move later (:class:`StatutoryShortening` otherwise);
    other deadlines may move either way. ``not_before`` (e.g. the step's start) is an
    optional floor: a due moment before it raises ``ValueError``.
    """
    _require_aware(current_due_utc, "current_due_utc")
    _require_aware(new_due_utc, "new_due_utc")
    if spec.statutory and new_due_utc < current_due_utc:
        raise StatutoryShortening(
            f"statutory deadline cannot be shortened from {current_due_utc.isoformat()} "
            f"to {new_due_utc.isoformat()}"
        )
    if not_before is not None:
        _require_aware(not_before, "not_before")
        if new_due_utc < not_before:
            raise ValueError(
                f"new due {new_due_utc.isoformat()} is before {not_before.isoformat()}"
            )
    return new_due_utc.astimezone(UTC)
