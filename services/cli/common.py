"""What the command modules share: the consoles, a clean failure, one unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database, unit_of_work
from shared.errors import DomainError
from shared.settings import get_settings

T = TypeVar("T")

err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def run_in_unit_of_work(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction; domain errors become a clean exit 2."""

    async def main() -> T:
        db = Database(get_settings())
        try:
            async with unit_of_work(db.sessionmaker, None) as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        raise fail(exc.detail) from None
    except OSError as exc:
        raise fail(f"cannot reach the database: {exc}") from None
