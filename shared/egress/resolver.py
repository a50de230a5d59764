"""Name resolution for outbound requests: the system resolver, or one DNS server named by
``EGRESS_DNS_SERVER`` (``host[:port]``; a deployment that wants a filtering resolver, and
the tests, which answer from a server of their own)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import TYPE_CHECKING, Protocol

from shared.egress.addresses import IPAddress

if TYPE_CHECKING:
    import dns.asyncresolver


class ResolutionError(Exception):
    """The name has no address (or the resolver did not answer)."""


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[IPAddress]: ...


class SystemResolver:
    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise ResolutionError(str(exc)) from None
        found: dict[IPAddress, None] = {}
        for info in infos:
            found[ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])] = None
        return list(found)


class DnsServerResolver:
    """Asks one DNS server (A and AAAA), without the system's caches or hosts file."""

    def __init__(self, server: str, *, timeout_s: float = 5.0) -> None:
        # Imported here: dnspython takes a noticeable share of start-up, and only
        # deployments (and tests) that name a DNS server use it.
        import dns.asyncresolver

        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        self.resolver: dns.asyncresolver.Resolver = dns.asyncresolver.Resolver(configure=False)
        self.resolver.nameservers = [host or server]
        self.resolver.port = int(port) if port else 53
        self.resolver.lifetime = timeout_s
        self.resolver.cache = None

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        import dns.exception
        import dns.resolver

        found: list[IPAddress] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = await self.resolver.resolve(host, rdtype, search=False)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except (dns.exception.DNSException, OSError) as exc:
                raise ResolutionError(f"{type(exc).__name__}: {exc}") from None
            found += [ipaddress.ip_address(r.address) for r in answer]
        if not found:
            raise ResolutionError(f"{host!r} has no address")
        return found


def resolver_for(dns_server: str | None) -> Resolver:
    return DnsServerResolver(dns_server) if dns_server else SystemResolver()
