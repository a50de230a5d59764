"""Stored items: what the triggers keep in each row, the check and the rebuild.

Every test of the suite also ends with the check (``tests/conftest.py``), so each kind of
write the suite makes (API, ingestion, UHRI import, institutions...) is covered; these
tests add the writes nothing else makes and show the check can fail.
"""

from __future__ import annotations

import json

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations import stored_items
from tests.recommendations.conftest import Corpus


async def stored(session: AsyncSession, ref: str) -> dict[str, object]:
    raw = await session.scalar(
        text("SELECT item::text FROM recommendations WHERE ref = :r"), {"r": ref}
    )
    assert raw is not None
    item: dict[str, object] = json.loads(raw)
    return item


async def test_the_item_follows_its_recommending_states_and_document(
    session: AsyncSession, corpus: Corpus
) -> None:
    rec = corpus.recs["p1"]
    await session.execute(
        text(
            "INSERT INTO recommending_states (recommendation_id, ordinal, name, iso3)"
            " VALUES (:id, 9, 'Chile', 'CHL')"
        ),
        {"id": rec.id},
    )
    await session.execute(
        text(
            "UPDATE recommending_states SET name = 'French Republic' WHERE iso3 = 'FRA'"
            " AND recommendation_id = :id"
        ),
        {"id": rec.id},
    )
    await session.execute(
        text("DELETE FROM recommending_states WHERE iso3 = 'VEN' AND recommendation_id = :id"),
        {"id": rec.id},
    )
    item = await stored(session, rec.ref)
    assert item["recommending_states"] == [
        {"iso3": "FRA", "name": "French Republic"},
        {"iso3": "CHL", "name": "Chile"},
    ]
    await session.execute(
        text("UPDATE documents SET date = '2021-07-02', kind = 'matrix' WHERE id = :id"),
        {"id": corpus.pry.id},
    )
    assert (await stored(session, rec.ref))["document"] == {
        "symbol": "A/HRC/48/9",
        "kind": "matrix",
        "date": "2021-07-02",
    }
    assert (await stored_items.check_documents(session)).count == 0


async def test_lists_details_and_exports_send_the_stored_item(
    client: httpx.AsyncClient, session: AsyncSession, corpus: Corpus
) -> None:
    rec = corpus.recs["p10"]
    item = await stored(session, rec.ref)
    listed = (await client.get("/v1/recommendations", params={"document": "A/HRC/48/9"})).json()
    assert item in listed["items"]
    detail = (await client.get(f"/v1/recommendations/{rec.id}")).json()
    assert detail.pop("assessments") == {}
    assert detail == item
    lines = (await client.get("/v1/recommendations/export.ndjson", params={"country": "PRY"})).text
    assert item in [json.loads(line) for line in lines.splitlines()]


async def test_the_check_finds_a_stale_item_and_the_rebuild_mends_it(
    session: AsyncSession, corpus: Corpus
) -> None:
    rec = corpus.recs["u1"]
    # An item left stale on purpose: written with the trigger off.
    await session.execute(text("ALTER TABLE recommendations DISABLE TRIGGER recommendations_item"))
    await session.execute(
        text("UPDATE recommendations SET item = '{}' WHERE id = :id"), {"id": rec.id}
    )
    await session.execute(text("ALTER TABLE recommendations ENABLE TRIGGER recommendations_item"))
    stale = await stored_items.check_documents(session)
    assert (stale.count, stale.refs) == (1, [rec.ref])

    after, rebuilt = await stored_items.rebuild_documents(session, None, 2)
    assert rebuilt in (0, 1)
    total = rebuilt
    while after is not None:
        after, rebuilt = await stored_items.rebuild_documents(session, after, 2)
        total += rebuilt
    assert total == 1
    assert (await stored_items.check_documents(session)).count == 0
    assert (await stored(session, rec.ref))["ref"] == rec.ref


async def test_fields_project_the_stored_items(client: httpx.AsyncClient, corpus: Corpus) -> None:
    response = await client.get(
        "/v1/recommendations", params={"country": "URY", "fields": "ref,status"}
    )
    assert response.status_code == 200
    assert response.json()["items"] == [{"ref": "A/HRC/47/15#120.3", "status": "no_information"}]
    repeated = await client.get(
        "/v1/recommendations", params=[("country", "URY"), ("fields", "id"), ("fields", "ref")]
    )
    assert set(repeated.json()["items"][0]) == {"id", "ref"}
    bad = await client.get("/v1/recommendations", params={"fields": "ref,secret"})
    assert bad.status_code == 422
    assert "secret" in bad.json()["detail"]
    assert "state_under_review" in bad.json()["detail"]
