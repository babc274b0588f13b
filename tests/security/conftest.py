"""Security tests: print their measured figures (fuzz cases) at the end of the run."""

from __future__ import annotations

import pytest

from tests.figures import summary


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    summary("security", terminalreporter)
