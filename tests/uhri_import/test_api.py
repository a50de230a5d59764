"""GET /v1/ingestion/uhri-imports: admin keys only, keyset-paginated, newest first."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.uhri import importer
from tests.conftest import KeyFactory


async def test_imports_are_listed_for_admins(
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    json_export: Path,
) -> None:
    first = await importer.import_file(sessionmaker, json_export)
    second = await importer.import_file(sessionmaker, json_export)
    admin = await api_keys.headers("admin")
    writer = await api_keys.headers("recommendations:write")

    assert (await client.get("/v1/ingestion/uhri-imports")).status_code == 401
    assert (await client.get("/v1/ingestion/uhri-imports", headers=writer)).status_code == 403

    page = await client.get("/v1/ingestion/uhri-imports?limit=1", headers=admin)
    assert page.status_code == 200, page.text
    body = page.json()
    assert [i["id"] for i in body["items"]] == [str(second.id)]
    assert body["items"][0]["unchanged"] == 22
    assert 'rel="next"' in page.headers["link"]
    rest = await client.get(
        "/v1/ingestion/uhri-imports", params={"cursor": body["next_cursor"]}, headers=admin
    )
    assert [i["id"] for i in rest.json()["items"]] == [str(first.id)]
    assert rest.json()["items"][0]["created"] == 22

    one = await client.get(f"/v1/ingestion/uhri-imports/{first.id}", headers=admin)
    assert one.status_code == 200
    assert one.json()["status"] == "succeeded"
    bad = await client.get("/v1/ingestion/uhri-imports?cursor=nonsense", headers=admin)
    assert bad.status_code == 400
