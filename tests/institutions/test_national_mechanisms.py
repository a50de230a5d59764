"""National mechanisms: members, reporting calendar, and focal points that only keys
allowed to see personal data ever get (never public reads, exports or the audit log)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from tests.conftest import KeyFactory

CONTACT = "maria.gonzalez@mre.gov.py"


async def _mechanism(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, object]:
    mre = await client.post(
        "/v1/institutions",
        json={"country": "PRY", "name": "Ministry of Foreign Affairs", "kind": "ministry"},
        headers=headers,
    )
    dp = await client.post(
        "/v1/institutions",
        json={"country": "PRY", "name": "Defensoría del Pueblo", "kind": "nhri"},
        headers=headers,
    )
    response = await client.post(
        "/v1/national-mechanisms",
        json={
            "country": "PRY",
            "name": "Red de Derechos Humanos del Poder Ejecutivo",
            "legal_basis": "Decreto 2290/2009",
            "established_on": "2009-06-19",
            "member_institution_ids": [mre.json()["id"], dp.json()["id"]],
            "focal_points": [
                {
                    "name": "María González",
                    "role": "Coordinator",
                    "contact": CONTACT,
                    "institution_id": mre.json()["id"],
                }
            ],
            "reporting_calendar": [
                {"label": "UPR mid-term report", "due_date": "2024-07-01"},
                {"label": "CAT periodic report", "due_date": "2023-12-01"},
            ],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_mechanism_with_members_and_calendar(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    writer = await api_keys.headers(
        "recommendations:write", "personal_data:read", countries=["PRY"]
    )
    created = await _mechanism(client, writer)
    assert [m["name"] for m in created["members"]] == [  # type: ignore[attr-defined]
        "Defensoría del Pueblo",
        "Ministry of Foreign Affairs",
    ]
    assert [e["label"] for e in created["reporting_calendar"]] == [  # type: ignore[attr-defined]
        "CAT periodic report",
        "UPR mid-term report",
    ]
    url = f"/v1/national-mechanisms/{created['id']}"
    again = await client.post(
        "/v1/national-mechanisms", json={"country": "PRY", "name": "Another"}, headers=writer
    )
    assert again.status_code == 409

    assert (await client.patch(url, json={"name": "Red DDHH"}, headers=writer)).status_code == 428
    patched = await client.patch(
        url, json={"name": "Red DDHH", "focal_points": []}, headers={**writer, "If-Match": '"v1"'}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["focal_points"] == []
    assert patched.headers["etag"] == '"v2"'
    stale = await client.patch(url, json={"name": "X"}, headers={**writer, "If-Match": '"v1"'})
    assert stale.status_code == 412

    listed = await client.get("/v1/national-mechanisms", params={"country": "PRY"})
    assert [m["name"] for m in listed.json()["items"]] == ["Red DDHH"]

    uruguay = await api_keys.headers("recommendations:write", countries=["URY"])
    assert (
        await client.patch(url, json={"name": "X"}, headers={**uruguay, "If-Match": '"v2"'})
    ).status_code == 403


@pytest.mark.parametrize(
    ("scopes", "countries", "sees"),
    [
        (None, None, False),  # public read
        (("recommendations:write",), ["PRY"], False),  # may write, but no personal data
        (("personal_data:read",), ["URY"], False),  # personal data, other country
        (("personal_data:read",), ["PRY"], True),
        (("personal_data:read", "recommendations:write"), None, True),
        (("admin",), None, True),
    ],
)
async def test_focal_points_only_for_keys_allowed_to_see_them(
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
    scopes: tuple[str, ...] | None,
    countries: list[str] | None,
    sees: bool,
) -> None:
    created = await _mechanism(client, await api_keys.headers("admin"))
    headers = await api_keys.headers(*scopes, countries=countries) if scopes else {}
    detail = await client.get(f"/v1/national-mechanisms/{created['id']}", headers=headers)
    listed = await client.get("/v1/national-mechanisms", headers=headers)
    assert detail.status_code == listed.status_code == 200
    assert detail.headers["vary"] == "Authorization"
    for text, focal in (
        (detail.text, detail.json()["focal_points"]),
        (listed.text, listed.json()["items"][0]["focal_points"]),
    ):
        assert (CONTACT in text) is sees
        assert ("María González" in text) is sees
        if sees:
            assert focal == [
                {
                    "name": "María González",
                    "role": "Coordinator",
                    "contact": CONTACT,
                    "institution_id": focal[0]["institution_id"],
                }
            ]
        else:
            assert focal is None


async def test_focal_points_never_reach_exports_or_the_audit_log(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    admin = await api_keys.headers("admin")
    created = await _mechanism(client, admin)
    members = [m["id"] for m in created["members"]]  # type: ignore[attr-defined]
    plan = await client.post(
        "/v1/action-plans", json={"country": "PRY", "title": "PNDH"}, headers=admin
    )
    action = await client.post(
        f"/v1/action-plans/{plan.json()['id']}/actions",
        json={"description": "Report to CAT", "institution_ids": members},
        headers=admin,
    )
    assert action.status_code == 201, action.text
    export = await client.get(f"/v1/action-plans/{plan.json()['id']}/export.csv", headers=admin)
    assert export.status_code == 200
    assert "Ministry of Foreign Affairs" in export.text
    assert CONTACT not in export.text
    assert "María González" not in export.text
    institutions = await client.get("/v1/institutions", params={"country": "PRY"}, headers=admin)
    assert CONTACT not in institutions.text

    await client.patch(
        f"/v1/national-mechanisms/{created['id']}",
        json={"focal_points": [{"name": "Juan Pérez", "contact": "+595 21 000 000"}]},
        headers={**admin, "If-Match": '"v1"'},
    )
    entries = (
        (
            await session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "national_mechanism")
                .order_by(AuditEntry.id)
            )
        )
        .scalars()
        .all()
    )
    assert [e.action for e in entries] == ["national_mechanism.create", "national_mechanism.update"]
    logged = repr([(e.before, e.after) for e in entries])
    for secret in (CONTACT, "María González", "Juan Pérez", "+595 21 000 000"):
        assert secret not in logged
    assert entries[1].after is not None
    assert entries[1].after["focal_points"].startswith("[redacted")
