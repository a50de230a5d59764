"""National human-rights action plans, their actions and the actions' progress history."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import get_args

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.action_plans.schemas import ActionStatus, PlanStatus
from shared.db import Base, ClockTimestamps, UUIDPrimaryKey, link_key, sql_in, sql_not_before

PLAN_STATUSES: tuple[str, ...] = get_args(PlanStatus)
ACTION_STATUSES: tuple[str, ...] = get_args(ActionStatus)


class ActionPlan(UUIDPrimaryKey, ClockTimestamps, Base):
    __tablename__ = "action_plans"
    __table_args__ = (
        CheckConstraint(sql_in("status", PLAN_STATUSES), name="status"),
        CheckConstraint(sql_not_before("period_end", "period_start"), name="period"),
        Index("ix_action_plans_order", "country", "created_at", "id"),
        Index("ix_action_plans_status", "status", "country"),
    )

    country: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    title: Mapped[str] = mapped_column(String(500))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    adoption_reference: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)


class Action(UUIDPrimaryKey, ClockTimestamps, Base):
    """One action of a plan; ``country`` repeats the plan's so lists and stats filter by it."""

    __tablename__ = "actions"
    __table_args__ = (
        CheckConstraint(sql_in("status", ACTION_STATUSES), name="status"),
        CheckConstraint(sql_not_before("due_date", "start_date"), name="dates"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget"),
        Index("ix_actions_plan_order", "plan_id", "created_at", "id"),
        Index("ix_actions_country_status", "country", "status"),
        Index("ix_actions_country_due", "country", "due_date"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    description: Mapped[str] = mapped_column(Text)
    indicators: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    version: Mapped[int] = mapped_column(default=1)


class ActionInstitution(Base):
    __tablename__ = "action_institutions"
    __table_args__ = (Index("ix_action_institutions_institution", "institution_id"),)

    action_id: Mapped[uuid.UUID] = link_key("actions.id", ondelete="CASCADE")
    institution_id: Mapped[uuid.UUID] = link_key("institutions.id", ondelete="RESTRICT")


class ActionRecommendation(Base):
    __tablename__ = "action_recommendations"
    __table_args__ = (Index("ix_action_recommendations_recommendation", "recommendation_id"),)

    action_id: Mapped[uuid.UUID] = link_key("actions.id", ondelete="CASCADE")
    recommendation_id: Mapped[uuid.UUID] = link_key("recommendations.id", ondelete="CASCADE")


class ActionUpdate(UUIDPrimaryKey, Base):
    """An append-only progress report on an action; the action takes its status."""

    __tablename__ = "action_updates"
    __table_args__ = (
        CheckConstraint(sql_in("status", ACTION_STATUSES), name="status"),
        Index("ix_action_updates_action", "action_id", "created_at"),
    )

    action_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("actions.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20))
    narrative: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(300))
    reported_on: Mapped[dt.date] = mapped_column(Date)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())
