"""Partner authorities (the other cities) and the home municipality."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, now


class Authority(Base):
    __tablename__ = "authority"
    __table_args__ = (
        sa.CheckConstraint("length(country) = 2", name="country"),
        sa.CheckConstraint("successor_id IS NULL OR successor_id <> id", name="successor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_el: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    name_native: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(8))
    population: Mapped[int | None]
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    is_home: Mapped[bool] = mapped_column(default=False)
    successor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authority.id"))
    reorganised_on: Mapped[date | None]
    created_dt: Mapped[datetime] = mapped_column(default=now)

    successor: Mapped[Authority | None] = relationship(remote_side=[id])

    def name(self, lang: str) -> str:
        return self.name_el if lang == "el" else self.name_en

    def __repr__(self) -> str:
        return f"<Authority {self.key}>"
