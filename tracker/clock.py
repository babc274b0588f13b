"""The one source of "now" for everything outside the pure domain.

Tests and the reminder simulation move it; production reads the system clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def utcnow() -> datetime:
    """Timezone-aware UTC now, shifted or frozen when a test says so."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def freeze(at: datetime | None) -> None:
    """Stop the clock at ``at`` (aware); ``None`` lets it run again."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at


def shift(delta: timedelta) -> None:
    """Move the clock by ``delta`` (frozen or running)."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset += delta


def reset() -> None:
    global _offset, _frozen
    _offset = timedelta(0)
    _frozen = None
