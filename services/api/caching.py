"""Response compression and HTTP cache headers.

A list page of 50 items is about 44 KB of JSON; field offices and phones pay for every
byte. Bodies above ``COMPRESS_MIN_BYTES`` are compressed with the best coding the client
accepts (zstd, then brotli, then gzip). Anonymous reads are the same for everybody, so
shared caches may keep them briefly and serve them stale while they revalidate with the
ETag; reads with credentials stay private to the client.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type

from services.api.deps import is_anonymous

__all__ = ["CacheControlMiddleware", "CompressMiddleware"]

# Types the service sends besides plain JSON: problems, CSV and NDJSON exports, iCalendar.
for _type in ("application/problem+json", "text/csv", "application/x-ndjson"):
    add_compress_type(_type)

# Probes and metrics describe one process at one moment: never cached anywhere.
_NEVER_CACHED = ("/healthz", "/readyz", "/metrics")


class CacheControlMiddleware:
    """Adds ``Cache-Control`` and ``Vary`` to successful GET and HEAD answers that set
    neither themselves."""

    def __init__(self, app: ASGIApp, *, max_age: int, stale_while_revalidate: int) -> None:
        self.app = app
        self.public = (
            f"public, max-age={max_age}, stale-while-revalidate={stale_while_revalidate}"
        ).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if scope["path"] in _NEVER_CACHED:
            policy = b"no-store"
        elif not is_anonymous(scope["headers"]):
            policy = b"private, no-cache"
        else:
            policy = self.public

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"cache-control" not in names:
                    headers.append((b"cache-control", policy))
                # The answer depends on the credentials sent (public or private data).
                varies = b",".join(v for n, v in headers if n.lower() == b"vary").lower()
                if b"authorization" not in varies:
                    headers.append((b"vary", b"Authorization"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)
