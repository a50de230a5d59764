"""`followup parse FILE [--json]`: parse one document without touching the database."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from shared.ingestion.parse import parse_bytes
from shared.ingestion.parsed import ParsedDocument, UnreadableDocument, UnsupportedFormat


def document_to_json(doc: ParsedDocument) -> dict[str, Any]:
    """The JSON shape printed by ``parse --json``."""
    out: dict[str, Any] = {
        "document": {
            "symbol": doc.symbol,
            "kind": doc.kind,
            "state_under_review": doc.state_under_review,
            "state_name": doc.state_name,
            "session": doc.session,
            "cycle": doc.cycle,
            "date": doc.date.isoformat() if doc.date else None,
            "report_symbol": doc.report_symbol,
        },
        "recommendations": [
            {
                "paragraph": r.paragraph,
                "printed_number": r.printed_number,
                "text": r.text,
                "recommending_states": [
                    {"name": s.name, "iso3": s.iso3} for s in r.recommending_states
                ],
                "position": r.position,
                "position_raw": r.position_raw,
                "position_source": r.position_source,
                "themes": list(r.themes),
                "affected_persons": list(r.affected_persons),
                "sdg_targets": list(r.sdg_targets),
            }
            for r in doc.recommendations
        ],
        "warnings": list(doc.warnings),
    }
    if doc.kind == "add1_views" or doc.position_changes:
        out["position_changes"] = [
            {"paragraph": c.paragraph, "position": c.position, "position_raw": c.position_raw}
            for c in doc.position_changes
        ]
    return out


def parse(
    file: Annotated[Path, typer.Argument(help="PDF, DOCX, HTML or text file to parse")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the parsed document as JSON")
    ] = False,
) -> None:
    """Parse one UPR document (WG report, Add.1 views, matrix) and print what was found."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    try:
        doc = parse_bytes(data, filename=file.name)
    except (UnsupportedFormat, UnreadableDocument) as exc:
        typer.echo(f"error: {file.name}: {exc}", err=True)
        raise typer.Exit(2) from None
    if json_output:
        sys.stdout.write(json.dumps(document_to_json(doc), ensure_ascii=False, indent=2) + "\n")
        return
    _summary(doc)


def _summary(doc: ParsedDocument) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{doc.symbol or '(no symbol)'}[/bold]  kind={doc.kind}  "
        f"state={doc.state_under_review or '?'}  session={doc.session or '?'}  "
        f"cycle={doc.cycle or '?'}  date={doc.date or '?'}"
    )
    if doc.report_symbol:
        console.print(f"refers to report {doc.report_symbol}")
    table = Table("position", "count")
    positions = Counter(r.position or "unknown" for r in doc.recommendations)
    positions.update(c.position for c in doc.position_changes)
    for position, count in sorted(positions.items()):
        table.add_row(position, str(count))
    console.print(
        f"{len(doc.recommendations)} recommendations, {len(doc.position_changes)} position changes"
    )
    if positions:
        console.print(table)
    if doc.warnings:
        console.print(f"{len(doc.warnings)} warnings (first: {doc.warnings[0]})")
