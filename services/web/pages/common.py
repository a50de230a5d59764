"""What every page needs: the language from the path, the database, error pages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse

from services.web.rendering import render
from shared import i18n
from shared.db import Database, unit_of_work
from shared.settings import Settings

PAGE_SIZE = 20


class NotFoundPage(Exception):
    """Raised by a page for an unknown language, State, recommendation, ..."""


def language_of(request: Request) -> str:
    """The language of the path prefix, else the visitor's (for a 404 at any URL)."""
    first = request.url.path.strip("/").split("/", 1)[0]
    if first in i18n.available_languages():
        return first
    return i18n.negotiate(request.headers.get("accept-language"))


def lang_of(request: Request) -> str:
    lang = str(request.path_params.get("lang", ""))
    if lang not in i18n.available_languages():
        raise NotFoundPage(lang)
    return lang


def not_found(request: Request, lang: str) -> HTMLResponse:
    return render(request, lang, "404.html", status_code=404, title=None)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@asynccontextmanager
async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.read_sessionmaker() as session:
        yield session


async def each_read(
    request: Request, *reads: Callable[[AsyncSession], Awaitable[Any]]
) -> list[Any]:
    """The results of independent reads: at once, each on a pooled connection of its own
    (a State page's dozen queries then take as long as the slowest, not their sum), or
    one after the other on one session when the app shares a test's connection."""
    if not request.app.state.parallel_reads:
        async with read_session(request) as session:
            return [await read(session) for read in reads]

    async def one(read: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with read_session(request) as session:
            return await read(session)

    return list(await asyncio.gather(*(one(read) for read in reads)))


@asynccontextmanager
async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One committed transaction (jobs it asks for reach Redis after the commit)."""
    db: Database = request.app.state.db
    async with unit_of_work(db.sessionmaker, request.app.state.queue) as session:
        yield session


def parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFoundPage(value) from None
