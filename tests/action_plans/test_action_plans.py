"""Action plans and actions: ETag/If-Match, scoped writes, links to institutions and
recommendations, append-only updates, deadlines, CSV import/export, accountability."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans.models import Action
from shared.audit.models import AuditEntry
from shared.deadlines.models import Deadline
from tests.conftest import KeyFactory
from tests.institutions.world import World

FUTURE = (dt.date.today() + dt.timedelta(days=365)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=30)).isoformat()


async def _plan(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.post(
        "/v1/action-plans",
        json={
            "country": "PRY",
            "title": "Plan Nacional de Derechos Humanos",
            "period_start": "2024-01-01",
            "period_end": "2028-12-31",
            "status": "adopted",
            "adoption_reference": "Decreto 10747/2013",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _institution(client: httpx.AsyncClient, headers: dict[str, str], name: str) -> str:
    response = await client.post(
        "/v1/institutions",
        json={"country": "PRY", "name": name, "kind": "ministry"},
        headers=headers,
    )
    return str(response.json()["id"])


async def test_plan_crud_with_etag(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    plan_id = await _plan(client, headers)
    url = f"/v1/action-plans/{plan_id}"
    got = await client.get(url)
    assert got.headers["etag"] == '"v1"'
    assert got.json()["adoption_reference"] == "Decreto 10747/2013"
    assert (await client.get(url, headers={"If-None-Match": '"v1"'})).status_code == 304
    assert (await client.patch(url, json={"status": "ended"}, headers=headers)).status_code == 428
    ok = await client.patch(url, json={"status": "ended"}, headers={**headers, "If-Match": '"v1"'})
    assert ok.status_code == 200
    assert ok.json()["status"] == "ended"
    stale = await client.patch(url, json={"title": "X"}, headers={**headers, "If-Match": '"v1"'})
    assert stale.status_code == 412
    bad = await client.patch(
        url, json={"period_end": "2020-01-01"}, headers={**headers, "If-Match": '"v2"'}
    )
    assert bad.status_code == 422
    wrong = await client.patch(
        url, json={"status": "approved"}, headers={**headers, "If-Match": '"v2"'}
    )
    assert wrong.status_code == 422

    uruguay = await api_keys.headers("recommendations:write", countries=["URY"])
    assert (
        await client.post(
            "/v1/action-plans", json={"country": "PRY", "title": "X"}, headers=uruguay
        )
    ).status_code == 403
    assert (
        await client.post("/v1/action-plans", json={"country": "PRY", "title": "X"})
    ).status_code == 401

    listed = await client.get("/v1/action-plans", params={"country": "PRY", "status": "ended"})
    assert [p["id"] for p in listed.json()["items"]] == [plan_id]
    assert (await client.get("/v1/action-plans", params={"status": "gone"})).status_code == 422
    audited = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_id == plan_id)
    )
    assert audited == 2


async def test_actions_link_recommendations_and_institutions(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World, session: AsyncSession
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    plan_id = await _plan(client, headers)
    justice = await _institution(client, headers, "Ministry of Justice")
    torture, education = world.recs["torture"], world.recs["education"]
    created = await client.post(
        f"/v1/action-plans/{plan_id}/actions",
        json={
            "description": "Designate the national preventive mechanism",
            "institution_ids": [justice],
            "recommendation_ids": [str(education.id), str(torture.id)],
            "indicators": ["Law adopted", " "],
            "budget": "150000.00",
            "currency": "USD",
            "start_date": "2024-01-01",
            "due_date": FUTURE,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    action = created.json()
    assert [r["ref"] for r in action["recommendations"]] == [torture.ref, education.ref]
    assert [i["name"] for i in action["institutions"]] == ["Ministry of Justice"]
    assert action["indicators"] == ["Law adopted"]
    assert (action["status"], action["overdue"], action["budget"]) == (
        "planned",
        False,
        "150000.00",
    )
    assert (await client.get(created.headers["location"])).json() == action

    for rec in (torture, education):
        linked = await client.get(f"/v1/recommendations/{rec.id}/actions")
        assert linked.status_code == 200, linked.text
        assert [a["id"] for a in linked.json()["items"]] == [action["id"]]
    none = await client.get(f"/v1/recommendations/{world.recs['women'].id}/actions")
    assert none.json()["items"] == []
    # The recommendation itself still answers on its catch-all route.
    assert (await client.get(f"/v1/recommendations/{torture.id}")).status_code == 200

    foreign = await client.post(
        f"/v1/action-plans/{plan_id}/actions",
        json={"description": "X", "recommendation_ids": [str(world.recs["uruguay"].id)]},
        headers=headers,
    )
    assert foreign.status_code == 422
    assert "addressed to URY" in foreign.json()["errors"][0]["message"]

    url = f"/v1/action-plans/{plan_id}/actions/{action['id']}"
    patched = await client.patch(
        url,
        json={"recommendation_ids": [str(torture.id)], "due_date": PAST},
        headers={**headers, "If-Match": '"v1"'},
    )
    assert patched.status_code == 200, patched.text
    assert [r["ref"] for r in patched.json()["recommendations"]] == [torture.ref]
    assert patched.json()["overdue"] is True
    stale = await client.patch(
        url, json={"description": "Y"}, headers={**headers, "If-Match": '"v1"'}
    )
    assert stale.status_code == 412
    overdue = await client.get(f"/v1/action-plans/{plan_id}/actions", params={"overdue": "true"})
    assert [a["id"] for a in overdue.json()["items"]] == [action["id"]]
    by_institution = await client.get(
        f"/v1/action-plans/{plan_id}/actions", params={"institution": justice}
    )
    assert len(by_institution.json()["items"]) == 1


async def test_updates_are_append_only_and_drive_the_deadline(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World, session: AsyncSession
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    plan_id = await _plan(client, headers)
    created = await client.post(
        f"/v1/action-plans/{plan_id}/actions",
        json={"description": "Train 500 police officers", "due_date": FUTURE},
        headers=headers,
    )
    action_id = created.json()["id"]
    rule = f"action_due:{action_id}"
    deadline = (await session.execute(select(Deadline).where(Deadline.rule == rule))).scalar_one()
    assert (deadline.due_date.isoformat(), deadline.country, deadline.status) == (
        FUTURE,
        "PRY",
        "open",
    )
    assert "Train 500 police officers" in deadline.title

    base = f"/v1/action-plans/{plan_id}/actions/{action_id}"
    for status, text in (("ongoing", "First 100 trained"), ("completed", "All trained")):
        response = await client.post(
            f"{base}/updates", json={"status": status, "narrative": text}, headers=headers
        )
        assert response.status_code == 201, response.text
    history = await client.get(f"{base}/updates")
    assert [u["status"] for u in history.json()] == ["ongoing", "completed"]
    current = await client.get(base)
    assert current.json()["status"] == "completed"
    assert current.headers["etag"] == '"v3"'
    await session.refresh(deadline)
    assert deadline.status == "met"
    assert (await client.patch(f"{base}/updates", json={})).status_code == 405

    cancelled = await client.post(
        f"{base}/updates", json={"status": "cancelled", "narrative": "Dropped"}, headers=headers
    )
    assert cancelled.status_code == 201
    gone = await session.scalar(
        select(func.count()).select_from(Deadline).where(Deadline.rule == rule)
    )
    assert gone == 0


ACTIONS_CSV = (
    "description,institutions,recommendations,indicators,budget,currency,start_date,due_date,"
    "status\n"
    'Designate the NPM,Ministry of Justice,{torture},Law adopted; NPM staffed,"10,000",usd,'
    "2024-01-01,{future},planned\n"
    "Police training,ministry of justice;Ministry of Interior,{education},Officers trained,,,"
    "2024-02-01,{past},ongoing\n"
)


async def test_csv_import_and_export(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World, session: AsyncSession
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    plan_id = await _plan(client, headers)
    await _institution(client, headers, "Ministry of Justice")
    await _institution(client, headers, "Ministry of Interior")
    body = ACTIONS_CSV.format(
        torture=world.recs["torture"].ref,
        education=world.recs["education"].id,
        future=FUTURE,
        past=PAST,
    )
    response = await client.post(
        f"/v1/action-plans/{plan_id}/actions/import",
        content=body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["rows"], response.json()["created"]) == (2, 2)

    listed = (await client.get(f"/v1/action-plans/{plan_id}/actions")).json()["items"]
    assert [a["description"] for a in listed] == ["Designate the NPM", "Police training"]
    assert listed[0]["budget"] == "10000.00"
    assert listed[0]["currency"] == "USD"
    assert [i["name"] for i in listed[1]["institutions"]] == [
        "Ministry of Interior",
        "Ministry of Justice",
    ]
    assert listed[1]["overdue"] is True

    export = await client.get(f"/v1/action-plans/{plan_id}/export.csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["description"] for r in rows] == ["Designate the NPM", "Police training"]
    assert rows[0]["recommendations"] == world.recs["torture"].ref
    assert rows[0]["indicators"] == "Law adopted; NPM staffed"
    assert rows[1]["institutions"] == "Ministry of Interior; Ministry of Justice"
    assert (await client.get(f"/v1/action-plans/{PAST}/export.csv")).status_code == 422


async def test_csv_import_is_all_or_nothing(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World, session: AsyncSession
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    plan_id = await _plan(client, headers)
    await _institution(client, headers, "Ministry of Justice")
    body = (
        "description,institutions,recommendations,due_date,status,budget\n"
        "Good row,Ministry of Justice,,2030-01-01,planned,100\n"
        f"Bad row,Ministry of Magic,{world.recs['uruguay'].ref},31/12/2030,finished,-5\n"
        "Another good row,,,,,\n"
        ",,,,,\n"
        "   ,,,2030-01-01,,\n"
    )
    response = await client.post(
        f"/v1/action-plans/{plan_id}/actions/import",
        content=body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert sorted({(e["row"], e["column"]) for e in errors}) == [
        (3, "budget"),
        (3, "due_date"),
        (3, "institutions"),
        (3, "recommendations"),
        (3, "status"),
        (6, "description"),
    ]
    assert await session.scalar(select(func.count()).select_from(Action)) == 0
    assert await session.scalar(select(func.count()).select_from(Deadline)) == 0


@pytest.mark.parametrize("path", ["/v1/action-plans/{plan}/actions", "/v1/action-plans/{plan}"])
async def test_unknown_plan_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path.format(plan="6f1c5a8e-0000-4000-8000-000000000000"))
    assert response.status_code == 404


async def test_accountability(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World
) -> None:
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    plan_id = await _plan(client, headers)
    justice = await _institution(client, headers, "Ministry of Justice")
    women = world.recs["women"]
    await client.put(
        f"/v1/recommendations/{women.id}/institutions",
        json={"institution_ids": [justice]},
        headers={**headers, "If-Match": '"v1"'},
    )
    ongoing = await client.post(
        f"/v1/action-plans/{plan_id}/actions",
        json={
            "description": "Shelters",
            "recommendation_ids": [str(women.id)],
            "status": "ongoing",
        },
        headers=headers,
    )
    assert ongoing.status_code == 201
    await client.post(
        f"/v1/action-plans/{plan_id}/actions",
        json={
            "description": "Training",
            "recommendation_ids": [str(world.recs["education"].id)],
            "due_date": PAST,
        },
        headers=headers,
    )
    await client.post(
        f"/v1/action-plans/{plan_id}/actions",
        json={
            "description": "Cancelled",
            "recommendation_ids": [str(world.recs["done"].id)],
            "status": "cancelled",
        },
        headers=headers,
    )
    response = await client.get("/v1/stats/accountability", params={"country": "PRY"})
    assert response.status_code == 200, response.text
    stats = response.json()
    # Supported: torture (free-text owner), women, education, done; "land" is noted.
    assert stats["supported"] == 4
    assert stats["with_owner"] == {"count": 2, "share": 0.5}
    assert stats["with_planned_action"] == {"count": 2, "share": 0.5}
    assert stats["with_ongoing_or_completed_action"] == {"count": 1, "share": 0.25}
    assert stats["overdue_actions"] == 1
    themes = {g["value"]: g for g in stats["by_theme"]}
    assert themes["A12"]["supported"] == 3
    assert themes["A12"]["overdue_actions"] == 1
    assert themes["F12"]["with_ongoing_or_completed_action"] == {"count": 1, "share": 1.0}
    goals = {g["value"]: g for g in stats["by_sdg_goal"]}
    assert list(goals) == ["4", "5", "16"]
    assert goals["16"]["supported"] == 3
    assert goals["16"]["with_owner"]["count"] == 2
    assert goals["4"]["overdue_actions"] == 1

    empty = await client.get("/v1/stats/accountability", params={"country": "ARG"})
    assert empty.json()["supported"] == 0
    assert empty.json()["with_owner"]["share"] is None
    assert (
        await client.get("/v1/stats/accountability", params={"country": "XX"})
    ).status_code == 422
    assert (await client.get("/v1/stats/accountability")).status_code == 422
