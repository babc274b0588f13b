"""Measured figures (rounds, cases, timings) that the reliability and security tests report.

Each test adds lines with ``record``; the ``conftest.py`` of its folder prints
them in the terminal summary, so ``make test`` shows the numbers on both databases.
"""

from __future__ import annotations

import pytest

from tests.conftest import ON_POSTGRES

FIGURES: dict[str, list[str]] = {}


def record(section: str, line: str) -> None:
    database = "PostgreSQL" if ON_POSTGRES else "SQLite"
    text = f"[{database}] {line}"
    FIGURES.setdefault(section, []).append(text)
    print(text)


def summary(section: str, reporter: pytest.TerminalReporter) -> None:
    lines = FIGURES.get(section)
    if lines:
        reporter.section(f"figures: {section}")
        for line in lines:
            reporter.write_line(line)
