"""Every caller goes through the egress guard: ingestion runs (at submission and at fetch),
UHRI downloads and webhooks. Refused before any connection: nothing leaves loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.schemas import OPERATOR
from shared.db import Database
from shared.ingestion import pipeline
from shared.ingestion.models import IngestionItem
from shared.ingestion.sources import FetchError
from shared.notifications import webhooks
from shared.settings import REPO_ROOT, SHARED_DATA, Settings
from shared.uhri import download
from shared.uhri.settings import UhriSettings
from tests.conftest import KeyFactory
from tests.egress.helpers import dns_server

METADATA = "http://169.254.169.254/latest/meta-data/"


@pytest.fixture
def strict(settings: Settings) -> Settings:
    """No loopback allowance: the production default."""
    return settings.model_copy(update={"egress_allow_hosts": [], "webhook_allowed_hosts": []})


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ({"type": "urls", "urls": [METADATA]}, "egress_refused"),
        ({"type": "urls", "urls": ["http://0x7f000001/x.pdf"]}, "egress_refused"),
        ({"type": "index", "url": "http://[::ffff:a9fe:a9fe]/"}, "egress_refused"),
        ({"type": "folder", "path": "/etc"}, "folder_not_allowed"),
        ({"type": "folder", "path": f"{SHARED_DATA}/../../.."}, "folder_not_allowed"),
    ],
)
async def test_unsafe_sources_are_refused_at_submission(
    app: FastAPI,
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
    strict: Settings,
    source: dict[str, object],
    code: str,
) -> None:
    app.state.settings = strict
    admin = await api_keys.headers("admin")
    response = await client.post("/v1/ingestion/runs", json={"sources": [source]}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert "sources[0]" in response.json()["detail"]
    runs = await client.get("/v1/ingestion/runs", headers=admin)
    assert runs.json()["items"] == []


async def test_a_folder_under_the_roots_is_accepted(
    app: FastAPI, client: httpx.AsyncClient, api_keys: KeyFactory, strict: Settings
) -> None:
    if not (REPO_ROOT / SHARED_DATA).is_dir():
        pytest.skip("the shared data folder is absent")
    app.state.settings = strict
    admin = await api_keys.headers("admin")
    body = {"sources": [{"type": "folder", "path": f"{SHARED_DATA}/upr"}]}
    response = await client.post("/v1/ingestion/runs", json=body, headers=admin)
    assert response.status_code == 202, response.text


async def test_a_name_resolving_to_a_private_address_is_refused_at_submission(
    app: FastAPI, client: httpx.AsyncClient, api_keys: KeyFactory, strict: Settings
) -> None:
    with dns_server({"intranet.test": ["10.0.0.8"]}) as script:
        app.state.settings = strict.model_copy(update={"egress_dns_server": script.address})
        admin = await api_keys.headers("admin")
        body = {"sources": [{"type": "urls", "urls": ["https://intranet.test/a.pdf"]}]}
        response = await client.post("/v1/ingestion/runs", json=body, headers=admin)
    assert response.status_code == 422
    assert "10.0.0.8" in response.json()["detail"]


async def test_a_refused_fetch_is_a_clear_item_error(
    db: Database, session: AsyncSession, strict: Settings
) -> None:
    # Configured sources are trusted at submission; the fetch still refuses.
    sources = [{"type": "urls", "urls": [METADATA]}]
    run_id = await pipeline.start_run(db, OPERATOR, trigger="cli", sources=sources)
    [item_id] = await pipeline.list_run(db, None, strict, run_id, enqueue=False)
    await pipeline.process_item(db, strict, item_id)
    item = (
        await session.execute(
            select(IngestionItem)
            .where(IngestionItem.id == item_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert item.status == "failed"
    assert item.error is not None
    assert "refused" in item.error
    assert "169.254.169.254" in item.error


async def test_uhri_download_is_guarded(strict: Settings, tmp_path: Path) -> None:
    client = download._client(strict, UhriSettings())
    async with client:
        with pytest.raises(FetchError, match="refused"):
            await download.download(METADATA, tmp_path, client=client)
        with pytest.raises(FetchError, match="refused"):
            await download.download("http://2130706433/export.json", tmp_path, client=client)


@pytest.mark.parametrize(
    "url", ["https://0x7f000001/hook", "https://[::ffff:7f00:1]/hook", "https://10.0.0.1/hook"]
)
async def test_webhook_urls_are_guarded(strict: Settings, url: str) -> None:
    with pytest.raises(webhooks.UnsafeWebhook):
        await webhooks.check_url(url, strict)
