"""Which hosts and addresses an outbound request may reach.

Only globally routable unicast addresses pass. A host written as a number is accepted only
in its canonical form (``a.b.c.d`` or a bracketed IPv6 literal): resolvers and URL parsers
disagree about ``2130706433``, ``0177.0.0.1``, ``0x7f000001`` or ``127.1`` (most read them
as 127.0.0.1), so such spellings are refused outright rather than interpreted.
"""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Named explicitly on top of ``is_global`` (whose table changes between Python versions)
# so that the rule does not depend on the interpreter.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata services
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
)
# IPv6 forms that carry an IPv4 address or translate to one: refused whatever they carry,
# since the gateway that translates them decides where the packet really goes.
_TRANSLATED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64 well-known prefix
        "64:ff9b:1::/48",  # NAT64 local-use
        "2001::/32",  # Teredo
        "2002::/16",  # 6to4
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "100::/64",  # discard-only
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
# The WHATWG URL rule: a host whose last label is a number is an IPv4 address.
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_CANONICAL_V4 = re.compile(
    r"^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
)


def refusal(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be reached, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "an IPv6 address with a zone"
        if any(ip in net for net in _BLOCKED_V6):
            return "a loopback, private, link-local, multicast or reserved IPv6 address"
        if any(ip in net for net in _TRANSLATED_V6):
            return "an IPv6 address that embeds or translates to an IPv4 address"
    elif any(ip in net for net in _BLOCKED_V4):
        return "a loopback, private, link-local, shared (CGNAT), multicast or reserved address"
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "not a public unicast address"
    return None


def literal(host: str) -> IPAddress | None:
    """The address ``host`` names when it is an IP literal in canonical form; None for a
    name. Raises ``ValueError`` for a numeric spelling that is not canonical."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" in bare:
        try:
            return ipaddress.IPv6Address(bare)
        except ValueError:
            raise ValueError(f"{host!r} is not a valid IPv6 address") from None
    name = bare.rstrip(".").lower()
    last = name.rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL.match(last):
        return None
    if bare != name or not _CANONICAL_V4.match(name):
        raise ValueError(
            f"{host!r} is a numeric host in a non-canonical spelling (decimal, octal, hex "
            "or shortened forms are refused; write a.b.c.d)"
        )
    return ipaddress.IPv4Address(name)


def is_local_name(host: str) -> bool:
    """``localhost`` and its subdomains always mean loopback (RFC 6761), whatever DNS says."""
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")
