"""Form fields with the bounds of the columns behind them, and the "required" validators.

WTForms' ``IntegerField`` accepts any Python int; a value no database column
can hold (PostgreSQL ``integer``; SQLite overflows at 2**63) would then fail
deep inside a query. Here it is a field error like any other bad number.
"""

from __future__ import annotations

from typing import Any

import wtforms
import wtforms.validators
from flask_babel import lazy_gettext as _l

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


#: One wording for "required", the same as the services' own ``required`` reason
#: («Αυτό το πεδίο είναι υποχρεωτικό.»): WTForms' catalogue has its own Greek, without
#: the full stop, and both showed on the same pages.
REQUIRED = _l("This field is required.")


class InputRequired(wtforms.validators.InputRequired):
    """WTForms' ``InputRequired`` with the project's own "required" message."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message if message is not None else REQUIRED)


class DataRequired(wtforms.validators.DataRequired):
    """WTForms' ``DataRequired`` with the project's own "required" message."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(message if message is not None else REQUIRED)


class IntegerField(wtforms.IntegerField):
    """An integer within the range of a 32-bit database column."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not INT_MIN <= self.data <= INT_MAX:
            self.data = None
            raise ValueError(_l("The number is too large."))
