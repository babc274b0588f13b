"""Log lines: colour codes from the development server are dropped, forgeries still escaped."""

from __future__ import annotations

from tracker.logs import single_line


def test_colour_codes_are_dropped_and_the_line_stays_readable() -> None:
    werkzeug = '\x1b[35m\x1b[1mPOST /approvals/3 HTTP/1.1\x1b[0m" 500 -'
    assert single_line(werkzeug) == 'POST /approvals/3 HTTP/1.1" 500 -'


def test_an_escape_that_is_not_a_colour_is_still_shown_escaped() -> None:
    # A cursor move or a bare ESC could rewrite what a terminal shows: it stays visible.
    assert single_line("a\x1b[2Kb\x1bc\nd") == "a\\x1b[2Kb\\x1bc\\nd"
