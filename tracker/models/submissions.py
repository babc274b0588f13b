"""Form submissions already carried out, so a double click or a resubmission records once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, now


class FormSubmission(Base):
    """One used form key: who sent it and what it made.

    Forms that create something without a version to compare (a comment) carry
    a random key; the first request with it records, any repeat finds the row.
    """

    __tablename__ = "form_submission"
    __table_args__ = (sa.UniqueConstraint("user_id", "form_key", name="uq_form_submission_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    form_key: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int]
    created_dt: Mapped[datetime] = mapped_column(default=now)
