"""ASGI middleware: request ids, access logs, metrics and the request-body limit."""

from __future__ import annotations

import re
import time
import uuid

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.metrics import REQUEST_LATENCY, REQUESTS
from shared.asgi import HttpMiddleware

log = structlog.get_logger("followup.access")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


class _BodyTooLarge(Exception):
    pass


class RequestContextMiddleware(HttpMiddleware):
    """Assigns the request id, logs one line per request and records its metrics.

    It also enforces the body limit while the body streams in, so that a client cannot
    make the server buffer more than ``max_body_bytes``.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        super().__init__(app)
        self.max_body_bytes = max_body_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = _header(scope, b"x-request-id")
        request_id = (
            incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        start = time.perf_counter()
        status_holder = [500]
        started = [False]

        declared = _header(scope, b"content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > self.max_body_bytes
        ):
            await self._too_large(scope, send, request_id)
            self._observe(scope, 413, start)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            if not started[0]:
                await self._too_large(scope, send, request_id)
            status_holder[0] = 413
        finally:
            self._observe(scope, status_holder[0], start)

    def _observe(self, scope: Scope, status: int, start: float) -> None:
        elapsed = time.perf_counter() - start
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        REQUESTS.labels(method, template, str(status)).inc()
        REQUEST_LATENCY.labels(method, template).observe(elapsed)
        log.info(
            "request",
            method=method,
            path=scope["path"],
            route=template,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )

    async def _too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        body = orjson.dumps(
            {
                "type": "https://followup.example.org/problems/payload_too_large",
                "title": "Payload too large",
                "status": 413,
                "detail": f"the request body exceeds {self.max_body_bytes} bytes",
                "instance": scope["path"],
                "code": "payload_too_large",
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode("ascii")),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:
                return None
    return None
