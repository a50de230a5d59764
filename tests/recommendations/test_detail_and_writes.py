"""Single recommendations: ETag/If-None-Match, PATCH with If-Match, scopes, countries,
implementation updates and the audit trail."""

from __future__ import annotations

import urllib.parse

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.recommendations.repository import RecommendationRepository
from shared.recommendations.schemas import RecommendationFilter
from tests.conftest import KeyFactory
from tests.recommendations.conftest import Corpus


async def test_get_by_id_and_by_ref_with_etag(client: httpx.AsyncClient, corpus: Corpus) -> None:
    rec = corpus.recs["p1"]
    by_id = await client.get(f"/v1/recommendations/{rec.id}")
    by_ref = await client.get(f"/v1/recommendations/{urllib.parse.quote(rec.ref, safe='')}")
    assert by_id.status_code == by_ref.status_code == 200
    assert by_id.json() == by_ref.json()
    assert by_id.headers["etag"] == '"v1"'
    cached = await client.get(f"/v1/recommendations/{rec.id}", headers={"If-None-Match": '"v1"'})
    assert cached.status_code == 304
    assert cached.content == b""
    stale = await client.get(f"/v1/recommendations/{rec.id}", headers={"If-None-Match": '"v0"'})
    assert stale.status_code == 200


async def test_unknown_recommendation_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/recommendations/A%2FHRC%2F1%2F1%23999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    # A line break in the identifier: still the detail route's 404, not another route's
    # 405 (a PATCH or DELETE /v1/recommendations/{rec_id} matched it before).
    for path in ("/v1/recommendations/x%0Ay", "/v1/documents/A%2FHRC%0A1"):
        broken = await client.get(path)
        assert broken.status_code == 404, path
        assert broken.json()["code"] == "not_found"


async def test_patch_flow(
    client: httpx.AsyncClient, corpus: Corpus, api_keys: KeyFactory, session: AsyncSession
) -> None:
    rec = corpus.recs["p1"]
    url = f"/v1/recommendations/{rec.id}"
    headers = await api_keys.headers("recommendations:write", countries=["PRY"], name="SIMORE")
    body = {"themes": ["D51", "Acceptance of international norms"], "sdg_targets": ["16.3", "5.2"]}

    missing = await client.patch(url, json=body, headers=headers)
    assert missing.status_code == 428
    assert missing.json()["code"] == "if_match_required"

    ok = await client.patch(url, json=body, headers={**headers, "If-Match": '"v1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"v2"'
    assert ok.json()["themes"] == ["D51", "A12"]
    assert ok.json()["sdg_targets"] == ["16.3", "5.2"]
    assert ok.json()["version"] == 2

    # A second editor still holding v1 loses: no lost update.
    stale = await client.patch(url, json={"themes": []}, headers={**headers, "If-Match": '"v1"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert (await client.get(url)).json()["themes"] == ["D51", "A12"]

    # The goal of a new target becomes filterable.
    found = await client.get("/v1/recommendations", params={"sdg": "5", "country": "PRY"})
    assert rec.ref in [i["ref"] for i in found.json()["items"]]

    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.entity_id == str(rec.id)))
    ).scalar_one()
    assert entry.actor == "SIMORE"
    assert entry.before == {
        "themes": ["A12"],
        "affected_persons": [],
        "sdg_targets": ["16.3"],
        "institutions": ["Ministry of Justice"],
    }
    assert entry.after is not None
    assert entry.after["themes"] == ["D51", "A12"]


async def test_patch_validates_tags(
    client: httpx.AsyncClient, corpus: Corpus, api_keys: KeyFactory
) -> None:
    headers = await api_keys.headers("recommendations:write")
    response = await client.patch(
        f"/v1/recommendations/{corpus.recs['p1'].id}",
        json={"themes": ["Z99"], "sdg_targets": ["16"], "unknown": 1},
        headers={**headers, "If-Match": '"v1"'},
    )
    assert response.status_code == 422
    response = await client.patch(
        f"/v1/recommendations/{corpus.recs['p1'].id}",
        json={"themes": ["Z99"], "sdg_targets": ["16"]},
        headers={**headers, "If-Match": '"v1"'},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"themes", "sdg_targets"}


@pytest.mark.parametrize(
    ("scopes", "countries", "expected"),
    [
        (None, None, 401),
        (("programmes:write",), None, 403),
        (("recommendations:write",), ["URY"], 403),
        (("recommendations:write",), ["PRY"], 200),
        (("admin",), None, 200),
    ],
)
async def test_patch_authorization(
    client: httpx.AsyncClient,
    corpus: Corpus,
    api_keys: KeyFactory,
    scopes: tuple[str, ...] | None,
    countries: list[str] | None,
    expected: int,
) -> None:
    headers = {"If-Match": '"v1"'}
    if scopes:
        headers |= await api_keys.headers(*scopes, countries=countries)
    response = await client.patch(
        f"/v1/recommendations/{corpus.recs['p1'].id}", json={"themes": ["A12"]}, headers=headers
    )
    assert response.status_code == expected, response.text


async def test_implementation_updates(
    client: httpx.AsyncClient, corpus: Corpus, api_keys: KeyFactory, session: AsyncSession
) -> None:
    rec = corpus.recs["p10"]
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    created = await client.post(
        f"/v1/recommendations/{rec.id}/updates",
        json={
            "status": "partially_implemented",
            "narrative": "Law 5777 adopted; shelters opened in three departments.",
            "evidence_links": ["https://www.bacn.gov.py/leyes/5777"],
            "source": "government",
            "author": "Ministry of Women",
            "reported_on": "2024-03-08",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    assert (await client.get(location)).json() == created.json()

    await client.post(
        f"/v1/recommendations/{rec.id}/updates",
        json={
            "status": "in_progress",
            "narrative": "Shelters underfunded.",
            "source": "civil_society",
        },
        headers=headers,
    )
    history = (await client.get(f"/v1/recommendations/{rec.id}/updates")).json()
    assert [u["status"] for u in history] == ["partially_implemented", "in_progress"]
    detail = await client.get(f"/v1/recommendations/{rec.id}")
    assert detail.json()["status"] == "in_progress"
    assert detail.json()["version"] == 3

    bad = await client.post(
        f"/v1/recommendations/{rec.id}/updates",
        json={"status": "done", "narrative": "", "source": "press", "evidence_links": ["nota url"]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "status",
        "narrative",
        "source",
        "evidence_links.0",
    }
    other_country = await api_keys.headers("recommendations:write", countries=["URY"])
    denied = await client.post(
        f"/v1/recommendations/{rec.id}/updates",
        json={"status": "implemented", "narrative": "x", "source": "un"},
        headers=other_country,
    )
    assert denied.status_code == 403

    # The history is append-only, down to the database.
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text("UPDATE implementation_updates SET narrative = 'rewritten'"))


async def test_facets(client: httpx.AsyncClient, corpus: Corpus) -> None:
    response = await client.get("/v1/recommendations/facets", params={"country": "PRY"})
    assert response.status_code == 200
    facets = response.json()
    assert facets["total"] == 4
    assert {v["value"]: v["count"] for v in facets["position"]} == {"supported": 3, "noted": 1}
    assert {v["value"]: v["count"] for v in facets["status"]} == {
        "no_information": 2,
        "in_progress": 1,
        "implemented": 1,
    }
    assert facets["theme"][0] == {"value": "A12", "count": 2}
    assert {v["value"]: v["count"] for v in facets["sdg_goal"]} == {"16": 1, "1": 1, "5": 1}
    assert {v["value"]: v["count"] for v in facets["cycle"]} == {"3": 3, "2": 1}
    assert facets["recommending_state"][0] == {"value": "FRA", "count": 2}
    searched = (await client.get("/v1/recommendations/facets", params={"q": "ratify"})).json()
    assert searched["total"] == 2


async def test_exports_stream_every_matching_row(
    client: httpx.AsyncClient, corpus: Corpus, session: AsyncSession
) -> None:
    from tests.recommendations import factory

    for i in range(2500):
        await factory.recommendation(session, corpus.ury, f"130.{i}", f"Bulk recommendation {i}")
    await session.commit()

    # The rows come through a server-side cursor in fixed batches: memory stays flat.
    from shared.recommendations import service
    from shared.recommendations.schemas import RecommendationFilter

    sizes = [
        len(batch)
        async for batch in service.export_rows(session, RecommendationFilter(countries=("URY",)))
    ]
    assert sizes == [1000, 1000, 501]

    r = await client.get("/v1/recommendations/export.csv", params={"country": "URY"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].startswith("id,ref,kind,state_under_review")
    assert len(lines) == 1 + 2501

    response = await client.get("/v1/recommendations/export.ndjson", params={"country": "PRY"})
    assert response.headers["content-type"] == "application/x-ndjson"
    import json

    rows = [json.loads(line) for line in response.text.splitlines()]
    assert [r["ref"] for r in rows] == [
        "A/HRC/32/9#102.5",
        "A/HRC/48/9#115.1",
        "A/HRC/48/9#115.2",
        "A/HRC/48/9#115.10",
    ]


async def test_values_the_database_cannot_store_are_422(
    client: httpx.AsyncClient, corpus: Corpus, api_keys: KeyFactory
) -> None:
    headers = await api_keys.headers("recommendations:write")
    response = await client.patch(
        f"/v1/recommendations/{corpus.recs['p1'].id}",
        json={"institutions": ["Ministry\u0000of Justice"]},
        headers={**headers, "If-Match": '"v1"'},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_value"
    assert (await client.get(f"/v1/recommendations/{corpus.recs['p1'].id}")).json()["version"] == 1


async def test_a_failing_export_query_is_a_problem_not_a_cut_response(
    client: httpx.AsyncClient, corpus: Corpus
) -> None:
    for path in ("/v1/recommendations/export.csv", "/v1/recommendations/export.ndjson"):
        response = await client.get(path, params={"q": "torture\u0000"})
        assert response.status_code == 422, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_the_csv_export_runs_under_its_own_statement_timeout(
    session: AsyncSession, corpus: Corpus
) -> None:
    # One COPY for every matching row may outlast a request's statement timeout (30 s):
    # a 3,000,000-row export takes about 35 s, so it gets EXPORT_STATEMENT_TIMEOUT_MS.
    repo = RecommendationRepository(session)
    body = b"".join([c async for c in repo.export_csv(RecommendationFilter(), timeout_ms=123_000)])
    assert body.count(b"\n") == len(corpus.recs) + 1  # the header, then every row
    shown = (await session.execute(text("SHOW statement_timeout"))).scalar_one()
    assert shown == "123s"
