"""The egress guard against a real DNS server and a real HTTP server, both on 127.0.0.1.

Nothing here sends a packet beyond loopback: ``LoopbackOnly`` records every address the
transport would connect to and opens only loopback ones; the "public" answers of the DNS
server are recorded, never connected to.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx
import pytest
import trustme

from shared import egress
from shared.egress.addresses import IPAddress
from shared.settings import Settings
from tests.egress.helpers import Script, Web, dns_server, web_server

PUBLIC = "93.184.215.14"  # answered by the test DNS server, never connected to


class LoopbackOnly(egress.PinnedBackend):
    def __init__(self, policy: egress.Policy) -> None:
        super().__init__(policy)
        self.opened: list[tuple[str, int]] = []

    async def open(
        self,
        address: IPAddress,
        port: int,
        timeout: float | None,  # noqa: ASYNC109
        local_address: str | None,
        socket_options: Iterable[Any] | None,
    ) -> httpcore.AsyncNetworkStream:
        self.opened.append((str(address), port))
        if not address.is_loopback:
            raise httpcore.ConnectError(f"test: {address} recorded, not connected")
        return await super().open(address, port, timeout, local_address, socket_options)


@pytest.fixture
def web() -> Iterator[Web]:
    with web_server() as web:
        yield web


def policy_for(settings: Settings, script: Script, *allow: str) -> egress.Policy:
    return egress.Policy.from_settings(
        settings.model_copy(
            update={
                "egress_dns_server": script.address,
                "egress_allow_hosts": list(allow),
                "egress_allow_private": False,
            }
        )
    )


def client_for(
    settings: Settings,
    policy: egress.Policy,
    *,
    max_bytes: int = 1 << 20,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[httpx.AsyncClient, LoopbackOnly]:
    backend = LoopbackOnly(policy)
    client = egress.make_client(
        settings,
        policy=policy,
        timeout=5.0,
        max_bytes=max_bytes,
        max_redirects=3,
        backend=backend,
        ssl_context=ssl_context,
    )
    return client, backend


NUMERIC_SPELLINGS = [
    "http://2130706433/",  # decimal
    "http://0177.0.0.1/",  # octal
    "http://0x7f000001/",  # hex
    "http://0x7f.0x0.0x0.0x1/",
    "http://127.1/",  # short form
    "http://0/",
    "http://017700000001/",
    "http://127.0.0.1./",
    "http://2852039166/",  # 169.254.169.254 in decimal
]
NON_PUBLIC = [
    "http://127.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://224.0.0.1/",  # multicast
    "http://0.0.0.0/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::1]/",  # 6to4
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://localhost/",
    "http://metadata.localhost/",
]


@pytest.mark.parametrize("url", NUMERIC_SPELLINGS + NON_PUBLIC)
async def test_numeric_spellings_and_non_public_literals_are_refused(
    settings: Settings, url: str
) -> None:
    with dns_server({}) as script:
        policy = policy_for(settings, script)
        with pytest.raises(egress.EgressRefused):
            await egress.check_url(url, policy)
        client, backend = client_for(settings, policy)
        async with client:
            # httpx itself rejects some spellings (0177.0.0.1) before the transport.
            with pytest.raises((egress.EgressRefused, httpx.InvalidURL)):
                await client.get(url)
    # Refused on their spelling alone: no name was looked up, no socket opened.
    assert not script.queries
    assert backend.opened == []


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "http:///x"])
async def test_other_schemes_and_hostless_urls_are_refused(settings: Settings, url: str) -> None:
    with dns_server({}) as script, pytest.raises(egress.EgressRefused):
        await egress.check_url(url, policy_for(settings, script))


async def test_a_public_literal_passes_the_check(settings: Settings) -> None:
    with dns_server({}) as script:
        assert await egress.check_url(f"https://{PUBLIC}/x", policy_for(settings, script)) == [
            ipaddress.ip_address(PUBLIC)
        ]


async def test_rebinding_name_is_refused_when_the_connection_resolves_it(
    settings: Settings, web: Web
) -> None:
    url = f"http://rebind.test:{web.port}/ok"
    with dns_server({"rebind.test": [PUBLIC, "127.0.0.1"]}) as script:
        policy = policy_for(settings, script)
        # The check at submission sees the public answer ...
        assert await egress.check_url(url, policy) == [ipaddress.ip_address(PUBLIC)]
        client, backend = client_for(settings, policy)
        async with client:
            # ... the connection resolves again, sees loopback, and refuses.
            with pytest.raises(egress.EgressRefused, match=r"127\.0\.0\.1"):
                await client.get(url)
    assert script.queries["rebind.test"] == 2
    assert backend.opened == []
    assert web.paths == []


async def test_the_connection_goes_to_the_address_it_checked(settings: Settings) -> None:
    # Public first, loopback next: one resolution per connection, and the socket is
    # opened to the address that resolution returned (recorded, not connected).
    with dns_server({"pinned.test": [PUBLIC, "127.0.0.1"]}) as script:
        client, backend = client_for(settings, policy_for(settings, script))
        async with client:
            with pytest.raises(httpx.ConnectError):
                await client.get("http://pinned.test:8080/doc.pdf")
    assert backend.opened == [(PUBLIC, 8080)]
    assert script.queries["pinned.test"] == 1


async def test_pinned_socket_keeps_the_host_name(settings: Settings, web: Web) -> None:
    with dns_server({"svc.test": ["127.0.0.1"]}) as script:
        client, backend = client_for(settings, policy_for(settings, script, "svc.test"))
        async with client:
            response = await client.get(f"http://svc.test:{web.port}/ok")
    assert response.status_code == 200
    assert backend.opened == [("127.0.0.1", web.port)]
    # The Host header names the host, not the address connected to (TLS gets the name
    # too: see the test below).
    assert web.hosts == [f"svc.test:{web.port}"]


async def test_tls_keeps_the_name_for_sni_and_the_certificate(settings: Settings) -> None:
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("svc.test").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    answers = {"svc.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]}
    with web_server(server_tls) as web, dns_server(answers) as script:
        policy = policy_for(settings, script, "svc.test", "other.test")
        client, backend = client_for(settings, policy, ssl_context=client_tls)
        async with client:
            response = await client.get(f"https://svc.test:{web.port}/ok")
            # Same address, another name: the certificate is checked against the name.
            with pytest.raises(httpx.ConnectError, match="certificate"):
                await client.get(f"https://other.test:{web.port}/ok")
    assert response.status_code == 200
    assert backend.opened == [("127.0.0.1", web.port)] * 2
    assert web.sni == ["svc.test", "other.test"]
    assert web.hosts == [f"svc.test:{web.port}"]


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/ok",
        "http://169.254.169.254/latest/meta-data/",
        "http://2130706433:{port}/ok",
        "http://[::ffff:127.0.0.1]:{port}/ok",
        "http://inner.test:{port}/ok",  # a name that resolves to a private address
        "http://rebind.test:{port}/ok",  # public to a first look, loopback at connection
    ],
)
async def test_every_redirect_hop_is_checked(settings: Settings, web: Web, target: str) -> None:
    answers = {"svc.test": ["127.0.0.1"], "inner.test": ["10.1.2.3"]}
    answers["rebind.test"] = ["127.0.0.1"]
    location = target.format(port=web.port)
    with dns_server(answers) as script:
        # Only svc.test may be on loopback; the hop's host is not.
        client, backend = client_for(settings, policy_for(settings, script, "svc.test"))
        async with client:
            with pytest.raises(egress.EgressRefused):
                await client.get(f"http://svc.test:{web.port}/to", params={"u": location})
    # The redirect was answered; the hop it pointed to was never requested.
    assert len(web.paths) == 1
    assert web.paths[0].startswith("/to?")
    assert backend.opened == [("127.0.0.1", web.port)]


async def test_redirects_are_bounded(settings: Settings, web: Web) -> None:
    with dns_server({"svc.test": ["127.0.0.1"]}) as script:
        client, _ = client_for(settings, policy_for(settings, script, "svc.test"))
        async with client:
            with pytest.raises(httpx.TooManyRedirects):
                await client.get(f"http://svc.test:{web.port}/loop")
    assert len(web.paths) == 4  # the first request and three redirects


async def test_bodies_are_capped(settings: Settings, web: Web) -> None:
    with dns_server({"svc.test": ["127.0.0.1"]}) as script:
        policy = policy_for(settings, script, "svc.test")
        client, _ = client_for(settings, policy, max_bytes=50)
        async with client:
            with pytest.raises(egress.ResponseTooLarge):
                await client.get(f"http://svc.test:{web.port}/ok")


async def test_a_name_without_address_is_refused(settings: Settings) -> None:
    with dns_server({}) as script, pytest.raises(egress.EgressRefused, match="does not resolve"):
        await egress.check_url("https://nowhere.test/", policy_for(settings, script))


async def test_allow_private_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="EGRESS_ALLOW_PRIVATE"):
        Settings(environment="production", secret_key="x" * 40, egress_allow_private=True)
