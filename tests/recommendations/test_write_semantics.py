"""Write semantics: PATCH is a JSON merge patch (lists replace), POST .../tags adds and
removes single values, and If-Match is honoured on every versioned write, progress
updates included."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import KeyFactory
from tests.recommendations.conftest import Corpus


@pytest.fixture
async def writer(api_keys: KeyFactory) -> dict[str, str]:
    return await api_keys.headers("recommendations:write", countries=["PRY"])


async def test_merge_patch_replaces_lists_and_leaves_absent_fields(
    client: httpx.AsyncClient, corpus: Corpus, writer: dict[str, str]
) -> None:
    rec = corpus.recs["p1"]  # themes ["A12"], institutions ["Ministry of Justice"]
    url = f"/v1/recommendations/{rec.id}"
    response = await client.patch(
        url,
        content=b'{"themes": ["D51"]}',
        headers={**writer, "If-Match": '"v1"', "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["themes"] == ["D51"]  # replaced, not merged
    assert body["institutions"] == ["Ministry of Justice"]  # absent: unchanged
    emptied = await client.patch(
        url, json={"institutions": []}, headers={**writer, "If-Match": response.headers["etag"]}
    )
    assert emptied.json()["institutions"] == []
    assert emptied.json()["themes"] == ["D51"]


async def test_tags_add_and_remove_single_values(
    client: httpx.AsyncClient, corpus: Corpus, writer: dict[str, str]
) -> None:
    rec = corpus.recs["p1"]
    url = f"/v1/recommendations/{rec.id}/tags"
    ops: dict[str, Any] = {
        "add": {"themes": ["D51", "A12"], "sdg_targets": ["5.2"], "institutions": ["Senate"]},
        "remove": {"institutions": ["Ministry of Justice"], "sdg_targets": ["16.3"]},
    }
    response = await client.post(url, json=ops, headers=writer)  # no If-Match needed
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["themes"] == ["A12", "D51"]  # A12 was there: kept once, D51 added
    assert body["institutions"] == ["Senate"]
    assert body["sdg_targets"] == ["5.2"]
    assert response.headers["etag"] == '"v2"'
    # The goal follows the targets.
    found = await client.get("/v1/recommendations", params={"sdg": "5", "country": "PRY"})
    assert rec.ref in [i["ref"] for i in found.json()["items"]]
    # The same operations again change nothing (no new version).
    again = await client.post(url, json=ops, headers=writer)
    assert again.headers["etag"] == '"v2"'
    # A version named and stale: 412, nothing changed.
    stale = await client.post(
        url, json={"add": {"themes": ["B31"]}}, headers={**writer, "If-Match": '"v1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    current = await client.post(
        url, json={"add": {"themes": ["B31"]}}, headers={**writer, "If-Match": '"v2"'}
    )
    assert current.status_code == 200
    assert current.json()["themes"] == ["A12", "D51", "B31"]


@pytest.mark.parametrize(
    "ops",
    [
        {"add": {"themes": ["no such theme"]}},
        {"remove": {"sdg_targets": ["99.9"]}},
        {"add": {"themes": ["A12"]}, "remove": {"themes": ["A12"]}},
        {"add": {"colours": ["red"]}},
        {"replace": {}},
    ],
)
async def test_bad_tag_operations_are_422(
    client: httpx.AsyncClient, corpus: Corpus, writer: dict[str, str], ops: dict[str, Any]
) -> None:
    rec = corpus.recs["p1"]
    response = await client.post(f"/v1/recommendations/{rec.id}/tags", json=ops, headers=writer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_tag_operations_need_the_country(
    client: httpx.AsyncClient, corpus: Corpus, api_keys: KeyFactory
) -> None:
    other = await api_keys.headers("recommendations:write", countries=["URY"])
    rec = corpus.recs["p1"]
    response = await client.post(
        f"/v1/recommendations/{rec.id}/tags", json={"add": {"themes": ["D51"]}}, headers=other
    )
    assert response.status_code == 403


async def test_progress_update_honours_if_match(
    client: httpx.AsyncClient, corpus: Corpus, writer: dict[str, str]
) -> None:
    rec = corpus.recs["p1"]
    url = f"/v1/recommendations/{rec.id}/updates"
    update = {"status": "in_progress", "narrative": "Bill tabled.", "source": "government"}
    stale = await client.post(url, json=update, headers={**writer, "If-Match": '"v7"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert (await client.get(url)).json() == []  # nothing recorded
    bad = await client.post(url, json=update, headers={**writer, "If-Match": "yesterday"})
    assert bad.status_code == 412
    ok = await client.post(url, json=update, headers={**writer, "If-Match": '"v1"'})
    assert ok.status_code == 201, ok.text
    assert ok.headers["etag"] == '"v2"'
    # Without If-Match the update is accepted as before.
    plain = await client.post(url, json={**update, "status": "implemented"}, headers=writer)
    assert plain.status_code == 201
    assert plain.headers["etag"] == '"v3"'
