"""What an outbound request may reach, and the check that resolves a host once."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from shared.egress.addresses import IPAddress, is_local_name, literal, refusal
from shared.egress.resolver import ResolutionError, Resolver, resolver_for
from shared.errors import InvalidInput
from shared.settings import Settings


class EgressRefused(InvalidInput):
    """An outbound request to a place it may not go (scheme, numeric spelling, or an
    address that is not public)."""

    code = "egress_refused"


@dataclass(frozen=True, slots=True)
class Policy:
    """``allow_hosts``: names (or literal addresses) that may resolve to non-public
    addresses; ``allow_private``: any host may (development only). Both still pin."""

    resolver: Resolver
    allow_hosts: frozenset[str] = frozenset()
    allow_private: bool = False
    schemes: frozenset[str] = field(default_factory=lambda: frozenset({"http", "https"}))

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        extra_hosts: Iterable[str] = (),
        schemes: Iterable[str] = ("http", "https"),
    ) -> Policy:
        hosts = [*settings.egress_allow_hosts, *extra_hosts]
        return cls(
            resolver=resolver_for(settings.egress_dns_server),
            allow_hosts=frozenset(_norm(h) for h in hosts),
            allow_private=settings.egress_allow_private,
            schemes=frozenset(schemes),
        )

    def allows_private(self, host: str) -> bool:
        return self.allow_private or _norm(host) in self.allow_hosts


def _norm(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def check_literal(host: str, policy: Policy) -> IPAddress | None:
    """The checked address when ``host`` is an IP literal, None for a name (checked when
    resolved). Refuses non-canonical numeric spellings and non-public literals."""
    try:
        ip = literal(host)
    except ValueError as exc:
        raise EgressRefused(str(exc)) from None
    if ip is not None:
        reason = refusal(ip)
        if reason is not None and not policy.allows_private(host):
            raise EgressRefused(f"{host} is {reason}")
    elif is_local_name(host) and not policy.allows_private(host):
        raise EgressRefused(f"{host!r} names this machine (loopback)")
    return ip


async def addresses(host: str, port: int, policy: Policy) -> list[IPAddress]:
    """Resolve ``host`` once and check every address; the result is what may be connected
    to. A name with one non-public address among public ones is refused whole."""
    ip = check_literal(host, policy)
    if ip is not None:
        return [ip]
    if is_local_name(host):
        return [ipaddress.IPv4Address("127.0.0.1")]
    try:
        found = await policy.resolver.resolve(host, port)
    except ResolutionError as exc:
        raise EgressRefused(f"the host {host!r} does not resolve ({exc})") from None
    if not policy.allows_private(host):
        for address in found:
            reason = refusal(address)
            if reason is not None:
                raise EgressRefused(
                    f"the host {host!r} resolves to {address}, {reason}; an operator may "
                    "allow it with EGRESS_ALLOW_HOSTS if it is intended"
                )
    return found


def check_url_form(url: str | httpx.URL, policy: Policy) -> httpx.URL:
    """The checks that need no DNS: scheme, host present, numeric spellings, literals."""
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else url
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise EgressRefused(f"the URL {str(url)[:200]!r} is malformed: {exc}") from None
    if parsed.scheme not in policy.schemes:
        allowed = ", ".join(sorted(policy.schemes))
        raise EgressRefused(f"the URL {str(url)[:200]!r} must use {allowed}")
    if not parsed.host:
        raise EgressRefused(f"the URL {str(url)[:200]!r} has no host")
    check_literal(host_of(parsed), policy)
    return parsed


def host_of(url: httpx.URL) -> str:
    """The host as it is resolved and connected to (IDNA-encoded, no brackets)."""
    return url.raw_host.decode("ascii")


async def check_url(url: str, policy: Policy) -> list[IPAddress]:
    """Everything a connection would check, ahead of time (at submission): the URL's form
    and the addresses its host resolves to now. The connection checks again."""
    parsed = check_url_form(url, policy)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return await addresses(host_of(parsed), port, policy)
