"""`followup rebuild-documents` and `followup check-documents`: the recommendation items
stored in their rows, against the items built from the rows now."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from services.cli.common import fail, out, run_in_unit_of_work
from shared.recommendations import stored_items


def check_documents(
    show: Annotated[int, typer.Option(help="how many stale refs to print", min=0)] = 20,
) -> None:
    """Exit 0 when every stored item equals a fresh build of its row, else 1 (with the
    first refs that differ)."""
    stale = run_in_unit_of_work(lambda s: stored_items.check_documents(s, show=show))
    if stale.count:
        for ref in stale.refs:
            out.print(ref, markup=False, highlight=False)
        raise fail(
            f"{stale.count} stored item(s) differ from their rows; run followup rebuild-documents",
            code=1,
        )
    out.print("every stored item matches its row")


def rebuild_documents(
    batch: Annotated[int, typer.Option(help="rows per transaction", min=1)] = 5000,
) -> None:
    """Rewrite every stored item that differs from a fresh build of its row, one batch
    per transaction (safe to interrupt and run again)."""
    after: uuid.UUID | None = None
    rebuilt = 0
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=out) as bar:
        task = bar.add_task("rebuilding stored items")
        while True:
            after, n = run_in_unit_of_work(
                partial(stored_items.rebuild_documents, after=after, size=batch)
            )
            rebuilt += n
            bar.update(task, description=f"rebuilt {rebuilt} stored item(s)")
            if after is None:
                break
    out.print(f"rebuilt {rebuilt} stored item(s)")
