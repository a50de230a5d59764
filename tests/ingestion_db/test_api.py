"""POST/GET /v1/ingestion/runs: admin only, a run queued for the worker, outcomes shown."""

from __future__ import annotations

from pathlib import Path

import httpx
from arq.jobs import Job, JobStatus
from fastapi import FastAPI

from shared.auth.schemas import OPERATOR
from shared.db import Database
from shared.ingestion import pipeline
from shared.ingestion.runs import list_job_id
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.ingestion_db.helpers import C3_REPORT, slovenia


async def test_routes_need_an_admin_key(client: httpx.AsyncClient, api_keys: KeyFactory) -> None:
    assert (await client.get("/v1/ingestion/runs")).status_code == 401
    assert (await client.post("/v1/ingestion/runs")).status_code == 401
    writer = await api_keys.headers("recommendations:write")
    for response in (
        await client.get("/v1/ingestion/runs", headers=writer),
        await client.post("/v1/ingestion/runs", headers=writer),
        await client.get(f"/v1/ingestion/runs/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=writer),
    ):
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


async def test_post_starts_a_run_the_worker_lists(
    app: FastAPI,
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
    clean_redis: JobQueue,
    settings: Settings,
    tmp_path: Path,
) -> None:
    # A folder given over HTTP must lie under INGEST_FOLDER_ROOTS.
    app.state.settings = settings.model_copy(update={"ingest_folder_roots": [str(tmp_path)]})
    admin = await api_keys.headers("admin")
    body = {"sources": [{"type": "folder", "path": str(tmp_path)}]}
    response = await client.post("/v1/ingestion/runs", json=body, headers=admin)
    assert response.status_code == 202, response.text
    run = response.json()
    assert run["status"] == "listing"
    assert run["trigger"] == "api"
    assert run["sources"] == body["sources"]
    assert response.headers["location"].endswith(f"/v1/ingestion/runs/{run['id']}")
    # Queued after the commit, under an id derived from the run: enqueueing is idempotent.
    job = Job(list_job_id(run["id"]), clean_redis.redis)
    assert await job.status() == JobStatus.queued

    audit = await client.get("/v1/audit", params={"entity": "ingestion_run"}, headers=admin)
    assert audit.json()["items"][0]["entity_id"] == run["id"]


async def test_post_uses_the_configured_sources_by_default(
    client: httpx.AsyncClient, api_keys: KeyFactory, settings: Settings
) -> None:
    admin = await api_keys.headers("admin")
    response = await client.post("/v1/ingestion/runs", headers=admin)
    assert response.status_code == 202
    assert len(response.json()["sources"]) == len(settings.ingest_sources)


async def test_bad_sources_are_422(client: httpx.AsyncClient, api_keys: KeyFactory) -> None:
    admin = await api_keys.headers("admin")
    for sources in (
        [{"type": "ftp", "url": "ftp://x"}],
        [{"type": "urls", "urls": ["file:///etc/passwd"]}],
        [{"type": "index", "url": "https://x.org", "pattern": "("}],
        "not a list",
    ):
        response = await client.post("/v1/ingestion/runs", json={"sources": sources}, headers=admin)
        assert response.status_code == 422, sources
        assert response.json()["code"] == "validation_error"


async def test_runs_list_and_detail_show_outcomes(
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
    db: Database,
    settings: Settings,
    tmp_path: Path,
) -> None:
    admin = await api_keys.headers("admin")
    (tmp_path / C3_REPORT).write_bytes(slovenia(C3_REPORT).read_bytes())
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    run_ids = []
    for _ in range(2):
        run_id = await pipeline.start_run(
            db,
            OPERATOR,
            trigger="cli",
            sources=[{"type": "folder", "path": str(tmp_path)}],
        )
        for item_id in await pipeline.list_run(db, None, settings, run_id, enqueue=False):
            await pipeline.process_item(db, settings, item_id)
        run_ids.append(str(run_id))

    page = await client.get("/v1/ingestion/runs", params={"limit": 1}, headers=admin)
    assert page.status_code == 200
    first = page.json()
    assert [r["id"] for r in first["items"]] == [run_ids[1]]  # newest first
    assert first["items"][0]["counts"]["unchanged"] == 1
    assert first["items"][0]["counts"]["failed"] == 1
    assert 'rel="next"' in page.headers["link"]
    second = await client.get(
        "/v1/ingestion/runs", params={"limit": 1, "cursor": first["next_cursor"]}, headers=admin
    )
    assert [r["id"] for r in second.json()["items"]] == [run_ids[0]]
    assert second.json()["items"][0]["counts"]["recommendations_created"] == 215

    detail = (await client.get(f"/v1/ingestion/runs/{run_ids[0]}", headers=admin)).json()
    assert detail["status"] == "finished"
    by_name = {i["source_key"].rsplit("/", 1)[-1]: i for i in detail["items"]}
    assert by_name[C3_REPORT]["status"] == "new"
    assert by_name[C3_REPORT]["symbol"] == "A/HRC/43/15"
    assert by_name["broken.pdf"]["status"] == "failed"
    assert by_name["broken.pdf"]["error"]

    assert (
        await client.get("/v1/ingestion/runs", params={"cursor": "junk"}, headers=admin)
    ).status_code == 400
    missing = await client.get(
        f"/v1/ingestion/runs/{'1' * 8}-0000-0000-0000-{'0' * 12}", headers=admin
    )
    assert missing.status_code == 404
