"""Sync tokens over HTTP: where they come, what they are bound to, how bad ones fail.

What a delta through a token contains is tested with committed transactions in
``test_sync_guarantee.py``; here every request runs in the test's transaction.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.recommendations.conftest import Corpus

URL = "/v1/recommendations"


async def full_pass(client: httpx.AsyncClient, params: dict[str, Any]) -> dict[str, Any]:
    """Follows every page; returns the last page's body, checking the token rules."""
    params = dict(params)
    while True:
        response = await client.get(URL, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["next_cursor"] is None:
            assert body["sync_token"]
            assert response.headers["sync-token"] == body["sync_token"]
            return body
        # Only the last page's token is complete: the others carry none.
        assert body["sync_token"] is None
        assert "sync-token" not in response.headers
        params["cursor"] = body["next_cursor"]


async def test_last_page_carries_the_token_and_the_delta_takes_it(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    last = await full_pass(client, {"country": "PRY", "limit": 1})
    delta = await full_pass(client, {"country": "PRY", "since_token": last["sync_token"]})
    # The corpus is written by the test's transaction, still open: no snapshot has seen
    # it commit, so every delta hands it out again (at least once).
    pry = {str(r.id) for r in corpus.recs.values() if r.state_under_review == "PRY"}
    assert {item["id"] for item in delta["items"]} == pry
    # Filters given in another order or spelling are the same filters.
    await full_pass(client, {"country": "pry", "since_token": last["sync_token"]})


async def test_empty_list_has_a_token(client: httpx.AsyncClient) -> None:
    body = await full_pass(client, {"country": "NOR"})
    assert body["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"country": "URY"},  # other filters
        {"country": "PRY", "position": "supported"},  # more filters
        {"country": "PRY", "q": "torture"},
    ],
)
async def test_token_of_other_filters_is_400(
    client: httpx.AsyncClient, corpus: Corpus, params: dict[str, Any]
) -> None:
    token = (await full_pass(client, {"country": "PRY"}))["sync_token"]
    response = await client.get(URL, params={**params, "since_token": token})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_sync_token"


async def test_altered_or_malformed_token_is_400(client: httpx.AsyncClient) -> None:
    token = (await full_pass(client, {}))["sync_token"]
    payload, tag = token.split(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for bad in (
        f"{flipped}.{tag}",
        f"{payload}.{tag[::-1]}",
        "x",
        ".",
        "a.b.c",
        "é.é",
        token + ".",
    ):
        response = await client.get(URL, params={"since_token": bad})
        assert response.status_code == 400, bad
        assert response.json()["code"] == "invalid_sync_token"


async def test_token_with_updated_since_is_422(client: httpx.AsyncClient) -> None:
    token = (await full_pass(client, {}))["sync_token"]
    response = await client.get(
        URL, params={"since_token": token, "updated_since": "2020-01-01T00:00:00Z"}
    )
    assert response.status_code == 422


async def test_cursor_of_other_filters_is_400(client: httpx.AsyncClient, corpus: Corpus) -> None:
    first = (await client.get(URL, params={"country": "PRY", "limit": 1})).json()
    response = await client.get(
        URL, params={"country": "URY", "limit": 1, "cursor": first["next_cursor"]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


async def test_delta_pages_follow_the_transaction_order(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    # A token issued before any of the corpus existed would return it all: build one from
    # the first snapshot there is.
    from shared import sync
    from shared.recommendations import service
    from shared.recommendations.schemas import RecommendationFilter

    token = sync.encode(
        sync.SyncToken(
            service.RESOURCE, service.filters_key(RecommendationFilter()), sync.Snapshot(1, 1)
        )
    )
    seen: list[str] = []
    params: dict[str, Any] = {"since_token": token, "limit": 2}
    while True:
        body = (await client.get(URL, params=params)).json()
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert sorted(seen) == sorted(str(r.id) for r in corpus.recs.values())
