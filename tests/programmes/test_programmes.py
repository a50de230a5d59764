"""Programmes: CRUD, filters, pagination, ETag/If-Match, every 422 rule, scopes and
countries, and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.kernel.outbox import OutboxEvent
from tests.conftest import KeyFactory
from tests.programmes.conftest import TODAY, create, programme


async def test_partners_reference_list(client: httpx.AsyncClient) -> None:
    partners = (await client.get("/v1/partners")).json()
    codes = {p["code"] for p in partners}
    assert {
        "UNODC",
        "UNWOMEN",
        "UNDP",
        "UNICEF",
        "UNHCR",
        "UNFPA",
        "ILO",
        "WHO",
        "UNESCO",
        "OHCHR",
        "IOM",
        "UNOPS",
        "EU",
        "WB",
    } == codes
    assert {"code": "UNWOMEN", "name": "UN Women"} in partners


async def test_create_get_and_etag(
    client: httpx.AsyncClient, writer: dict[str, str], session: AsyncSession
) -> None:
    response = await client.post("/v1/programmes", json=programme(), headers=writer)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"v1"'
    assert body["status"] == "active"
    assert body["countries"] == ["PRY"]
    assert [p["code"] for p in body["partners"]] == ["UNODC", "UNWOMEN"]
    assert body["themes"] == ["A12", "D51"]
    assert body["sdg_targets"] == ["16.3", "5.2"]
    assert body["budget"] == "2500000.00"

    got = await client.get(response.headers["location"])
    assert got.json() == body
    assert (
        await client.get(response.headers["location"], headers={"If-None-Match": '"v1"'})
    ).status_code == 304
    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.entity_id == body["id"]))
    ).scalar_one()
    assert entry.action == "programme.create"
    assert entry.after is not None
    assert entry.after["partners"] == ["UNODC", "UNWOMEN"]
    # A change event for subscribers, in the same transaction.
    event = (
        await session.execute(
            select(OutboxEvent).where(OutboxEvent.event_type == "programme.updated")
        )
    ).scalar_one()
    assert event.country == "PRY"
    assert event.payload["programme_id"] == body["id"]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"end_date": "2000-01-01"}, "end_date", "before the start"),
        ({"country": "ATL"}, "country", "unknown country"),
        ({"partners": ["UNODC", "Acme Foundation"]}, "partners", "unknown partner"),
        ({"themes": ["Z99"]}, "themes", "unknown theme"),
        ({"sdg_targets": ["16.99"]}, "sdg_targets", "SDG target"),
        ({"sdg_targets": ["16"]}, "sdg_targets", "SDG target"),
        ({"mandate_id": "00000000-0000-0000-0000-000000000000"}, "mandate_id", "unknown mandate"),
        ({"country": None, "region": "Southern Cone"}, "countries", "lists the countries"),
        ({"budget": "-1"}, "budget", "negative"),
    ],
)
async def test_rules_are_422_problems(
    client: httpx.AsyncClient,
    writer: dict[str, str],
    overrides: dict[str, Any],
    field: str,
    words: str,
) -> None:
    response = await client.post("/v1/programmes", json=programme(**overrides), headers=writer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert field in {e["field"] for e in problem["errors"]}
    assert words in problem["detail"]


async def test_several_broken_rules_in_one_problem(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/programmes",
        json=programme(end_date="2000-01-01", partners=["nobody"], themes=["nothing"]),
        headers=writer,
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"end_date", "partners", "themes"}


async def test_mandate_must_cover_the_programme(
    client: httpx.AsyncClient, writer: dict[str, str], api_keys: KeyFactory
) -> None:
    mandates = await api_keys.headers("mandates:write")
    ury = await client.post(
        "/v1/mandates",
        json={
            "type": "country_office",
            "title": "Office in Uruguay",
            "country": "URY",
            "legal_basis": {"kind": "host_country_agreement", "reference": "2019"},
            "start_date": "2019-01-01",
        },
        headers=mandates,
    )
    response = await client.post(
        "/v1/programmes", json=programme(mandate_id=ury.json()["id"]), headers=writer
    )
    assert response.status_code == 422
    assert "covers URY, not PRY" in response.json()["detail"]
    ok = await client.post(
        "/v1/programmes",
        json=programme(mandate_id=ury.json()["id"], country="URY"),
        headers=writer,
    )
    assert ok.status_code == 201
    listed = await client.get("/v1/programmes", params={"mandate": ury.json()["id"]})
    assert [p["id"] for p in listed.json()["items"]] == [ok.json()["id"]]


@pytest.mark.parametrize(
    ("scopes", "countries", "body", "expected"),
    [
        (None, None, {}, 401),
        (("mandates:write",), None, {}, 403),
        (("programmes:write",), ["URY"], {}, 403),
        (("programmes:write",), ["PRY"], {}, 201),
        (("admin",), None, {}, 201),
        (
            ("programmes:write",),
            ["PRY"],
            {"country": None, "region": "Southern Cone", "countries": ["PRY", "URY"]},
            403,
        ),
        (
            ("programmes:write",),
            ["PRY", "URY"],
            {"country": None, "region": "Southern Cone", "countries": ["PRY", "URY"]},
            201,
        ),
    ],
)
async def test_authorization(
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
    scopes: tuple[str, ...] | None,
    countries: list[str] | None,
    body: dict[str, Any],
    expected: int,
) -> None:
    headers = await api_keys.headers(*scopes, countries=countries) if scopes else {}
    response = await client.post("/v1/programmes", json=programme(**body), headers=headers)
    assert response.status_code == expected, response.text


async def test_patch_flow(
    client: httpx.AsyncClient, writer: dict[str, str], api_keys: KeyFactory
) -> None:
    created = await create(client, writer)
    url = f"/v1/programmes/{created['id']}"
    missing = await client.patch(url, json={"title": "New"}, headers=writer)
    assert missing.status_code == 428
    ok = await client.patch(
        url,
        json={"title": "New title", "partners": ["undp"], "sdg_targets": ["16.a"]},
        headers={**writer, "If-Match": '"v1"'},
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"v2"'
    assert ok.json()["title"] == "New title"
    assert [p["code"] for p in ok.json()["partners"]] == ["UNDP"]
    assert ok.json()["themes"] == created["themes"]
    stale = await client.patch(url, json={"title": "x"}, headers={**writer, "If-Match": '"v1"'})
    assert stale.status_code == 412
    backwards = await client.patch(
        url, json={"end_date": "2001-01-01"}, headers={**writer, "If-Match": '"v2"'}
    )
    assert backwards.status_code == 422
    other = await api_keys.headers("programmes:write", countries=["URY"])
    denied = await client.patch(url, json={"title": "x"}, headers={**other, "If-Match": '"v2"'})
    assert denied.status_code == 403
    assert (await client.delete(url, headers=other)).status_code == 403
    assert (await client.delete(url, headers=writer)).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_filters_and_pagination(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    def days(n: int) -> str:
        return str(TODAY + dt.timedelta(days=n))

    made = {
        "police": await create(client, writer),
        "women": await create(
            client,
            writer,
            title="Ending violence against women",
            partners=["UNWOMEN"],
            themes=["F12"],
            sdg_targets=["5.2"],
            target_groups=["civil_society"],
        ),
        "old": await create(
            client,
            writer,
            title="Prison reform",
            start_date="2010-01-01",
            end_date="2014-12-31",
            partners=["UNODC"],
            themes=["D51"],
            sdg_targets=["16.3"],
        ),
        "next": await create(
            client,
            writer,
            title="Birth registration",
            start_date=days(100),
            end_date=days(900),
            partners=["UNICEF"],
            themes=[],
            sdg_targets=["16.9"],
        ),
        "regional": await create(
            client,
            writer,
            title="Southern Cone migrants",
            country=None,
            region="Southern Cone",
            countries=["PRY", "URY", "ARG"],
            partners=["IOM"],
            themes=[],
            sdg_targets=["10.7"],
        ),
    }
    names = {v["id"]: k for k, v in made.items()}

    async def found(**params: Any) -> set[str]:
        response = await client.get("/v1/programmes", params=params)
        assert response.status_code == 200, response.text
        return {names[i["id"]] for i in response.json()["items"]}

    assert await found(country="PRY") == set(made)
    assert await found(country="URY") == {"regional"}
    assert await found(status="active") == {"police", "women", "regional"}
    assert await found(status="completed") == {"old"}
    assert await found(status="planned") == {"next"}
    assert await found(partner="UNODC") == {"police", "old"}
    assert await found(partner=["UN Women", "iom"]) == {"police", "women", "regional"}
    assert await found(active_on="2012-06-01") == {"old"}
    assert await found(active_on=days(200)) == {"police", "women", "next", "regional"}
    assert await found(theme="F12") == {"women"}
    assert await found(theme="A12") == {"police"}
    assert await found(sdg="16") == {"police", "old", "next"}
    assert await found(sdg="16.9") == {"next"}
    assert await found(sdg=["5", "10.7"]) == {"police", "women", "regional"}
    assert await found(q="violence women") == {"women"}
    assert await found(q="prison reform", status="completed") == {"old"}

    bad = await client.get(
        "/v1/programmes", params={"partner": "Acme", "theme": "Z99", "sdg": "99"}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"theme", "sdg"}
    bad_partner = await client.get("/v1/programmes", params={"partner": "Acme"})
    assert bad_partner.status_code == 422
    assert "UNODC" in bad_partner.json()["detail"]
    assert (await client.get("/v1/programmes", params={"status": "x"})).status_code == 422

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "country": "PRY"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/programmes", params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == len(made)
    assert (await client.get("/v1/programmes", params={"cursor": "Zm9v"})).status_code == 400
