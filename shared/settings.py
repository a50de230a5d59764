"""Configuration, read from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 - dev default, refused in production


class Settings(BaseSettings):
    """Every setting of the API and the worker. Names map to upper-case variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54329/followup"
    database_replica_url: str | None = None
    db_pool_size: int = Field(default=40, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=500)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    redis_url: str = "redis://127.0.0.1:63799/0"
    port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str = "http://127.0.0.1:8000"
    api_public_read: bool = True
    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    rate_limit_per_minute: int = Field(default=600, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _split_origins(cls, data: object) -> object:
        # CORS_ORIGINS may be a JSON list or a comma-separated string.
        if isinstance(data, dict):
            raw = data.get("cors_origins")
            if isinstance(raw, str):
                raw = raw.strip()
                if raw.startswith("["):
                    import json

                    data["cors_origins"] = json.loads(raw)
                else:
                    data["cors_origins"] = [o.strip() for o in raw.split(",") if o.strip()]
        return data

    @model_validator(mode="after")
    def _secrets_outside_development(self) -> Settings:
        if self.environment != "development" and (
            self.secret_key.get_secret_value() == DEV_SECRET_KEY
        ):
            raise ValueError(f"SECRET_KEY must be set when ENVIRONMENT={self.environment}")
        return self


@cache
def get_settings() -> Settings:
    return Settings()
