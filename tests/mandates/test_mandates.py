"""Mandates: CRUD, derived status and filters, pagination, ETag/If-Match, every 422 rule,
scopes and countries, renewals, deadlines and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.deadlines.models import Deadline
from shared.kernel.outbox import OutboxEvent
from tests.conftest import KeyFactory

TODAY = dt.date.today()


def mandate(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "human_rights_adviser",
        "title": "Human Rights Adviser to the UN Country Team in Paraguay",
        "country": "PRY",
        "legal_basis": {"kind": "host_country_agreement", "reference": "Exchange of letters 2010"},
        "start_date": "2010-01-01",
        "end_date": str(TODAY + dt.timedelta(days=400)),
        "funding": {
            "required": "1200000.00",
            "secured": "700000",
            "currency": "USD",
            "sources": ["Extrabudgetary", "Regular budget"],
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
async def writer(api_keys: KeyFactory) -> dict[str, str]:
    return await api_keys.headers("mandates:write", name="OHCHR field ops")


async def test_create_get_and_etag(
    client: httpx.AsyncClient, writer: dict[str, str], session: AsyncSession
) -> None:
    created = await client.post("/v1/mandates", json=mandate(), headers=writer)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["etag"] == '"v1"'
    assert body["status"] == "active"
    assert body["countries"] == ["PRY"]
    assert body["funding"]["gap"] == "500000.00"
    assert body["funding"]["sources"] == ["Extrabudgetary", "Regular budget"]
    assert body["renewals"] == []

    got = await client.get(created.headers["location"])
    assert got.status_code == 200
    assert got.json() == body
    cached = await client.get(created.headers["location"], headers={"If-None-Match": '"v1"'})
    assert cached.status_code == 304

    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.entity_id == body["id"]))
    ).scalar_one()
    assert entry.action == "mandate.create"
    assert entry.actor == "OHCHR field ops"

    regions = await client.post(
        "/v1/mandates",
        json=mandate(country=None, region="Southern Cone", countries=["PRY", "URY"]),
        headers=writer,
    )
    events = (
        await session.execute(
            select(OutboxEvent.country).where(OutboxEvent.event_type == "mandate.updated")
        )
    ).scalars()
    # One change event per covered country, for subscribers filtering on a country.
    assert sorted(str(e) for e in events) == ["PRY", "PRY", "URY"]
    assert regions.json()["countries"] == ["PRY", "URY"]

    # Its end date became a deadline.
    deadline = (
        await session.execute(select(Deadline).where(Deadline.subject_id == body["id"]))
    ).scalar_one()
    assert deadline.kind == "mandate_end"
    assert deadline.due_date == TODAY + dt.timedelta(days=400)
    assert deadline.country == "PRY"


async def test_unknown_mandate_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/mandates/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"end_date": "2009-12-31"}, "end_date", "before the start"),
        (
            {"funding": {"required": "10", "secured": "-1", "currency": "USD"}},
            "funding.secured",
            "negative",
        ),
        ({"country": "XXX"}, "country", "unknown country"),
        (
            {"country": None, "region": "Central America", "countries": ["GTM", "ZZZ"]},
            "countries",
            "unknown country",
        ),
        ({"country": None, "region": "Central America"}, "countries", "lists the countries"),
        ({"region": "Central America", "countries": ["GTM"]}, "region", "not both"),
        ({"country": None}, "country", "give a country"),
        ({"renewal_due_on": "2000-01-01"}, "renewal_due_on", "before the mandate starts"),
    ],
)
async def test_rules_are_422_problems(
    client: httpx.AsyncClient,
    writer: dict[str, str],
    overrides: dict[str, Any],
    field: str,
    words: str,
) -> None:
    response = await client.post("/v1/mandates", json=mandate(**overrides), headers=writer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert field in {e["field"] for e in problem["errors"]}
    assert words in problem["detail"]


async def test_bad_shapes_are_422(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    response = await client.post(
        "/v1/mandates",
        json=mandate(type="embassy", legal_basis={"kind": "treaty", "reference": ""}, extra=1),
        headers=writer,
    )
    assert response.status_code == 422
    assert {"type", "legal_basis.kind", "legal_basis.reference", "extra"} <= {
        e["field"] for e in response.json()["errors"]
    }


async def test_patch_flow(
    client: httpx.AsyncClient, writer: dict[str, str], session: AsyncSession
) -> None:
    created = (await client.post("/v1/mandates", json=mandate(), headers=writer)).json()
    url = f"/v1/mandates/{created['id']}"
    change = {"funding": {"secured": "1200000"}, "title": "HRA Paraguay"}

    missing = await client.patch(url, json=change, headers=writer)
    assert missing.status_code == 428
    assert missing.json()["code"] == "if_match_required"

    ok = await client.patch(url, json=change, headers={**writer, "If-Match": '"v1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"v2"'
    assert ok.json()["funding"] == {
        "required": "1200000.00",
        "secured": "1200000.00",
        "gap": "0.00",
        "currency": "USD",
        "sources": ["Extrabudgetary", "Regular budget"],
    }
    assert ok.json()["title"] == "HRA Paraguay"

    stale = await client.patch(url, json={"title": "x"}, headers={**writer, "If-Match": '"v1"'})
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"

    negative = await client.patch(
        url, json={"funding": {"secured": "-5"}}, headers={**writer, "If-Match": '"v2"'}
    )
    assert negative.status_code == 422
    assert negative.json()["errors"][0]["field"] == "funding.secured"
    backwards = await client.patch(
        url, json={"end_date": "2001-01-01"}, headers={**writer, "If-Match": '"v2"'}
    )
    assert backwards.status_code == 422
    cleared = await client.patch(
        url, json={"end_date": None}, headers={**writer, "If-Match": '"v2"'}
    )
    assert cleared.status_code == 200
    assert cleared.json()["end_date"] is None
    # No end date, no end deadline.
    assert (
        await session.execute(select(Deadline).where(Deadline.subject_id == created["id"]))
    ).first() is None

    entries = (
        (await session.execute(select(AuditEntry).where(AuditEntry.entity_id == created["id"])))
        .scalars()
        .all()
    )
    assert [e.action for e in entries] == ["mandate.create", "mandate.update", "mandate.update"]
    assert entries[1].before is not None
    assert entries[1].before["title"] == created["title"]


@pytest.mark.parametrize(
    ("scopes", "countries", "body", "expected"),
    [
        (None, None, {}, 401),
        (("programmes:write",), None, {}, 403),
        (("mandates:write",), ["URY"], {}, 403),
        (("mandates:write",), ["PRY"], {}, 201),
        (("admin",), None, {}, 201),
        # A regional mandate needs every covered country.
        (
            ("mandates:write",),
            ["GTM"],
            {"country": None, "region": "Central America", "countries": ["GTM", "HND"]},
            403,
        ),
        (
            ("mandates:write",),
            ["GTM", "HND"],
            {"country": None, "region": "Central America", "countries": ["GTM", "HND"]},
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
    response = await client.post("/v1/mandates", json=mandate(**body), headers=headers)
    assert response.status_code == expected, response.text


async def test_country_limited_key_cannot_move_a_mandate_away(
    client: httpx.AsyncClient, api_keys: KeyFactory
) -> None:
    headers = await api_keys.headers("mandates:write", countries=["PRY"])
    created = (await client.post("/v1/mandates", json=mandate(), headers=headers)).json()
    response = await client.patch(
        f"/v1/mandates/{created['id']}",
        json={"country": "URY"},
        headers={**headers, "If-Match": '"v1"'},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "country_not_allowed"


async def test_status_filters_and_pagination(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    def days(n: int) -> str:
        return str(TODAY + dt.timedelta(days=n))

    bodies = {
        "planned": mandate(title="Planned office", start_date=days(30), end_date=days(800)),
        "active": mandate(title="Open-ended adviser", end_date=None),
        "expiring": mandate(title="Expiring office", end_date=days(20)),
        "expired": mandate(title="Closed office", start_date="2001-01-01", end_date=days(-10)),
        "regional": mandate(
            type="regional_office",
            title="Regional Office for South America",
            country=None,
            region="South America",
            countries=["PRY", "URY", "ARG"],
            legal_basis={"kind": "hrc_resolution", "reference": "A/HRC/RES/52/2"},
            start_date="2009-06-01",
        ),
        "other": mandate(title="Country office Uruguay", country="URY", type="country_office"),
    }
    ids = {}
    for key, body in bodies.items():
        response = await client.post("/v1/mandates", json=body, headers=writer)
        assert response.status_code == 201, response.text
        ids[key] = response.json()["id"]
        if key in ("planned", "active", "expiring", "expired"):
            assert response.json()["status"] == key

    async def found(**params: Any) -> set[str]:
        response = await client.get("/v1/mandates", params=params)
        assert response.status_code == 200, response.text
        by_id = {v: k for k, v in ids.items()}
        return {by_id[i["id"]] for i in response.json()["items"]}

    assert await found(status="expiring") == {"expiring"}
    assert await found(status="expired") == {"expired"}
    assert await found(status="planned") == {"planned"}
    assert await found(status="active", country="PRY") == {"active", "regional"}
    assert await found(status=["expired", "planned"]) == {"expired", "planned"}
    assert await found(country="URY") == {"regional", "other"}
    assert await found(active_on="2005-01-01") == {"expired"}
    assert await found(active_on=days(60), country="PRY") == {
        "planned",
        "active",
        "regional",
    }
    assert await found(type="regional_office") == {"regional"}
    assert await found(q="regional south america") == {"regional"}
    assert await found(q="A/HRC/RES/52/2") == {"regional"}

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await client.get("/v1/mandates", params=params)
        assert page.status_code == 200
        seen += [i["id"] for i in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            assert "link" not in page.headers
            break
        assert 'rel="next"' in page.headers["link"]
    assert sorted(seen) == sorted(ids.values())
    assert len(seen) == len(set(seen))

    starts = [i["start_date"] for i in (await client.get("/v1/mandates")).json()["items"]]
    assert starts == sorted(starts)


async def test_bad_filters(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/mandates", params={"country": "XXX", "status": "dormant"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"status"}
    response = await client.get("/v1/mandates", params={"country": "XXX"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "country"
    assert (await client.get("/v1/mandates", params={"cursor": "nope"})).status_code == 400


async def test_expiring_window_is_configurable(
    client: httpx.AsyncClient, writer: dict[str, str], app: Any
) -> None:
    body = mandate(end_date=str(TODAY + dt.timedelta(days=120)))
    created = (await client.post("/v1/mandates", json=body, headers=writer)).json()
    assert created["status"] == "active"
    app.state.settings = app.state.settings.model_copy(update={"mandate_expiring_days": 180})
    again = await client.get(f"/v1/mandates/{created['id']}")
    assert again.json()["status"] == "expiring"


async def test_renewals(
    client: httpx.AsyncClient, writer: dict[str, str], session: AsyncSession
) -> None:
    end = TODAY + dt.timedelta(days=30)
    created = (
        await client.post(
            "/v1/mandates",
            json=mandate(end_date=str(end), renewal_due_on=str(TODAY + dt.timedelta(days=10))),
            headers=writer,
        )
    ).json()
    url = f"/v1/mandates/{created['id']}"
    kinds = {
        d.kind: d.due_date
        for d in (
            await session.execute(select(Deadline).where(Deadline.subject_id == created["id"]))
        ).scalars()
    }
    assert kinds == {"mandate_end": end, "mandate_renewal": TODAY + dt.timedelta(days=10)}

    shorter = await client.post(
        f"{url}/renewals", json={"new_end": str(end - dt.timedelta(days=1))}, headers=writer
    )
    assert shorter.status_code == 422
    assert shorter.json()["errors"][0]["field"] == "new_end"

    new_end = TODAY + dt.timedelta(days=730)
    renewed = await client.post(
        f"{url}/renewals",
        json={
            "new_end": str(new_end),
            "legal_basis_reference": "Exchange of letters 2026",
            "next_renewal_due_on": str(new_end - dt.timedelta(days=60)),
        },
        headers={**writer, "If-Match": '"v1"'},
    )
    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert body["end_date"] == str(new_end)
    assert body["version"] == 2
    assert renewed.headers["etag"] == '"v2"'
    assert body["status"] == "active"
    assert [(r["previous_end"], r["new_end"]) for r in body["renewals"]] == [
        (str(end), str(new_end))
    ]
    session.expire_all()
    kinds = {
        d.kind: d.due_date
        for d in (
            await session.execute(select(Deadline).where(Deadline.subject_id == created["id"]))
        ).scalars()
    }
    assert kinds == {"mandate_end": new_end, "mandate_renewal": new_end - dt.timedelta(days=60)}

    stale = await client.post(
        f"{url}/renewals",
        json={"new_end": str(new_end + dt.timedelta(days=1))},
        headers={**writer, "If-Match": '"v1"'},
    )
    assert stale.status_code == 412


async def test_delete(
    client: httpx.AsyncClient,
    writer: dict[str, str],
    api_keys: KeyFactory,
    session: AsyncSession,
) -> None:
    created = (await client.post("/v1/mandates", json=mandate(), headers=writer)).json()
    url = f"/v1/mandates/{created['id']}"
    programmes = await api_keys.headers("programmes:write")
    programme = await client.post(
        "/v1/programmes",
        json={
            "title": "Justice sector support",
            "country": "PRY",
            "mandate_id": created["id"],
            "start_date": "2024-01-01",
            "end_date": "2027-12-31",
        },
        headers=programmes,
    )
    assert programme.status_code == 201, programme.text
    in_use = await client.delete(url, headers=writer)
    assert in_use.status_code == 409
    assert in_use.json()["code"] == "mandate_in_use"

    await client.delete(f"/v1/programmes/{programme.json()['id']}", headers=programmes)
    assert (await client.delete(url, headers={**writer, "If-Match": '"v9"'})).status_code == 412
    assert (await client.delete(url, headers=writer)).status_code == 204
    assert (await client.get(url)).status_code == 404
    assert (
        await session.execute(select(Deadline).where(Deadline.subject_id == created["id"]))
    ).first() is None
