"""`followup ingest PATH_OR_URL...`: ingest files, folders and URLs by hand.

Runs the worker's code path in-process (no Redis needed): a run is created and listed,
then each document is ingested in its own transaction, with a progress bar and a final
summary. Exit status 0 when nothing failed, 1 when some documents failed, 2 for bad
arguments.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shared.auth.schemas import OPERATOR
from shared.db import Database
from shared.errors import DomainError
from shared.ingestion import pipeline
from shared.ingestion.pipeline import ItemOutcome
from shared.ingestion.repository import IngestionRepository
from shared.ingestion.sources import make_client
from shared.settings import get_settings

err = Console(stderr=True)


def _sources(targets: list[str]) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = []
    urls: list[str] = []
    for target in targets:
        if urlsplit(target).scheme in ("http", "https"):
            urls.append(target)
            continue
        path = Path(target).expanduser()
        if not path.exists():
            raise typer.BadParameter(f"{target}: no such file or folder", param_hint="PATH_OR_URL")
        sources.append({"type": "folder", "path": str(path.resolve())})
    if urls:
        sources.append({"type": "urls", "urls": urls})
    return sources


async def _run(sources: list[dict[str, Any]], quiet: bool) -> tuple[list[ItemOutcome], list[str]]:
    settings = get_settings()
    db = Database(settings)
    client = make_client(settings)
    try:
        run_id = await pipeline.start_run(db, OPERATOR, trigger="cli", sources=sources)
        item_ids = await pipeline.list_run(db, None, settings, run_id, enqueue=False, client=client)
        outcomes: list[ItemOutcome] = []
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=quiet,
            transient=False,
        ) as progress:
            task = progress.add_task("ingesting", total=len(item_ids))
            for item_id in item_ids:
                outcome = await pipeline.process_item(db, settings, item_id, client=client)
                if outcome is not None:
                    outcomes.append(outcome)
                    name = outcome.source_key.rsplit("/", 1)[-1]
                    progress.update(task, description=f"{outcome.status:9} {name[:40]}")
                progress.advance(task)
        async with db.sessionmaker() as session:
            run = await IngestionRepository(session).run(run_id)
            errors = list(run.errors) if run else []
        return outcomes, errors
    finally:
        await client.aclose()
        await db.dispose()


def _summary(outcomes: list[ItemOutcome], errors: list[str]) -> None:
    out = Console()
    counts = dict.fromkeys(("new", "updated", "unchanged", "skipped", "failed"), 0)
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    table = Table("documents", "count", "recommendations", "count", title="Ingestion summary")
    table.add_row("new", str(counts["new"]), "created", str(sum(o.created for o in outcomes)))
    table.add_row(
        "updated", str(counts["updated"]), "updated", str(sum(o.updated for o in outcomes))
    )
    unresolved = list(dict.fromkeys(n for o in outcomes for n in o.unresolved_names))
    table.add_row("unchanged", str(counts["unchanged"]), "unresolved names", str(len(unresolved)))
    table.add_row("skipped", str(counts["skipped"]), "", "")
    table.add_row("failed", str(counts["failed"]), "", "")
    out.print(table)
    if unresolved:
        out.print("unresolved recommending-State names (kept verbatim):", style="yellow")
        for name in unresolved[:50]:
            out.print(f"  {name}", markup=False, highlight=False)
        if len(unresolved) > 50:
            out.print(f"  ... and {len(unresolved) - 50} more")
    for o in outcomes:
        if o.status == "failed":
            out.print(f"failed: {o.source_key}: {o.error}", markup=False, highlight=False)
    for message in errors:
        out.print(f"source error: {message}", markup=False, highlight=False)


def ingest(
    targets: Annotated[
        list[str], typer.Argument(help="files, folders (searched recursively) or http(s) URLs")
    ],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Ingest UPR documents (WG reports, Add.1 views, matrices) into the database."""
    sources = _sources(targets)
    try:
        outcomes, errors = asyncio.run(_run(sources, quiet))
    except DomainError as exc:
        err.print(f"error: {exc.detail}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"error: cannot reach the database: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    _summary(outcomes, errors)
    if errors or any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)
