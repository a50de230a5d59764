from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base


class Country(Base):
    """A UN member or observer State (reference data, seeded by the migrations)."""

    __tablename__ = "countries"

    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    iso2: Mapped[str] = mapped_column(String(2), unique=True)
    m49: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))
    formal_name: Mapped[str] = mapped_column(String(300))
    un_status: Mapped[str] = mapped_column(String(40))
    regional_group: Mapped[str | None] = mapped_column(String(10))


class Mechanism(Base):
    """A human-rights mechanism: the UPR, a treaty body, special procedures."""

    __tablename__ = "mechanisms"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
