"""Input and output shapes of report drafts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ReportKind = Literal["upr_midterm", "treaty_body_followup"]
ReportStatus = Literal["queued", "running", "ready", "failed"]
Language = Literal["en", "es", "fr"]
# "themes": UHRI theme groups; "action_plan": the actions of the State's action plan.
ClusterSource = Literal["themes", "action_plan"]


class ReportIn(BaseModel):
    """What to draft. ``cycle`` is required for ``upr_midterm``; ``mechanism`` (the treaty
    body, e.g. ``CCPR``) for ``treaty_body_followup``."""

    model_config = ConfigDict(extra="forbid")

    kind: ReportKind
    country: str = Field(min_length=3, max_length=3, description="State, ISO3")
    cycle: int | None = Field(default=None, ge=1, le=20)
    mechanism: str | None = Field(
        default=None, min_length=2, max_length=20, description="treaty body (CCPR, CRC, ...)"
    )
    language: Language = "en"
    clusters: ClusterSource = Field(
        default="themes",
        description="group by UHRI themes, or by the actions of the State's action plan",
    )
    action_plan_id: uuid.UUID | None = Field(
        default=None, description="with clusters=action_plan; default the State's latest plan"
    )


class ReportOut(BaseModel):
    id: uuid.UUID
    kind: ReportKind
    country: str
    cycle: int | None
    mechanism: str
    language: Language
    clusters: ClusterSource
    action_plan_id: uuid.UUID | None
    status: ReportStatus
    error: str | None = Field(description="why the last generation failed (status failed)")
    attempts: int
    recommendations: int | None = Field(description="recommendations in the document")
    file_size: int | None
    file_sha256: str | None
    file_url: str | None = Field(description="where to download the .docx once ready")
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
