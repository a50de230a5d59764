"""Input and output of personal-data erasure and retention."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

# What the audit log keeps where an erased person's data stood.
ERASED = "[erased]"


class ErasureIn(BaseModel):
    """One person, by e-mail address, by name, or both."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(
        default=None,
        max_length=320,
        pattern=r"^[^\s\"\\@]+@[^\s\"\\@]+$",
        description="every focal-point contact holding it, users with it, every e-mail "
        "subscription to it, and every mention of it in the audit log",
        examples=["maria.gomez@example.gov.py"],
    )
    name: str | None = Field(
        default=None,
        min_length=2,
        max_length=300,
        description="focal points and users with exactly this name (without regard to case)",
    )

    @model_validator(mode="after")
    def _someone(self) -> ErasureIn:
        if not self.email and not (self.name and self.name.strip()):
            raise ValueError("give the person's `email`, `name` or both")
        return self


class ErasureOut(BaseModel):
    """What was erased, counted by kind (the audit entry of the erasure keeps only this)."""

    focal_points: int
    users: int
    subscriptions: int
    audit_entries: int
    # Counts of the erasers other domains register (shared/privacy/service.py), by name.
    other: dict[str, int] = Field(default_factory=dict)


class RetentionOut(BaseModel):
    subscriptions: int
    users: int
    audit_entries: int
    other: dict[str, int] = Field(default_factory=dict)
