"""Configuration of the trusted OpenID Connect issuers (``OIDC_ISSUERS``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
