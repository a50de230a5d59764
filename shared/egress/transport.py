"""The HTTP client for outbound requests: connections go to the address that was checked.

httpx resolves names inside its network backend, after any check we could make in front
of it, so a name that answers a public address to the check and a private one to the
connection (DNS rebinding) would pass. Here the backend itself resolves once, checks,
and opens the socket to that address; TLS still verifies the certificate for the name
(httpcore passes the URL's host as SNI) and the Host header is untouched. Every redirect
hop is a new request through the same transport, so it is checked the same way.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpcore
import httpx

from shared.egress.addresses import IPAddress
from shared.egress.policy import EgressRefused, Policy, addresses, check_url_form
from shared.settings import Settings


class ResponseTooLarge(httpx.TransportError):
    """The body went past the client's byte limit."""


class ResponseTooSlow(httpx.TimeoutException):
    """The whole exchange went past the client's time limit."""


class PinnedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                checked = await addresses(host, port, self.policy)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from None
        failure: Exception | None = None
        for address in checked:
            try:
                return await self.open(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the next checked address
                failure = exc
        assert failure is not None
        raise failure

    async def open(
        self,
        address: IPAddress,
        port: int,
        timeout: float | None,  # noqa: ASYNC109 - passed on to httpcore
        local_address: str | None,
        socket_options: Iterable[Any] | None,
    ) -> httpcore.AsyncNetworkStream:
        """Open the socket to a checked address (tests override this to record it)."""
        return await self.inner.connect_tcp(
            str(address), port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused("outbound requests may not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _Capped(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, max_bytes: int, deadline: float) -> None:
        self.inner, self.max_bytes, self.deadline = inner, max_bytes, deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for chunk in self.inner:
            size += len(chunk)
            if size > self.max_bytes:
                raise ResponseTooLarge(f"the response is over {self.max_bytes} bytes")
            if time.monotonic() > self.deadline:
                raise ResponseTooSlow("the response took longer than the time allowed")
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class EgressTransport(httpx.AsyncHTTPTransport):
    """``AsyncHTTPTransport`` whose pool connects through ``PinnedBackend``, with a
    byte cap and a total time cap on every response."""

    def __init__(
        self,
        policy: Policy,
        *,
        max_bytes: int,
        max_seconds: float,
        backend: PinnedBackend | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(trust_env=False)
        self.policy = policy
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.backend = backend or PinnedBackend(policy)
        limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=self.backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_url_form(request.url, self.policy)
        deadline = time.monotonic() + self.max_seconds
        response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Capped(response.stream, self.max_bytes, deadline),
            extensions=response.extensions,
        )


def make_client(
    settings: Settings,
    *,
    policy: Policy | None = None,
    timeout: httpx.Timeout | float,
    max_bytes: int,
    max_seconds: float | None = None,
    follow_redirects: bool = True,
    max_redirects: int | None = None,
    headers: dict[str, str] | None = None,
    backend: PinnedBackend | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """The client every outbound HTTP request goes through (e-mail aside). Environment
    proxies are ignored (``trust_env=False``): a proxy would resolve names itself.
    ``ssl_context``: the system's trust store unless given (tests give their own CA)."""
    policy = policy or Policy.from_settings(settings)
    transport = EgressTransport(
        policy,
        max_bytes=max_bytes,
        max_seconds=max_seconds if max_seconds is not None else settings.egress_max_seconds,
        backend=backend,
        ssl_context=ssl_context,
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=follow_redirects,
        max_redirects=max_redirects if max_redirects is not None else settings.egress_max_redirects,
        headers=headers,
        trust_env=False,
    )
