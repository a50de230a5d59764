"""`followup`: the operator's command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

import shared.models  # noqa: F401  (every mapped table, so foreign keys resolve)
from services.cli.common import out, run_in_unit_of_work
from services.worker import runner
from shared.auth import service as keys
from shared.countries.reference_sync import sync_reference_data
from shared.settings import get_settings

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]

app = typer.Typer(
    help="Follow-up: human-rights recommendations follow-up service.", no_args_is_help=True
)
api_key_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")

# The options of the two HTTP servers, `followup api` and `followup web`.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104
Host = Annotated[str, typer.Option(help="interface to bind")]
ApiPort = Annotated[int | None, typer.Option(help="port (default: PORT, 8000)")]
WebPort = Annotated[int | None, typer.Option(help="port (default: WEB_PORT, 8080)")]
Workers = Annotated[int, typer.Option(envvar="WEB_CONCURRENCY")]


def _serve(factory: str, host: str, port: int, workers: int) -> None:
    """Run an application factory (``module:create_app``) under uvicorn."""
    import uvicorn

    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=20,
        log_config=None,
    )


@app.command()
def api(host: Host = ALL_INTERFACES, port: ApiPort = None, workers: Workers = 1) -> None:
    """Run the HTTP API (uvicorn)."""
    _serve("services.api.app:create_app", host, port or get_settings().port, workers)


@app.command()
def web(host: Host = ALL_INTERFACES, port: WebPort = None, workers: Workers = 1) -> None:
    """Run the public portal and the signed-in workspace (uvicorn)."""
    _serve("services.web.app:create_app", host, port or get_settings().web_port, workers)


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="run queued jobs, then exit (no cron)")] = False,
) -> None:
    """Run the arq worker: scheduled ingestion, reminders and deliveries."""
    runner.run(burst=burst)


@app.command("worker-health")
def worker_health() -> None:
    """Exit 0 when a worker reported healthy recently (for container probes)."""
    raise typer.Exit(runner.check_health())


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Apply the database migrations (alembic upgrade), then refresh the reference lists."""
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(ROOT / "alembic.ini")), revision)
    if revision == "head":
        run_in_unit_of_work(_sync_reference)


async def _sync_reference(session: AsyncSession) -> None:
    await session.run_sync(lambda s: sync_reference_data(s.connection()))


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Option(help="who or what uses the key")],
    scopes: Annotated[str, typer.Option(help="comma-separated, e.g. recommendations:write")],
    countries: Annotated[
        str | None, typer.Option(help="comma-separated ISO3 codes the key may write")
    ] = None,
) -> None:
    """Create an API key and print it once: only its hash is kept."""
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
    country_list = [c.strip() for c in countries.split(",")] if countries else None
    created = run_in_unit_of_work(lambda s: keys.create_key(s, name, scope_list, country_list))
    out.print(f"id:        {created.id}")
    out.print(f"name:      {created.name}")
    out.print(f"scopes:    {', '.join(created.scopes)}")
    out.print(f"countries: {', '.join(created.countries) if created.countries else 'all'}")
    out.print("key (shown once, store it now):")
    print(created.key)


@api_key_app.command("list")
def api_key_list() -> None:
    """List API keys (never the keys themselves)."""
    rows = run_in_unit_of_work(keys.list_keys)
    table = Table("id", "prefix", "name", "scopes", "countries", "created", "revoked")
    for k in rows:
        table.add_row(
            str(k.id),
            k.prefix,
            k.name,
            ",".join(k.scopes),
            ",".join(k.countries) if k.countries else "all",
            k.created_at.strftime("%Y-%m-%d %H:%M"),
            k.revoked_at.strftime("%Y-%m-%d %H:%M") if k.revoked_at else "",
        )
    out.print(table)


@api_key_app.command("revoke")
def api_key_revoke(
    key: Annotated[str, typer.Argument(help="the key's id or prefix")],
) -> None:
    """Revoke an API key at once."""
    revoked = run_in_unit_of_work(lambda s: keys.revoke_key(s, key))
    out.print(f"revoked {revoked.prefix} ({revoked.name})")


from services.cli.documents_cmd import check_documents, rebuild_documents  # noqa: E402
from services.cli.ingest_cmd import ingest  # noqa: E402
from services.cli.parse_cmd import parse  # noqa: E402  (registered after the app exists)
from services.cli.privacy_cmd import erase_person  # noqa: E402
from services.cli.uhri_cmd import import_uhri  # noqa: E402
from services.cli.user_cmd import dev_token, user_app  # noqa: E402

app.command("parse")(parse)
app.command("ingest")(ingest)
app.command("import-uhri")(import_uhri)
app.command("dev-token")(dev_token)
app.add_typer(user_app, name="user")
app.command("erase-person")(erase_person)
app.command("rebuild-documents")(rebuild_documents)
app.command("check-documents")(check_documents)

if __name__ == "__main__":
    app()
