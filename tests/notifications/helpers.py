"""Real local receivers for the tests: an HTTP server (asyncio) and an SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from scripts.servers import free_port
from shared.settings import Settings

MY_TABLES = "delivery_attempts, reminders, outbox, subscriptions, deadlines, reminder_scans"


def local_settings(settings: Settings, **extra: Any) -> Settings:
    if "smtp_url" in extra:
        extra["smtp_url"] = SecretStr(extra["smtp_url"])
    return settings.model_copy(
        update={
            "webhook_allow_http": True,
            "webhook_allowed_hosts": ["127.0.0.1"],
            "reminder_backoff_base_s": 0.05,
            "reminder_backoff_max_s": 0.2,
            **extra,
        }
    )


async def truncate(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {MY_TABLES} CASCADE"))


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: answers ``status`` or, with ``hang``, never answers."""

    port: int = 0
    status: int = 200
    hang: bool = False
    requests: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(headers, body))
            self.arrived.set()
            if self.hang:
                await self.release.wait()
            status = f"HTTP/1.1 {self.status} X\r\n"
            writer.write(status.encode() + b"content-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def event_ids(self) -> list[str]:
        return [r.headers["x-followup-event-id"] for r in self.requests]


@contextlib.asynccontextmanager
async def receiver(**kwargs: Any) -> AsyncIterator[Receiver]:
    rec = Receiver(**kwargs)
    server = await asyncio.start_server(rec.handle, "127.0.0.1", 0)
    rec.port = server.sockets[0].getsockname()[1]
    try:
        yield rec
    finally:
        rec.release.set()
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[str, list[Message]]]:
    mailbox = _Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mailbox.messages
    finally:
        controller.stop()
