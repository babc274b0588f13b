"""Reminder ladders: when to remind whom about a deadline, as plain data.

A ladder is stored as JSON on a workflow or step definition so the office can change it
without a code change; :func:`fire_times` turns it into concrete UTC moments for the
scheduler. Reminders go out at a fixed local hour (08:00 Athens) on a local date.

Pure Python: only the standard library and :mod:`tracker.domain.calendar`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, cast

from tracker.domain.calendar import (
    UNITS,
    Unit,
    WorkingCalendar,
    local_to_utc,
    to_local,
)
from tracker.domain.errors import DefinitionError

__all__ = [
    "ANCHORS",
    "DEFAULT_LADDER",
    "KINDS",
    "Anchor",
    "Kind",
    "Ladder",
    "Rung",
    "fire_times",
    "repeat_times",
]

Anchor = Literal["start", "due"]
Kind = Literal["before", "due", "overdue", "escalation", "reminder", "opening", "closing"]
ANCHORS: tuple[Anchor, ...] = ("start", "due")
KINDS: tuple[Kind, ...] = (
    "before",
    "due",
    "overdue",
    "escalation",
    "reminder",
    "opening",
    "closing",
)
DEFAULT_TO: tuple[str, ...] = ("assignees", "owner")
DEFAULT_AT = time(8, 0)

_RUNG_KEYS = {"key", "offset", "unit", "anchor", "kind", "to"}
_LADDER_KEYS = {"rungs", "repeat_every_days"}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Rung:
    """One reminder: ``offset`` days (signed) from the ``anchor`` date, sent to ``to``.

    ``to`` names recipient groups resolved by the caller: "assignees", "owner",
    "approvers", or a role name such as "head" or "mayor". Offsets are signed so
    "5 working days before due" is ``offset=-5, anchor="due"``. For due-anchored rungs
    the sign must match the kind (before < 0, due == 0, overdue > 0) to catch typos.
    """

    key: str
    offset: int
    unit: Unit
    anchor: Anchor
    kind: Kind
    to: tuple[str, ...] = DEFAULT_TO

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip() or self.key != self.key.strip():
            raise DefinitionError(f"rung key must be a non-empty trimmed string, got {self.key!r}")
        if not _is_int(self.offset):
            raise DefinitionError(f"rung {self.key}: offset must be an integer")
        if self.unit not in UNITS:
            raise DefinitionError(f"rung {self.key}: unit must be one of {UNITS}")
        if self.anchor not in ANCHORS:
            raise DefinitionError(f"rung {self.key}: anchor must be one of {ANCHORS}")
        if self.kind not in KINDS:
            raise DefinitionError(f"rung {self.key}: kind must be one of {KINDS}")
        if self.anchor == "due":
            sign_ok = {
                "before": self.offset < 0,
                "due": self.offset == 0,
                "overdue": self.offset > 0,
            }.get(self.kind, True)
            if not sign_ok:
                raise DefinitionError(
                    f"rung {self.key}: offset {self.offset} contradicts kind {self.kind!r}"
                )
        if isinstance(self.to, str) or not isinstance(self.to, tuple | list):
            raise DefinitionError(f"rung {self.key}: 'to' must be a list of recipient groups")
        recipients = tuple(self.to)
        if not recipients:
            raise DefinitionError(f"rung {self.key}: 'to' must name at least one recipient")
        for r in recipients:
            if not isinstance(r, str) or not r.strip() or r != r.strip():
                raise DefinitionError(f"rung {self.key}: bad recipient group {r!r}")
        if len(set(recipients)) != len(recipients):
            raise DefinitionError(f"rung {self.key}: duplicate recipient group")
        object.__setattr__(self, "to", recipients)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rung:
        """Build from stored JSON; ``to`` may be a list; unknown keys are refused."""
        if not isinstance(data, Mapping):
            raise DefinitionError(f"rung must be an object, got {type(data).__name__}")
        unknown = set(data) - _RUNG_KEYS
        if unknown:
            raise DefinitionError(f"unknown rung key(s): {', '.join(sorted(unknown))}")
        missing = (_RUNG_KEYS - {"to"}) - set(data)
        if missing:
            raise DefinitionError(f"missing rung key(s): {', '.join(sorted(missing))}")
        to = data.get("to", DEFAULT_TO)
        if isinstance(to, str) or not isinstance(to, list | tuple):
            raise DefinitionError("rung 'to' must be a list of recipient groups")
        return cls(
            key=data["key"],
            offset=data["offset"],
            unit=cast(Unit, data["unit"]),
            anchor=cast(Anchor, data["anchor"]),
            kind=cast(Kind, data["kind"]),
            to=tuple(to),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``to`` as a list), the inverse of :meth:`from_dict`."""
        return {
            "key": self.key,
            "offset": self.offset,
            "unit": self.unit,
            "anchor": self.anchor,
            "kind": self.kind,
            "to": list(self.to),
        }

    def fire_date(self, start_day: date, due_day: date, cal: WorkingCalendar) -> date:
        """Local date this rung fires on, given the local start and due dates.

        Offset 0 is the anchor date itself (even if it is not a working day), so the
        "due" rung always fires on the due date.
        """
        anchor_day = start_day if self.anchor == "start" else due_day
        if self.offset == 0:
            return anchor_day
        if self.unit == "working":
            return cal.add_working_days(anchor_day, self.offset)
        return anchor_day + timedelta(days=self.offset)


@dataclass(frozen=True)
class Ladder:
    """An ordered set of rungs plus an optional plain repeat every N calendar days."""

    rungs: tuple[Rung, ...]
    repeat_every_days: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rungs, tuple | list):
            raise DefinitionError("ladder rungs must be a list")
        rungs = tuple(self.rungs)
        for r in rungs:
            if not isinstance(r, Rung):
                raise DefinitionError(f"ladder rungs must be Rung objects, got {r!r}")
        keys = [r.key for r in rungs]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise DefinitionError(f"duplicate rung key(s): {', '.join(dupes)}")
        if self.repeat_every_days is not None and (
            not _is_int(self.repeat_every_days) or self.repeat_every_days < 1
        ):
            raise DefinitionError(
                f"repeat_every_days must be a positive integer or null, "
                f"got {self.repeat_every_days!r}"
            )
        object.__setattr__(self, "rungs", rungs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ladder:
        """Build from stored JSON (``{"rungs": [...], "repeat_every_days": N | null}``)."""
        if not isinstance(data, Mapping):
            raise DefinitionError(f"ladder must be an object, got {type(data).__name__}")
        unknown = set(data) - _LADDER_KEYS
        if unknown:
            raise DefinitionError(f"unknown ladder key(s): {', '.join(sorted(unknown))}")
        raw = data.get("rungs", [])
        if isinstance(raw, str | Mapping) or not isinstance(raw, list | tuple):
            raise DefinitionError("ladder rungs must be a list")
        return cls(
            rungs=tuple(Rung.from_dict(r) for r in raw),
            repeat_every_days=data.get("repeat_every_days"),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, the inverse of :meth:`from_dict`."""
        return {
            "rungs": [r.to_dict() for r in self.rungs],
            "repeat_every_days": self.repeat_every_days,
        }

    def rung(self, key: str) -> Rung:
        """The rung called ``key`` (KeyError if absent)."""
        for r in self.rungs:
            if r.key == key:
                return r
        raise KeyError(key)


DEFAULT_LADDER = Ladder(
    rungs=(
        Rung("before_5", -5, "working", "due", "before"),
        Rung("before_1", -1, "working", "due", "before"),
        Rung("due", 0, "working", "due", "due"),
        Rung("overdue_2", 2, "working", "due", "overdue"),
        Rung("overdue_5", 5, "working", "due", "overdue"),
        Rung("escalation", 6, "working", "due", "escalation", to=("head", "owner")),
    )
)
"""Domain default (brief §4): 5 and 1 working days before, due day, 2 and 5 working days
overdue, then escalation to the head of office 6 working days after the due date."""


def fire_times(
    ladder: Ladder,
    start_utc: datetime,
    due_utc: datetime,
    cal: WorkingCalendar,
    at: time = DEFAULT_AT,
) -> list[tuple[Rung, datetime]]:
    """Concrete (rung, aware-UTC moment) pairs, sorted by time (ties keep ladder order).

    Each rung fires at local time ``at`` (Athens) on its anchor's Athens date shifted by
    its offset. Rungs that would fire before ``start_utc`` are dropped: a deadline set
    two days before it is due does not send the "5 days before" reminder late.
    Call again after an extension; the result depends only on the arguments.
    """
    start_day = to_local(start_utc).date()
    due_day = to_local(due_utc).date()
    out: list[tuple[int, datetime, Rung]] = []
    for i, rung in enumerate(ladder.rungs):
        moment = local_to_utc(rung.fire_date(start_day, due_day, cal), at)
        if moment >= start_utc:
            out.append((i, moment, rung))
    out.sort(key=lambda item: (item[1], item[0]))
    return [(rung, moment) for _, moment, rung in out]


def repeat_times(
    ladder: Ladder,
    start_utc: datetime,
    horizon_utc: datetime,
    at: time = DEFAULT_AT,
    *,
    cal: WorkingCalendar | None = None,
) -> list[datetime]:
    """Repeating reminder moments: every ``repeat_every_days`` calendar days after the
    start's Athens date, at local ``at``, up to and including ``horizon_utc``.

    Empty if the ladder does not repeat. With ``cal``, a moment on a weekend or holiday
    moves to the next working day (and duplicates collapse), so nobody is nagged on Sunday.
    """
    every = ladder.repeat_every_days
    if every is None:
        return []
    start_day = to_local(start_utc).date()
    to_local(horizon_utc)  # validates awareness
    out: list[datetime] = []
    k = 1
    while True:
        day = start_day + timedelta(days=k * every)
        if cal is not None:
            day = cal.add_working_days(day, 0)
        moment = local_to_utc(day, at)
        if moment > horizon_utc:
            break
        if moment >= start_utc and (not out or moment > out[-1]):
            out.append(moment)
        k += 1
    return out
