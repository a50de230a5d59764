"""`followup erase-person`: erase one person's data (focal points, e-mail subscriptions,
mentions in the audit log), as `POST /v1/personal-data/erasures` does."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from shared.auth.schemas import OPERATOR
from shared.db import Database, unit_of_work
from shared.errors import DomainError
from shared.privacy import service
from shared.privacy.schemas import ErasureIn, ErasureOut
from shared.settings import get_settings

out = Console()
err = Console(stderr=True)


async def _erase(person: ErasureIn) -> ErasureOut:
    db = Database(get_settings())
    try:
        async with unit_of_work(db.sessionmaker, None) as session:
            return await service.erase_person(session, OPERATOR, person)
    finally:
        await db.dispose()


def erase_person(
    email: Annotated[str | None, typer.Option(help="the person's e-mail address")] = None,
    name: Annotated[str | None, typer.Option(help="the person's name (focal points)")] = None,
) -> None:
    """Erase one person; the audit log keeps an "[erased]" marker instead of the data."""
    try:
        erased = asyncio.run(_erase(ErasureIn(email=email, name=name)))
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]) for e in exc.errors())
        err.print(f"error: {message}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except (DomainError, OSError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    extra = "".join(f", {n} {key}" for key, n in erased.other.items())
    out.print(
        f"erased {erased.focal_points} focal point(s), {erased.users} user(s), "
        f"{erased.subscriptions} subscription(s)"
        f"{extra}; {erased.audit_entries} audit entr(y/ies) redacted",
        markup=False,
        highlight=False,
    )
