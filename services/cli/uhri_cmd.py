"""`followup import-uhri FILE_OR_URL`: import a UHRI export by hand, with a progress bar."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from shared.db import Database
from shared.settings import get_settings
from shared.uhri import download, importer, service
from shared.uhri.schemas import UhriImportOut

out = Console()
err = Console(stderr=True)


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


async def _run(
    source: str, full: bool | None, conditional: bool, progress: Progress
) -> UhriImportOut:
    task = progress.add_task("reading", total=None)

    def advance(records: int, done: int | None, total: int | None) -> None:
        progress.update(task, completed=done or 0, total=total, description=f"{records:,} records")

    db = Database(get_settings())
    try:
        if _is_url(source):
            progress.update(task, description="downloading")
            return await download.import_url(
                db.sessionmaker,
                source,
                trigger="cli",
                conditional=conditional,
                full=full,
                progress=advance,
            )
        return await importer.import_file(
            db.sessionmaker, Path(source), trigger="cli", full=full, progress=advance
        )
    finally:
        await db.dispose()


def print_summary(result: UhriImportOut, console: Console) -> None:
    """The import's counts and the labels that mapped to nothing."""
    console.print(
        f"[bold]UHRI import {result.id}[/bold]  status={result.status}  "
        f"format={result.source_format or '-'}  full={'yes' if result.full else 'no'}"
    )
    table = Table("records", "new", "updated", "unchanged", "merged", "tombstoned", "unmapped")
    table.add_row(
        f"{result.records:,}",
        f"{result.created:,}",
        f"{result.updated:,}",
        f"{result.unchanged:,}",
        f"{result.merged:,}",
        f"{result.tombstoned:,}",
        f"{result.unmapped:,}",
    )
    console.print(table)
    if result.record_errors:
        console.print(f"{result.record_errors:,} unreadable records (first ones on the import)")
        for sample in result.error_samples[:5]:
            console.print(
                f"  #{sample.get('index')} {sample.get('uhri_id') or ''}: {sample.get('message')}",
                markup=False,
            )
    if result.unmapped_labels:
        labels = Table("field", "unmapped label", "records", title="unmapped labels")
        for item in result.unmapped_labels[:30]:
            labels.add_row(item.field, item.label, str(item.count))
        console.print(labels)
        if len(result.unmapped_labels) > 30:
            console.print(f"... and {len(result.unmapped_labels) - 30} more labels")
    for warning in result.warnings:
        console.print(f"warning: {warning}", markup=False)


def import_uhri(
    source: Annotated[str, typer.Argument(help="UHRI export file (JSON or xlsx) or its URL")],
    full: Annotated[
        bool | None,
        typer.Option(
            "--full/--partial",
            help="a full export tombstones the annotations it lacks (default: JSON is full, "
            "an xlsx search export is partial)",
            show_default=False,
        ),
    ] = None,
    if_changed: Annotated[
        bool, typer.Option(help="for a URL: conditional GET against the last import")
    ] = False,
) -> None:
    """Import the Universal Human Rights Index export (new, updated, merged, tombstoned)."""
    if not _is_url(source) and not Path(source).is_file():
        err.print(f"error: no such file: {source}", markup=False)
        raise typer.Exit(2)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=err, transient=True) as progress:
            result = asyncio.run(_run(source, full, if_changed, progress))
    except service.UhriImportFailed as exc:
        suffix = f" (import {exc.import_id})" if exc.import_id else ""
        err.print(f"error: UHRI import failed{suffix}: {exc.detail}", markup=False)
        raise typer.Exit(1) from None
    except OSError as exc:
        err.print(f"error: cannot reach the database: {exc}", markup=False)
        raise typer.Exit(2) from None
    print_summary(result, out)
