"""Errors raised by the pure workflow domain.

They carry machine-readable reasons so that every layer above (web, API, CLI,
scheduler) can show the same explanation in the user's language.
"""

from __future__ import annotations


class DefinitionError(ValueError):
    """A workflow definition (or part of one) is not valid data."""


class DomainError(Exception):
    """Base class for refused actions; ``reasons`` explain why."""

    def __init__(self, reasons: list[object] | None = None, message: str = "") -> None:
        self.reasons = list(reasons or [])
        super().__init__(message or "; ".join(str(r) for r in self.reasons))
