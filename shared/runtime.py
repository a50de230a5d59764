"""What the HTTP processes (the API and the portal) hold for their lifetime: the settings,
the database, the job queue and the token verifier, opened at start-up and closed at
shutdown, whatever the web framework."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from shared.db import Database
from shared.logs import configure_logging
from shared.people.oidc import TokenVerifier
from shared.queue import JobQueue, connect_queue
from shared.settings import Settings, get_settings


class HandedIn(TypedDict, total=False):
    """What a caller (a test) may hand an application factory instead of opening its own."""

    db: Database | None
    queue: JobQueue | None


@dataclass(frozen=True, slots=True)
class ProcessResources:
    """The connections of one process. A database or queue handed in (a test's) belongs
    to whoever handed it in: only what the process opened itself is closed."""

    settings: Settings
    db: Database
    queue: JobQueue
    tokens: TokenVerifier
    owns_db: bool
    owns_queue: bool

    @classmethod
    def open(
        cls, settings: Settings | None = None, **handed_in: Unpack[HandedIn]
    ) -> ProcessResources:
        """The process's resources, with logging configured from its settings."""
        settings = settings or get_settings()
        db = handed_in.get("db")
        queue = handed_in.get("queue")
        configure_logging(settings.log_level, settings.log_json)
        return cls(
            settings=settings,
            db=db or Database(settings),
            queue=queue or connect_queue(settings.redis_url),
            tokens=TokenVerifier(settings),
            owns_db=db is None,
            owns_queue=queue is None,
        )

    def install(self, state: Any) -> None:
        """Where the routes read them: ``state.settings``, ``.db``, ``.queue``, ``.tokens``."""
        state.settings = self.settings
        state.db = self.db
        state.queue = self.queue
        state.tokens = self.tokens

    @asynccontextmanager
    async def lifetime(self) -> AsyncIterator[None]:
        """Serving: what exists at start-up (modules, routes, reference data) lives as long
        as the process, so it is kept out of full collections, whose pauses under load
        reached ~120 ms and stalled every request in flight (BENCHMARKS.md); at shutdown
        the connections the process opened are closed."""
        gc.collect()
        gc.freeze()
        yield
        if self.owns_db:
            await self.db.dispose()
        if self.owns_queue:
            await self.queue.close()
        await self.tokens.close()
