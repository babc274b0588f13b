"""Form keys: a double-clicked or resubmitted form records once.

Forms that carry the file's version are protected by it (the second request is
"changed meanwhile"). A form that only adds something (a comment) carries a
random key instead; the first request with that key records, a repeat gets
back what the first one made. The caller holds the file's row lock, so two
requests with one key cannot both miss the row.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import FormSubmission, Process, User

_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def usable(key: str | None) -> bool:
    """Only well-formed keys count; anything else means "no key" (never an error)."""
    return bool(key) and _KEY.fullmatch(key or "") is not None


def hold_process(process_id: int) -> None:
    """Queue behind other writers of this file (a row lock on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises every write)."""
    db.session.execute(sa.select(Process.id).where(Process.id == process_id).with_for_update())


def earlier(actor: User, key: str) -> FormSubmission | None:
    return db.session.scalar(
        sa.select(FormSubmission).where(
            FormSubmission.user_id == actor.id, FormSubmission.form_key == key
        )
    )


def remember(actor: User, key: str, obj: Any) -> FormSubmission:
    row = FormSubmission(
        user_id=actor.id, form_key=key, object_type=type(obj).__name__, object_id=obj.id
    )
    db.session.add(row)
    return row
