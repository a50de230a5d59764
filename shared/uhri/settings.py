"""Settings of the UHRI import (``UHRI_*`` environment variables or ``.env``)."""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EXPORT_URL = "https://dataex.ohchr.org/uhri/export-results/export-full-en.json"


class UhriSettings(BaseSettings):
    """``UHRI_EXPORT_URL`` unset: the worker's cron import is off (the CLI still works)."""

    model_config = SettingsConfigDict(
        env_prefix="UHRI_", env_file=".env", extra="ignore", frozen=True
    )

    export_url: str | None = None
    # "MINUTE HOUR" in cron notation (`*`, `*/n`, `a,b`, numbers), or "off". OHCHR
    # refreshes the export daily.
    cron: str = "40 3"
    max_bytes: int = Field(default=1_500_000_000, ge=1024)
    timeout_s: float = Field(default=120.0, gt=0)
    batch_size: int = Field(default=2000, ge=1, le=20_000)
    # A full import that would tombstone more than this share of the live records (and at
    # least `tombstone_min_guard` of them) tombstones nothing and says so: a short but
    # well-formed file must not wipe the index.
    tombstone_max_fraction: float = Field(default=0.2, ge=0, le=1)
    tombstone_min_guard: int = Field(default=50, ge=0)


@cache
def get_uhri_settings() -> UhriSettings:
    return UhriSettings()
