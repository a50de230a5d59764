"""Institutions: CRUD with ETag/If-Match, scoped writes, owners of recommendations (with
the denormalized names), and the all-or-nothing CSV import."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.auth.schemas import OPERATOR
from shared.institutions import service as institutions
from shared.institutions.models import Institution, RecommendationInstitution
from tests.conftest import KeyFactory
from tests.institutions.world import World


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, kind: str = "ministry"
) -> dict[str, object]:
    response = await client.post(
        "/v1/institutions", json={"country": "PRY", "name": name, "kind": kind}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_get_patch_with_etag(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["PRY"], name="SIMORE")
    created = await client.post(
        "/v1/institutions",
        json={"country": "pry", "name": "  Ministry  of Women ", "kind": "ministry"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"v1"'
    body = created.json()
    assert (body["country"], body["name"], body["kind"]) == ("PRY", "Ministry of Women", "ministry")
    url = created.headers["location"]
    assert (await client.get(url)).json() == body
    assert (await client.get(url, headers={"If-None-Match": '"v1"'})).status_code == 304

    duplicate = await client.post(
        "/v1/institutions", json={"country": "PRY", "name": "Ministry of Women"}, headers=headers
    )
    assert duplicate.status_code == 409

    missing = await client.patch(url, json={"acronym": "MINMUJER"}, headers=headers)
    assert missing.status_code == 428
    ok = await client.patch(
        url, json={"acronym": "MINMUJER"}, headers={**headers, "If-Match": '"v1"'}
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"v2"'
    stale = await client.patch(
        url, json={"kind": "agency"}, headers={**headers, "If-Match": '"v1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"

    actions = (
        (
            await session.execute(
                select(AuditEntry.action)
                .where(AuditEntry.entity_id == body["id"])
                .order_by(AuditEntry.id)
            )
        )
        .scalars()
        .all()
    )
    assert actions == ["institution.create", "institution.update"]


@pytest.mark.parametrize(
    ("scopes", "countries", "expected"),
    [
        (None, None, 401),
        (("programmes:write",), None, 403),
        (("recommendations:write",), ["URY"], 403),
        (("recommendations:write",), ["PRY"], 201),
        (("admin",), None, 201),
    ],
)
async def test_create_is_scoped_to_the_country(
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
    scopes: tuple[str, ...] | None,
    countries: list[str] | None,
    expected: int,
) -> None:
    headers = await api_keys.headers(*scopes, countries=countries) if scopes else {}
    response = await client.post(
        "/v1/institutions", json={"country": "PRY", "name": "Senate"}, headers=headers
    )
    assert response.status_code == expected, response.text


async def test_list_filters_and_keyset_pages(
    client: httpx.AsyncClient, api_keys: KeyFactory
) -> None:
    headers = await api_keys.headers("admin")
    for name in ("Supreme Court", "Ombudsman", "Ministry of Justice", "Senate"):
        kind = {"Supreme Court": "judiciary", "Ombudsman": "nhri"}.get(name, "ministry")
        await _create(client, headers, name, kind)
    await client.post(
        "/v1/institutions",
        json={"country": "URY", "name": "INDDHH", "kind": "nhri"},
        headers=headers,
    )
    seen: list[str] = []
    params: dict[str, str | int] = {"country": "PRY", "limit": 3}
    while True:
        page = await client.get("/v1/institutions", params=params)
        assert page.status_code == 200
        seen += [i["name"] for i in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        assert 'rel="next"' in page.headers["link"]
        params["cursor"] = cursor
    assert seen == ["Ministry of Justice", "Ombudsman", "Senate", "Supreme Court"]
    nhri = await client.get("/v1/institutions", params={"kind": "nhri"})
    assert [i["name"] for i in nhri.json()["items"]] == ["Ombudsman", "INDDHH"]
    assert (await client.get("/v1/institutions", params={"kind": "church"})).status_code == 422
    assert (await client.get("/v1/institutions", params={"country": "XXX"})).status_code == 422
    bad = await client.get("/v1/institutions", params={"cursor": "nope"})
    assert bad.status_code == 400


async def test_owners_refresh_the_denormalized_names(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World, session: AsyncSession
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    justice = await _create(client, headers, "Ministry of Justice")
    police = await _create(client, headers, "National Police", "agency")
    rec = world.recs["women"]
    url = f"/v1/recommendations/{rec.id}/institutions"
    body = {"institution_ids": [police["id"], justice["id"]]}

    assert (await client.put(url, json=body, headers=headers)).status_code == 428
    ok = await client.put(url, json=body, headers={**headers, "If-Match": '"v1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"v2"'
    assert [i["name"] for i in ok.json()] == ["Ministry of Justice", "National Police"]

    detail = (await client.get(f"/v1/recommendations/{rec.id}")).json()
    assert detail["institutions"] == ["National Police", "Ministry of Justice"]
    assert detail["version"] == 2
    found = await client.get("/v1/recommendations", params={"institution": "National Police"})
    assert [i["ref"] for i in found.json()["items"]] == [rec.ref]
    assert (await client.get(url)).json() == ok.json()

    # A stale version, or an institution of another State, changes nothing.
    stale = await client.put(
        url, json={"institution_ids": []}, headers={**headers, "If-Match": '"v1"'}
    )
    assert stale.status_code == 412
    admin = await api_keys.headers("admin")
    foreign = await client.post(
        "/v1/institutions", json={"country": "URY", "name": "INDDHH"}, headers=admin
    )
    wrong = await client.put(
        url,
        json={"institution_ids": [foreign.json()["id"]]},
        headers={**headers, "If-Match": '"v2"'},
    )
    assert wrong.status_code == 422
    assert "belongs to URY" in wrong.json()["errors"][0]["message"]

    # Renaming an institution renames it on the recommendations it owns.
    renamed = await client.patch(
        f"/v1/institutions/{police['id']}",
        json={"name": "Paraguayan National Police"},
        headers={**headers, "If-Match": '"v1"'},
    )
    assert renamed.status_code == 200, renamed.text
    detail = (await client.get(f"/v1/recommendations/{rec.id}")).json()
    assert detail["institutions"] == ["Paraguayan National Police", "Ministry of Justice"]
    assert detail["version"] == 3
    links = await session.scalar(
        select(func.count())
        .select_from(RecommendationInstitution)
        .where(RecommendationInstitution.recommendation_id == rec.id)
    )
    assert links == 2


async def test_owners_of_another_countrys_recommendation_are_forbidden(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["URY"])
    response = await client.put(
        f"/v1/recommendations/{world.recs['women'].id}/institutions",
        json={"institution_ids": []},
        headers={**headers, "If-Match": '"v1"'},
    )
    assert response.status_code == 403


CSV_OK = (
    "name,kind,acronym\n"
    "Ministry of Justice,ministry,MJ\n"
    "Defensoría del Pueblo,NHRI,\n"
    "\n"
    "Senate,parliament,\n"
).encode()


async def test_csv_import(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    headers = {
        **await api_keys.headers("recommendations:write", countries=["PRY"]),
        "Content-Type": "text/csv",
    }
    first = await client.post(
        "/v1/institutions/import", params={"country": "PRY"}, content=CSV_OK, headers=headers
    )
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    again = await client.post(
        "/v1/institutions/import",
        params={"country": "PRY"},
        content=b"name,kind\nministry of justice,ministry\nSenate,judiciary\n",
        headers=headers,
    )
    assert again.json() == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1}
    names = (
        await session.execute(
            select(Institution.name, Institution.kind)
            .where(Institution.country == "PRY")
            .order_by(Institution.name)
        )
    ).all()
    assert [tuple(n) for n in names] == [
        ("Defensoría del Pueblo", "nhri"),
        ("Ministry of Justice", "ministry"),
        ("Senate", "judiciary"),
    ]
    forbidden = await client.post(
        "/v1/institutions/import", params={"country": "URY"}, content=CSV_OK, headers=headers
    )
    assert forbidden.status_code == 403


async def test_csv_import_updates_an_institution_changed_meanwhile(
    session: AsyncSession,
) -> None:
    """An institution that changed after this session read it is still updated (read
    again, locked), not reported and audited as updated while nothing was written."""
    row = Institution(id=uuid.uuid4(), country="PRY", name="Senate", kind="parliament", version=1)
    session.add(row)
    await session.flush()
    # Another writer changes it; this session still holds version 1.
    await session.execute(
        text("UPDATE institutions SET version = version + 1 WHERE id = :id"), {"id": row.id}
    )
    report = await institutions.import_institutions(
        session, OPERATOR, "PRY", b"name,kind\nSenate,judiciary\n"
    )
    assert (report.updated, report.unchanged) == (1, 0)
    kind = await session.scalar(
        text("SELECT kind FROM institutions WHERE id = :id"), {"id": row.id}
    )
    assert kind == "judiciary"


async def test_csv_import_as_a_form(client: httpx.AsyncClient, api_keys: KeyFactory) -> None:
    """The same file as the `file` part of a multipart form (what browsers and generated
    clients send); a form without it, or a broken one, is a problem, never a 500."""
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    url = "/v1/institutions/import"
    form = await client.post(
        url,
        params={"country": "PRY"},
        files={"file": ("institutions.csv", CSV_OK, "text/csv")},
        headers=headers,
    )
    assert form.status_code == 200, form.text
    assert form.json() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    missing = await client.post(
        url, params={"country": "PRY"}, data={"other": "x"}, files={"x": b""}, headers=headers
    )
    assert (missing.status_code, missing.json()["code"]) == (422, "file_required")
    broken = await client.post(
        url,
        params={"country": "PRY"},
        content=b"--nope\r\n",
        headers={**headers, "Content-Type": "multipart/form-data"},
    )
    assert broken.status_code == 400
    assert broken.headers["content-type"] == "application/problem+json"


async def test_csv_import_is_all_or_nothing(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    headers = {**await api_keys.headers("admin"), "Content-Type": "text/csv"}
    body = (
        b"name,kind\n"
        b"Ministry of Justice,ministry\n"
        b"Ministry of Health,ministery\n"  # row 3: a typo in the kind
        b"Senate,parliament\n"
    )
    response = await client.post(
        "/v1/institutions/import", params={"country": "PRY"}, content=body, headers=headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "csv_invalid"
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(3, "kind")]
    assert "ministery" in problem["errors"][0]["message"]
    assert await session.scalar(select(func.count()).select_from(Institution)) == 0


@pytest.mark.parametrize(
    ("body", "row", "fragment"),
    [
        (b"kind\nministry\n", 1, "missing column 'name'"),
        (b"name,colour\nSenate,red\n", 1, "unknown column"),
        (b"name\n", 2, "no data rows"),
        (b"name\nSenate\nsenate\n", 3, "already appears on row 2"),
        (b"name\n\xff\xfe\n", 1, "UTF-8"),
        (b"name,kind\nSenate,parliament,extra\n", 2, "cells"),
    ],
)
async def test_csv_import_reports_rows(
    client: httpx.AsyncClient, api_keys: KeyFactory, body: bytes, row: int, fragment: str
) -> None:
    headers = {**await api_keys.headers("admin"), "Content-Type": "text/csv"}
    response = await client.post(
        "/v1/institutions/import", params={"country": "PRY"}, content=body, headers=headers
    )
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["row"] == row
    assert fragment in error["message"]


async def test_nul_characters_are_422_not_500(
    client: httpx.AsyncClient, api_keys: KeyFactory
) -> None:
    headers = await api_keys.headers("admin")
    body = {"country": "PRY", "name": "Senate\u0000"}
    assert (await client.post("/v1/institutions", json=body, headers=headers)).status_code == 422
    csv_body = {**headers, "Content-Type": "text/csv"}
    imported = await client.post(
        "/v1/institutions/import",
        params={"country": "PRY"},
        content=b"name\nA\x00\n",
        headers=csv_body,
    )
    assert imported.status_code == 422
    assert (await client.get("/v1/institutions", params={"q": "a\u0000"})).status_code == 422
