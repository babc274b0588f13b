"""The screens' blueprints beyond the dashboard, file page and inbox, registered together."""

from __future__ import annotations

from flask import Blueprint

from . import calendar, documents, partners, records, reports

BLUEPRINTS: tuple[Blueprint, ...] = tuple(
    m.bp for m in (records, documents, partners, calendar, reports)
)
