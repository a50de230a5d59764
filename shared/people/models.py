"""People who sign in with OpenID Connect, and the roles they hold."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.auth.schemas import ROLES
from shared.db import Base, Timestamps, UUIDPrimaryKey, sql_in


class User(UUIDPrimaryKey, Timestamps, Base):
    """A person, known by the issuer and subject of their tokens. Personal data (name,
    e-mail): never copied into the audit log, which names the user by id."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    last_seen_at: Mapped[dt.datetime | None]


class UserMembership(UUIDPrimaryKey, Base):
    """A role in a scope: coordinator of a State, focal point of one institution of a
    State, NHRI / civil society of one organisation (an institution of that kind)."""

    __tablename__ = "user_memberships"
    __table_args__ = (
        CheckConstraint(sql_in("role", ROLES), name="role"),
        CheckConstraint(
            "role NOT IN ('coordinator', 'focal_point') OR country IS NOT NULL",
            name="country_needed",
        ),
        CheckConstraint(
            "role NOT IN ('focal_point', 'nhri', 'civil_society') OR institution_id IS NOT NULL",
            name="institution_needed",
        ),
        UniqueConstraint(
            "user_id", "role", "country", "institution_id", postgresql_nulls_not_distinct=True
        ),
        Index("ix_user_memberships_scope", "role", "country", "institution_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(ForeignKey("countries.iso3"))
    institution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE")
    )
    granted_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
