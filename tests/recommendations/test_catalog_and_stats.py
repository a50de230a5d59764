"""Countries, mechanisms, documents, taxonomies and progress statistics."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations.models import ImplementationUpdate
from tests.recommendations.conftest import Corpus


async def test_countries(client: httpx.AsyncClient, corpus: Corpus) -> None:
    countries = (await client.get("/v1/countries")).json()
    assert len(countries) == 195
    grulac = (await client.get("/v1/countries", params={"regional_group": "GRULAC"})).json()
    assert len(grulac) == 33
    assert all(c["regional_group"] == "GRULAC" for c in grulac)
    pry = (await client.get("/v1/countries/pry")).json()
    assert pry["name"] == "Paraguay"
    assert pry["recommendations"] == 4
    assert pry["documents"] == 2
    assert pry["by_position"] == {"supported": 3, "noted": 1}
    assert pry["by_status"]["implemented"] == 1
    missing = await client.get("/v1/countries/XXX")
    assert missing.status_code == 404
    bad_group = await client.get("/v1/countries", params={"regional_group": "EU"})
    assert bad_group.status_code == 422


async def test_mechanisms_and_taxonomies(client: httpx.AsyncClient) -> None:
    codes = {m["code"] for m in (await client.get("/v1/mechanisms")).json()}
    assert {
        "UPR",
        "CCPR",
        "CESCR",
        "CAT",
        "SPT",
        "CRC",
        "CEDAW",
        "CERD",
        "CMW",
        "CRPD",
        "CED",
    } <= codes
    themes = (await client.get("/v1/taxonomies/themes")).json()
    assert {
        "code": "A12",
        "name": "Acceptance of international norms",
        "level": 3,
        "parent_code": "A1",
    } in themes
    persons = (await client.get("/v1/taxonomies/affected-persons")).json()
    assert any(p["name"] == "Children" for p in persons)
    targets = (await client.get("/v1/taxonomies/sdg-targets")).json()
    assert len(targets) == 169
    goal16 = (await client.get("/v1/taxonomies/sdg-targets", params={"goal": 16})).json()
    assert [t["target"] for t in goal16][:3] == ["16.1", "16.2", "16.3"]


async def test_documents(client: httpx.AsyncClient, corpus: Corpus) -> None:
    page = (await client.get("/v1/documents", params={"limit": 2})).json()
    assert [d["symbol"] for d in page["items"]] == ["A/HRC/48/9", "A/HRC/47/15"]
    rest = (
        await client.get("/v1/documents", params={"limit": 2, "cursor": page["next_cursor"]})
    ).json()
    assert [d["symbol"] for d in rest["items"]] == ["A/HRC/32/9"]
    assert rest["next_cursor"] is None
    only = (await client.get("/v1/documents", params={"country": "URY"})).json()["items"]
    assert [d["symbol"] for d in only] == ["A/HRC/47/15"]
    detail = await client.get(f"/v1/documents/{urllib.parse.quote('A/HRC/48/9', safe='')}")
    assert detail.status_code == 200
    assert detail.json()["recommendations"] == 3
    by_id = await client.get(f"/v1/documents/{corpus.ury.id}")
    assert by_id.json()["symbol"] == "A/HRC/47/15"
    assert (await client.get("/v1/documents", params={"kind": "novel"})).status_code == 422
    assert (await client.get("/v1/documents/A%2FHRC%2F1%2F1")).status_code == 404


async def test_progress(client: httpx.AsyncClient, corpus: Corpus, session: AsyncSession) -> None:
    rec = corpus.recs["p1"]
    for status, day in (
        ("not_started", dt.date(2024, 1, 10)),
        ("implemented", dt.date(2024, 3, 5)),
    ):
        session.add(
            ImplementationUpdate(
                recommendation_id=rec.id,
                status=status,
                narrative="n",
                source="government",
                reported_on=day,
                evidence_links=[],
            )
        )
    await session.commit()
    body = (await client.get("/v1/stats/progress", params={"country": "PRY"})).json()
    assert body["total"] == 4
    assert body["supported"] == 3
    matrix = {(c["position"], c["status"]): c["count"] for c in body["by_position_status"]}
    assert matrix[("supported", "implemented")] == 1
    # Of 3 supported: "old" is implemented (p1's row status is not changed by raw inserts).
    assert body["share_implemented"] == round(1 / 3, 4)
    theme = {t["value"]: t for t in body["by_theme"]}["A12"]
    assert theme == {
        "value": "A12",
        "total": 2,
        "supported": 2,
        "implemented": 1,
        "share_implemented": 0.5,
    }
    months = {m["month"]: m["counts"] for m in body["over_time"]}
    assert months["2024-01"]["not_started"] == 1
    assert months["2024-02"]["not_started"] == 1
    assert months["2024-03"]["implemented"] == 1
    assert months["2024-03"]["not_started"] == 0
    assert months["2024-03"]["no_information"] == 3
    cycle2 = (await client.get("/v1/stats/progress", params={"country": "PRY", "cycle": 2})).json()
    assert cycle2["total"] == 1
    assert (await client.get("/v1/stats/progress", params={"country": "ZZZ"})).status_code == 422
