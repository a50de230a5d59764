"""Configuration, read from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 - dev default, refused in production

# Relative folder sources are resolved against the repository root.
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_UPR_DATA = "../shared/data/upr"
SHARED_DATA = "../shared/data"


def _default_ingest_sources() -> list[dict[str, Any]]:
    """The shared corpus beside the checkout, when it is there (so `make run` has content)."""
    if (REPO_ROOT / SHARED_UPR_DATA).is_dir():
        return [{"type": "folder", "path": SHARED_UPR_DATA}]
    return []


# --- sign-in: the trusted OpenID Connect issuers (OIDC_ISSUERS) -------------------------
# Asymmetric algorithms only: never `none`, never HMAC (whose "secret" would be the
# provider's public key, which anyone can read from the JWKS).
Algorithm = Literal["RS256", "ES256", "EdDSA"]
ALGORITHMS: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
Role = Literal["admin", "coordinator", "focal_point", "nhri", "civil_society", "viewer"]


class MembershipSpec(BaseModel):
    """A membership named in configuration or in a grant: the institution by its name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    country: str | None = Field(default=None, min_length=3, max_length=3)
    institution: str | None = Field(default=None, min_length=1, max_length=300)

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class OidcIssuer(BaseModel):
    """One trusted identity provider (one per national deployment, say)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1, description="the `iss` of its tokens, exactly")
    audience: str = Field(min_length=1, description="the `aud` tokens must carry")
    # Defaults to <issuer>/.well-known/openid-configuration.
    discovery_url: str | None = None
    algorithms: tuple[Algorithm, ...] = ("RS256", "ES256", "EdDSA")
    name_claim: str = "name"
    email_claim: str = "email"
    groups_claim: str = "groups"
    # Where the token lists its scopes: `scope` (RFC 9068), `scp` for Microsoft Entra ID.
    scope_claim: str = "scope"
    # A scope every token must carry (some providers silently drop a scope a client may
    # not have, so the API checks it itself).
    required_scope: str | None = None
    # Token group -> membership, for deployments that manage roles in the provider.
    groups: dict[str, MembershipSpec] = Field(default_factory=dict)

    @property
    def discovery(self) -> str:
        return self.discovery_url or (self.issuer.rstrip("/") + "/.well-known/openid-configuration")


class Compression(TypedDict):
    """The arguments of starlette-compress's middleware (API and portal)."""

    minimum_size: int
    zstd_level: int
    brotli_quality: int
    gzip_level: int


class Settings(BaseSettings):
    """Every setting of the API and the worker. Names map to upper-case variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54329/followup"
    database_replica_url: str | None = None
    db_pool_size: int = Field(default=40, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=500)
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    # A CSV export is one COPY statement for every matching row: 3,000,000 take ~35 s.
    export_statement_timeout_ms: int = Field(default=600_000, ge=0)
    redis_url: str = "redis://127.0.0.1:63799/0"
    port: int = Field(default=8000, ge=1, le=65535)
    # The public portal and workspace (`followup web`).
    web_port: int = Field(default=8080, ge=1, le=65535)
    # Its sign-in: an OpenID Connect client (authorization code flow with PKCE) of one of
    # the OIDC_ISSUERS; the portal's address as the provider redirects to it.
    web_oidc_issuer: str | None = None
    web_oidc_client_id: str | None = None
    web_oidc_client_secret: SecretStr | None = None
    web_oidc_scopes: str = "openid profile email"
    web_public_url: str = "http://127.0.0.1:8080"
    web_session_hours: int = Field(default=8, ge=1, le=24 * 14)
    public_base_url: str = "http://127.0.0.1:8000"
    api_public_read: bool = True
    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    # Rate limits (GCRA: this many at once, then a steady rate of this many a minute); 0
    # turns one off. Per API key, and per client address for requests without a key.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_anonymous_per_minute: int = Field(default=1200, ge=0)
    # The header a trusted reverse proxy sets to the client address (its last entry is
    # used, e.g. X-Forwarded-For); unset: the address of the connection.
    rate_limit_client_header: str | None = None
    # HTTP caching and compression of responses (services/api/caching.py).
    cache_max_age_s: int = Field(default=30, ge=0)
    cache_stale_while_revalidate_s: int = Field(default=60, ge=0)
    compress_min_bytes: int = Field(default=1024, ge=0)
    # Personal data (shared/privacy): what was closed this many days ago (stopped e-mail
    # subscriptions, closed memberships) is purged by the worker's nightly job; 0 keeps it.
    personal_data_retention_days: int = Field(default=365, ge=0)
    # Reminders and change webhooks (shared/notifications). SMTP_URL:
    # smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps://... (TLS).
    smtp_url: SecretStr | None = None
    mail_from: str = "Follow-up <followup@localhost>"
    webhook_allow_http: bool = False
    # Hosts (names or IP addresses) a webhook may reach even on private addresses.
    webhook_allowed_hosts: Annotated[list[str], NoDecode] = []
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120)
    reminder_max_attempts: int = Field(default=8, ge=1, le=50)
    reminder_backoff_base_s: float = Field(default=30.0, ge=0)
    reminder_backoff_max_s: float = Field(default=6 * 3600.0, ge=0)
    # A reminder left "delivering" this long (a worker died mid-send) is sent again.
    reminder_delivering_timeout_s: float = Field(default=300.0, gt=0)
    # A reminder still "pending" this long after it was due lost its job: re-enqueue it.
    reminder_pending_grace_s: float = Field(default=120.0, ge=0)
    # A mandate ending within this many days has the status "expiring".
    mandate_expiring_days: int = Field(default=90, ge=0, le=3650)
    # Document ingestion (see shared/ingestion/sources.py and the README).
    ingest_sources: list[dict[str, Any]] = Field(default_factory=_default_ingest_sources)
    # "MINUTE HOUR" in cron notation (`*`, `*/n`, `a,b`, numbers), or "off".
    ingest_cron: str = "17 */6"
    ingest_max_bytes: int = Field(default=50_000_000, ge=1024)
    ingest_timeout_s: float = Field(default=60.0, gt=0)
    ingest_max_redirects: int = Field(default=5, ge=0, le=30)
    # Folders that a folder source given over HTTP must lie under (INGEST_SOURCES from
    # the environment is trusted). Relative paths are resolved against the repository.
    ingest_folder_roots: Annotated[list[str], NoDecode] = [SHARED_DATA]
    # Outbound HTTP (shared/egress): hosts that may resolve to loopback, private or
    # link-local addresses, or every host (development only); a DNS server to ask
    # instead of the system resolver ("host[:port]"); caps on redirects and total time.
    egress_allow_hosts: Annotated[list[str], NoDecode] = []
    egress_allow_private: bool = False
    egress_dns_server: str | None = None
    egress_max_redirects: int = Field(default=5, ge=0, le=30)
    egress_max_seconds: float = Field(default=1800.0, gt=0)
    # Sign-in (shared/people, README "Sign-in"): trusted OpenID Connect issuers, a JSON
    # list of {"issuer", "audience", optional claim names and group mapping}.
    oidc_issuers: list[OidcIssuer] = []
    oidc_clock_skew_s: int = Field(default=60, ge=0, le=600)
    # Keys are fetched again at most this often on an unknown `kid` (per issuer), and
    # refreshed in any case after oidc_jwks_max_age_s.
    oidc_jwks_min_refresh_s: float = Field(default=30.0, ge=0)
    oidc_jwks_max_age_s: float = Field(default=3600.0, gt=0)
    oidc_http_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # Tokens from `followup dev-token`: on by default in development, refused elsewhere.
    dev_tokens: bool | None = None
    # Coordinators are reminded of progress reports submitted longer ago than this.
    review_reminder_days: int = Field(default=7, ge=1, le=365)

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: object) -> object:
        # CORS_ORIGINS and the other host and folder lists may be a JSON list or a comma-separated
        # string (the list fields are NoDecode: pydantic-settings leaves the text to us).
        if isinstance(data, dict):
            for name in (
                "cors_origins",
                "webhook_allowed_hosts",
                "egress_allow_hosts",
                "ingest_folder_roots",
            ):
                raw = data.get(name)
                if isinstance(raw, str):
                    raw = raw.strip()
                    data[name] = (
                        json.loads(raw)
                        if raw.startswith("[")
                        else [v.strip() for v in raw.split(",") if v.strip()]
                    )
        return data

    @model_validator(mode="after")
    def _secrets_outside_development(self) -> Settings:
        if self.environment != "development" and (
            self.secret_key.get_secret_value() == DEV_SECRET_KEY
        ):
            raise ValueError(f"SECRET_KEY must be set when ENVIRONMENT={self.environment}")
        if self.environment == "production" and self.egress_allow_private:
            raise ValueError("EGRESS_ALLOW_PRIVATE is for development; name hosts instead")
        if self.dev_tokens and self.environment != "development":
            raise ValueError(
                "DEV_TOKENS=true is refused when ENVIRONMENT="
                f"{self.environment}: development tokens are trusted only in development"
            )
        return self

    @property
    def dev_tokens_enabled(self) -> bool:
        return self.environment == "development" and self.dev_tokens is not False

    def compression(self) -> Compression:
        """Levels chosen on a 45 KB list page (bench/compression_levels.py): zstd 1 costs
        62 µs against 90 µs at level 4 for 2% more bytes; brotli 2 (browsers without
        zstd) 126 µs against 253 µs at quality 4 for 7% more; gzip stays at 4 (214 µs)."""
        return Compression(
            minimum_size=self.compress_min_bytes, zstd_level=1, brotli_quality=2, gzip_level=4
        )


@cache
def get_settings() -> Settings:
    return Settings()
