"""Form fields with the bounds of the columns behind them.

WTForms' ``IntegerField`` accepts any Python int; a value no database column
can hold (PostgreSQL ``integer``; SQLite overflows at 2**63) would then fail
deep inside a query. Here it is a field error like any other bad number.
"""

from __future__ import annotations

from typing import Any

import wtforms
from flask_babel import lazy_gettext as _l

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


class IntegerField(wtforms.IntegerField):
    """An integer within the range of a 32-bit database column."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not INT_MIN <= self.data <= INT_MAX:
            self.data = None
            raise ValueError(_l("The number is too large."))
