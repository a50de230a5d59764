"""Independent assessments beside the government's status, never replacing it; each
organisation writes only its own; statistics split by source."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import KeyFactory
from tests.people.conftest import Credentials, World


async def test_nhri_assessment_beside_government_status(
    oidc_client: httpx.AsyncClient, credentials: Credentials, world: World, api_keys: KeyFactory
) -> None:
    rec = world.justice_rec.id
    key = await api_keys.headers("recommendations:write", countries=["PRY"])
    await oidc_client.post(
        f"/v1/recommendations/{rec}/updates",
        json={"status": "implemented", "narrative": "Done.", "source": "government"},
        headers=key,
    )
    before = await oidc_client.get(f"/v1/recommendations/{rec}")
    nhri = await credentials("nhri", institution=str(world.nhri.id))
    created = await oidc_client.post(
        "/v1/assessments",
        json={
            "recommendation_id": str(rec),
            "status": "partially_implemented",
            "narrative": "The law passed; no budget yet.",
            "evidence_links": ["https://example.org/nhri-report"],
            "assessed_on": "2026-11-30",
        },
        headers=nhri,
    )
    assert created.status_code == 201, created.text
    assert (created.json()["source"], created.json()["organisation"]) == (
        "nhri",
        "Defensoría del Pueblo",
    )
    item = await oidc_client.get(f"/v1/recommendations/{rec}")
    body = item.json()
    assert body["status"] == "implemented"  # the government's, untouched
    assert [(a["status"], a["organisation"]) for a in body["assessments"]["nhri"]] == [
        ("partially_implemented", "Defensoría del Pueblo")
    ]
    assert item.headers["etag"] != before.headers["etag"]
    listed = await oidc_client.get("/v1/assessments?country=PRY&source=nhri")
    assert [a["id"] for a in listed.json()["items"]] == [created.json()["id"]]
    assert (await oidc_client.get("/v1/assessments?source=civil_society")).json()["items"] == []
    stats = (await oidc_client.get("/v1/assessments/stats?country=PRY")).json()
    by_source = {s["source"]: s["by_status"] for s in stats["sources"]}
    assert by_source["government"] == {"implemented": 1, "no_information": 1}
    assert by_source["nhri"] == {"partially_implemented": 1}
    assert by_source["civil_society"] == {} == by_source["un"]


async def test_each_organisation_writes_only_its_own(
    oidc_client: httpx.AsyncClient,
    credentials: Credentials,
    world: World,
    session: AsyncSession,
    api_keys: KeyFactory,
) -> None:
    nhri = await credentials("nhri", institution=str(world.nhri.id))
    ngo = await credentials("civil_society", institution=str(world.ngo.id))
    focal = await credentials("focal_point", country="PRY", institution="Ministry of Justice")
    coordinator = await credentials("coordinator", country="PRY")
    body = {
        "recommendation_id": str(world.justice_rec.id),
        "status": "not_started",
        "narrative": "n",
    }
    ury = {**body, "recommendation_id": str(world.ury_rec.id)}
    for caller, payload, code in (
        (nhri, ury, "not_assessor"),
        (focal, body, "not_allowed"),
        (coordinator, body, "not_allowed"),
        (nhri, {**body, "source": "un"}, "not_allowed"),
    ):
        answer = await oidc_client.post("/v1/assessments", json=payload, headers=caller)
        assert (answer.status_code, answer.json()["code"]) == (403, code), answer.text
    assert (await session.execute(text("SELECT count(*) FROM assessments"))).scalar_one() == 0

    mine = (await oidc_client.post("/v1/assessments", json=body, headers=nhri)).json()
    url = f"/v1/assessments/{mine['id']}"
    snapshot = (
        await session.execute(text("SELECT status, narrative, version FROM assessments"))
    ).all()
    refused = await oidc_client.patch(
        url, json={"status": "implemented"}, headers={**ngo, "If-Match": '"v1"'}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not_own_assessment")
    assert (await oidc_client.delete(url, headers=ngo)).status_code == 403
    assert (
        await session.execute(text("SELECT status, narrative, version FROM assessments"))
    ).all() == snapshot
    changed = await oidc_client.patch(
        url, json={"status": "in_progress"}, headers={**nhri, "If-Match": '"v1"'}
    )
    assert changed.json()["status"] == "in_progress"
    # The civil-society organisation publishes its own, beside the NHRI's.
    assert (await oidc_client.post("/v1/assessments", json=body, headers=ngo)).status_code == 201
    # Admins record the UN's.
    un = await oidc_client.post(
        "/v1/assessments",
        json={**body, "source": "un", "organisation": "OHCHR"},
        headers=await api_keys.headers("admin"),
    )
    assert un.json()["source"] == "un"
    item = (await oidc_client.get(f"/v1/recommendations/{world.justice_rec.id}")).json()
    assert sorted(item["assessments"]) == ["civil_society", "nhri", "un"]
    assert (await oidc_client.delete(url, headers=nhri)).status_code == 204
