"""Errors the service layer raises; every edge (web, API, CLI) maps them the same way."""

from __future__ import annotations

from typing import Mapping, Sequence

from ..domain.text import Reason


class ServiceError(Exception):
    """An action was refused; ``reasons`` say why, in both languages."""

    status = 400

    def __init__(
        self,
        reasons: Sequence[Reason] | None = None,
        fields: Mapping[str, Sequence[Reason]] | None = None,
    ) -> None:
        self.reasons = list(reasons or [])
        self.fields = {k: list(v) for k, v in (fields or {}).items()}
        super().__init__("; ".join(str(r) for r in self.all_reasons) or type(self).__name__)

    @property
    def all_reasons(self) -> list[Reason]:
        return self.reasons + [r for rs in self.fields.values() for r in rs]

    def messages(self, lang: str) -> list[str]:
        return [r.text(lang) for r in self.all_reasons]


class Refused(ServiceError):
    """The workflow does not allow this now (guards, state, policy)."""

    status = 409


class Invalid(ServiceError):
    """The input is not acceptable; ``fields`` maps form fields to reasons."""

    status = 422


class Forbidden(ServiceError):
    """The actor may not do this."""

    status = 403


class NotFound(ServiceError):
    status = 404


class Stale(ServiceError):
    """Someone changed the file after the user loaded it."""

    status = 409

    def __init__(self) -> None:
        super().__init__([Reason("changed_meanwhile")])
