"""Log lines that user input cannot forge.

A name, an email or a URL path typed by a user can carry CR/LF (``%0A`` in a
path decodes to a real newline). Written as is, it would start a line of its
own that looks like any other record. Two guards, installed once per process:

- every record's message is made single-line (CR, LF and other control
  characters shown as ``\\n``-style escapes, terminal colour codes dropped),
  whatever logger wrote it;
- the handler that writes to stderr indents any further line of a record (a
  traceback), so no continuation can pass for a record of its own.
"""

from __future__ import annotations

import logging
import re
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROLS = {c: f"\\x{c:02x}" for c in range(32)} | {127: "\\x7f"}
_CONTROLS.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
# Unicode line and paragraph separators end a line for some log viewers too.
_CONTROLS.update({0x85: "\\x85", 0x2028: "\\u2028", 0x2029: "\\u2029"})


#: Terminal colour codes (werkzeug colours its request lines): dropped, not escaped, so
#: the development server's lines stay readable; they cannot break a line.
_COLOURS = re.compile(r"\x1b\[[0-9;]{0,32}m")


def single_line(text: str) -> str:
    """``text`` without colour codes, with every line break and control character escaped."""
    return _COLOURS.sub("", text).translate(_CONTROLS)


class SafeRecord(logging.LogRecord):
    """A record whose message is always one line."""

    def getMessage(self) -> str:  # noqa: N802 - the logging module's name
        return single_line(super().getMessage())


class IndentingFormatter(logging.Formatter):
    """Continuation lines (tracebacks) start with spaces and a bar."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\n    | ")


def _factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    return SafeRecord(*args, **kwargs)


def install() -> None:
    """Make every record single-line; give the root handler the indenting format."""
    logging.setLogRecordFactory(_factory)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(IndentingFormatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
