"""Configuration of the trusted OpenID Connect issuers (defined with the settings, which
read them from ``OIDC_ISSUERS``)."""

from shared.settings import ALGORITHMS, Algorithm, MembershipSpec, OidcIssuer, Role

__all__ = ["ALGORITHMS", "Algorithm", "MembershipSpec", "OidcIssuer", "Role"]
