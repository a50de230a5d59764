"""GET /v1/recommendations: fields, order, every filter, pagination and bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tests.recommendations import factory
from tests.recommendations.conftest import Corpus


async def refs(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/v1/recommendations", params=params)
    assert response.status_code == 200, response.text
    return [item["ref"] for item in response.json()["items"]]


async def test_item_fields(client: httpx.AsyncClient, corpus: Corpus) -> None:
    response = await client.get("/v1/recommendations", params={"country": "PRY", "limit": 1})
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    item = body["items"][0]
    assert set(item) >= {
        "id",
        "ref",
        "paragraph",
        "text",
        "state_under_review",
        "recommending_states",
        "mechanism",
        "cycle",
        "session",
        "document",
        "position",
        "position_source",
        "themes",
        "affected_persons",
        "sdg_targets",
        "institutions",
        "status",
        "version",
        "created_at",
        "updated_at",
    }
    assert item["ref"] == "A/HRC/32/9#102.5"
    assert item["document"] == {"symbol": "A/HRC/32/9", "kind": "wg_report", "date": "2016-04-01"}
    assert item["recommending_states"] == [{"iso3": "FRA", "name": "France"}]
    assert item["cycle"] == 2
    assert item["session"] == 24
    assert item["mechanism"] == "UPR"
    assert body["next_cursor"]
    assert response.headers["link"].endswith('rel="next"')


async def test_natural_order(client: httpx.AsyncClient, corpus: Corpus) -> None:
    assert await refs(client) == [
        "A/HRC/32/9#102.5",
        "A/HRC/48/9#115.1",
        "A/HRC/48/9#115.2",
        "A/HRC/48/9#115.10",
        "A/HRC/47/15#120.3",
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "URY"}, {"u1"}),
        ({"country": ["URY", "PRY"]}, {"u1", "p1", "p2", "p10", "old"}),
        ({"recommending_state": "FRA"}, {"p1", "old"}),
        ({"recommending_state": "VEN"}, {"p1"}),
        ({"mechanism": "UPR"}, {"u1", "p1", "p2", "p10", "old"}),
        ({"mechanism": "CRC"}, set()),
        ({"cycle": 2}, {"old"}),
        ({"session": 38}, {"p1", "p2", "p10"}),
        ({"document": "A/HRC/47/15"}, {"u1"}),
        ({"position": "noted"}, {"p2"}),
        ({"position": ["noted", "pending"]}, {"p2", "u1"}),
        ({"status": "implemented"}, {"old"}),
        ({"status": "in_progress"}, {"p10"}),
        ({"theme": "A12"}, {"p1", "old"}),
        ({"theme": "a12"}, {"p1", "old"}),
        ({"affected_person": "women"}, {"p10"}),
        ({"sdg": "16"}, {"p1"}),
        ({"sdg": "16.3"}, {"p1"}),
        ({"sdg": ["5", "1.4"]}, {"p10", "p2"}),
        ({"institution": "Ministry of Justice"}, {"p1"}),
        ({"q": "ratified"}, {"p1", "old"}),
        ({"q": "torture -enforced"}, {"p1"}),
        ({"q": '"violence against women"'}, {"p10"}),
        ({"kind": "observation"}, set()),
        ({"country": "PRY", "cycle": 3, "position": "supported"}, {"p1", "p10"}),
        ({"country": "PRY", "theme": "A12", "status": "no_information"}, {"p1"}),
        ({"recommending_state": "FRA", "sdg": "16"}, {"p1"}),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, corpus: Corpus, params: dict[str, Any], expected: set[str]
) -> None:
    by_ref = {rec.ref: key for key, rec in corpus.recs.items()}
    assert {by_ref[r] for r in await refs(client, **params)} == expected


async def test_search_ranks_by_relevance(client: httpx.AsyncClient, corpus: Corpus) -> None:
    ranked = await refs(client, q="ratify convention torture")
    assert ranked[0] == corpus.recs["p1"].ref


async def test_unresolved_recommending_state_is_kept(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    response = await client.get(f"/v1/recommendations/{corpus.recs['p10'].id}")
    assert response.json()["recommending_states"] == [
        {"iso3": "ESP", "name": "Spain"},
        {"iso3": None, "name": "Atlantis"},
    ]


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"country": "XXX"}, "country", "ISO 3166-1 alpha-3"),
        ({"recommending_state": "Frankreich"}, "recommending_state", "unknown country"),
        ({"position": "accepted"}, "position", "supported"),
        ({"status": "done"}, "status", "implemented"),
        ({"mechanism": "ABC"}, "mechanism", "CCPR"),
        ({"theme": "Z99"}, "theme", "/v1/taxonomies/themes"),
        ({"affected_person": "aliens"}, "affected_person", "/v1/taxonomies/affected-persons"),
        ({"sdg": "18"}, "sdg", "SDG goal"),
        ({"sdg": "16.99"}, "sdg", "SDG goal"),
        ({"cycle": "two"}, "cycle", "integer"),
        ({"limit": 501}, "limit", "500"),
        ({"limit": 0}, "limit", "1"),
        ({"updated_since": "last week"}, "updated_since", "datetime"),
        ({"include_deleted": "true"}, "include_deleted", "updated_since"),
    ],
)
async def test_bad_filters_are_422_naming_the_allowed_values(
    client: httpx.AsyncClient, params: dict[str, Any], field: str, fragment: str
) -> None:
    response = await client.get("/v1/recommendations", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert fragment in errors[0]["message"]


@pytest.mark.parametrize(
    "cursor", ["nope", "eyJ4IjoxfQ", "WyJyZWNvbW1lbmRhdGlvbnM6bmF0dXJhbCIsWzEsMiwzLDRdXQ"]
)
async def test_malformed_cursor_is_400(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get("/v1/recommendations", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


async def test_cursor_of_another_ordering_is_400(client: httpx.AsyncClient, corpus: Corpus) -> None:
    first = (await client.get("/v1/recommendations", params={"limit": 1})).json()
    response = await client.get(
        "/v1/recommendations", params={"limit": 1, "q": "ratify", "cursor": first["next_cursor"]}
    )
    assert response.status_code == 400


async def _all_pages(client: httpx.AsyncClient, params: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    url: str | None = "/v1/recommendations"
    query: dict[str, Any] | None = params
    while url:
        response = await client.get(url, params=query)
        assert response.status_code == 200, response.text
        seen += [i["ref"] for i in response.json()["items"]]
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else None
        query = None
    return seen


@pytest.mark.parametrize(
    "params", [{"limit": 2}, {"limit": 1, "q": "ratify OR violence OR rights OR plan"}]
)
async def test_pages_neither_skip_nor_repeat_while_rows_are_inserted(
    client: httpx.AsyncClient, session: AsyncSession, corpus: Corpus, params: dict[str, Any]
) -> None:
    first = await client.get("/v1/recommendations", params=params)
    seen = [i["ref"] for i in first.json()["items"]]
    # Rows inserted between pages: one before the cursor position, one after.
    await factory.recommendation(
        session, corpus.pry_old, "101.1", "Ratify an early protocol on rights"
    )
    await factory.recommendation(session, corpus.ury, "121.1", "Adopt a later plan on rights")
    await session.commit()
    cursor = first.json()["next_cursor"]
    while cursor:
        page = (await client.get("/v1/recommendations", params={**params, "cursor": cursor})).json()
        seen += [i["ref"] for i in page["items"]]
        cursor = page["next_cursor"]
    originals = {r.ref for r in corpus.recs.values()}
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert originals <= set(seen), "a row was skipped"


async def test_delta_sync_with_tombstones(
    client: httpx.AsyncClient, session: AsyncSession, corpus: Corpus, api_keys: Any
) -> None:
    since = (await client.get(f"/v1/recommendations/{corpus.recs['u1'].id}")).json()["updated_at"]
    admin = await api_keys.headers("admin")
    headers = await api_keys.headers("recommendations:write")
    detail = await client.get(f"/v1/recommendations/{corpus.recs['p1'].id}")
    patched = await client.patch(
        f"/v1/recommendations/{corpus.recs['p1'].id}",
        json={"themes": ["A12", "D51"]},
        headers={**headers, "If-Match": detail.headers["etag"]},
    )
    assert patched.status_code == 200
    deleted = await client.delete(f"/v1/recommendations/{corpus.recs['p2'].id}", headers=admin)
    assert deleted.status_code == 204

    changed = (await client.get("/v1/recommendations", params={"updated_since": since})).json()
    assert [i["ref"] for i in changed["items"]] == [corpus.recs["p1"].ref]
    with_deleted = (
        await client.get(
            "/v1/recommendations", params={"updated_since": since, "include_deleted": "true"}
        )
    ).json()["items"]
    assert [i["ref"] for i in with_deleted] == [corpus.recs["p1"].ref, corpus.recs["p2"].ref]
    assert with_deleted[1]["deleted"] is True
    assert with_deleted[1]["deleted_at"]
    assert corpus.recs["p2"].ref not in await refs(client)
    assert (await client.get(f"/v1/recommendations/{corpus.recs['p2'].id}")).status_code == 404
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert await refs(client, updated_since=future) == []


async def test_fixed_number_of_statements_whatever_the_page_size(
    client: httpx.AsyncClient, session: AsyncSession, connection: AsyncConnection, corpus: Corpus
) -> None:
    for i in range(40):
        await factory.recommendation(
            session,
            corpus.ury,
            f"121.{i}",
            f"Recommendation {i}",
            recommending=[("Chile", "CHL"), ("Peru", "PER")],
        )
    await session.commit()
    statements: list[str] = []

    def count(record: Any) -> None:
        statements.append(record.query)

    # The list runs on the asyncpg connection under the test's transaction.
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    driver.add_query_logger(count)
    try:
        counts = []
        for limit in (1, 5, 41):
            statements.clear()
            response = await client.get(
                "/v1/recommendations", params={"limit": limit, "country": "URY"}
            )
            assert len(response.json()["items"]) == limit
            counts.append(len([s for s in statements if "SAVEPOINT" not in s]))
    finally:
        driver.remove_query_logger(count)
    assert counts[0] == counts[1] == counts[2] == 1
