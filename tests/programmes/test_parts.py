"""Links both ways, indicators and measurements, milestones and evaluations (deadlines),
and the coverage figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.deadlines.models import Deadline
from tests.conftest import KeyFactory
from tests.programmes.conftest import TODAY, Recs, create


async def test_links_both_ways(
    client: httpx.AsyncClient, writer: dict[str, str], recs: Recs, api_keys: KeyFactory
) -> None:
    p = await create(client, writer)
    url = f"/v1/programmes/{p['id']}/recommendations"
    torture = recs.pry["torture"]

    created = await client.post(
        url,
        json={"recommendation_id": str(torture.id), "note": "OPCAT ratification support"},
        headers=writer,
    )
    assert created.status_code == 201, created.text
    assert created.json()["ref"] == "A/HRC/48/9#115.1"
    assert created.json()["note"] == "OPCAT ratification support"
    by_ref = await client.post(url, json={"ref": recs.pry["police"].ref}, headers=writer)
    assert by_ref.status_code == 201
    again = await client.post(
        url, json={"recommendation_id": str(torture.id), "note": "changed"}, headers=writer
    )
    assert again.status_code == 200
    assert again.json()["note"] == "changed"

    listed = (await client.get(url)).json()
    assert [i["ref"] for i in listed["items"]] == ["A/HRC/48/9#115.1", "A/HRC/48/9#115.3"]
    first = (await client.get(url, params={"limit": 1})).json()
    second = (await client.get(url, params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert [i["ref"] for i in first["items"] + second["items"]] == [
        "A/HRC/48/9#115.1",
        "A/HRC/48/9#115.3",
    ]

    # The other direction is not shadowed by the recommendations catch-all route.
    back = await client.get(f"/v1/recommendations/{torture.id}/programmes")
    assert back.status_code == 200, back.text
    assert [(i["programme_id"], i["note"], i["status"]) for i in back.json()["items"]] == [
        (p["id"], "changed", "active")
    ]
    assert (await client.get(f"/v1/recommendations/{recs.ury.id}/programmes")).json()["items"] == []
    missing = await client.get(
        "/v1/recommendations/00000000-0000-0000-0000-000000000000/programmes"
    )
    assert missing.status_code == 404

    # Every link moved the programme's version.
    assert (await client.get(f"/v1/programmes/{p['id']}")).json()["version"] == 4

    other = await api_keys.headers("programmes:write", countries=["URY"])
    assert (
        await client.post(url, json={"ref": recs.pry["land"].ref}, headers=other)
    ).status_code == 403
    assert (await client.delete(f"{url}/{torture.id}", headers=writer)).status_code == 204
    assert (await client.delete(f"{url}/{torture.id}", headers=writer)).status_code == 404
    assert [i["ref"] for i in (await client.get(url)).json()["items"]] == ["A/HRC/48/9#115.3"]


async def test_link_rules(client: httpx.AsyncClient, writer: dict[str, str], recs: Recs) -> None:
    p = await create(client, writer)
    url = f"/v1/programmes/{p['id']}/recommendations"
    foreign = await client.post(url, json={"recommendation_id": str(recs.ury.id)}, headers=writer)
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "recommendation_id"
    assert "addressed to URY; the programme is in PRY" in foreign.json()["detail"]
    unknown = await client.post(url, json={"ref": "A/HRC/1/1#1"}, headers=writer)
    assert unknown.status_code == 422
    assert "unknown recommendation" in unknown.json()["detail"]
    neither = await client.post(url, json={"note": "x"}, headers=writer)
    assert neither.status_code == 422

    regional = await create(
        client, writer, country=None, region="Southern Cone", countries=["PRY", "URY"]
    )
    r_url = f"/v1/programmes/{regional['id']}/recommendations"
    assert (
        await client.post(r_url, json={"recommendation_id": str(recs.ury.id)}, headers=writer)
    ).status_code == 201
    assert (
        await client.post(r_url, json={"ref": recs.pry["women"].ref}, headers=writer)
    ).status_code == 201
    outside = await client.post(r_url, json={"ref": recs.arg.ref}, headers=writer)
    assert outside.status_code == 422
    assert "does not cover" in outside.json()["detail"]

    # A programme cannot leave a country it has linked recommendations of.
    shrink = await client.patch(
        f"/v1/programmes/{regional['id']}",
        json={"countries": ["PRY"]},
        headers={**writer, "If-Match": '"v3"'},
    )
    assert shrink.status_code == 422
    assert recs.ury.ref in shrink.json()["detail"]


async def test_indicators_and_measurements(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    start = TODAY - dt.timedelta(days=100)
    end = TODAY + dt.timedelta(days=100)
    p = await create(client, writer, start_date=str(start), end_date=str(end))
    url = f"/v1/programmes/{p['id']}/indicators"
    created = await client.post(
        url,
        json={
            "name": "Police officers trained",
            "unit": "people",
            "baseline": 0,
            "target": "500",
            "frequency": "quarterly",
        },
        headers=writer,
    )
    assert created.status_code == 201, created.text
    indicator = created.json()
    assert indicator["latest"] is None
    assert (await client.get(created.headers["location"])).json() == indicator
    m_url = f"{url}/{indicator['id']}/measurements"

    for day, value in ((start, 0), (start + dt.timedelta(days=90), 120), (TODAY, 180)):
        response = await client.post(
            m_url, json={"measured_on": str(day), "value": value}, headers=writer
        )
        assert response.status_code == 201, response.text
    for day in (start - dt.timedelta(days=1), end + dt.timedelta(days=1)):
        outside = await client.post(
            m_url, json={"measured_on": str(day), "value": 1}, headers=writer
        )
        assert outside.status_code == 422
        assert outside.json()["errors"][0]["field"] == "measured_on"
        assert "outside the programme period" in outside.json()["detail"]
    bad = await client.post(m_url, json={"measured_on": "soon", "value": "x"}, headers=writer)
    assert bad.status_code == 422

    listed = (await client.get(url)).json()
    assert listed[0]["latest"]["value"] == "180.0000"
    page1 = (await client.get(m_url, params={"limit": 2})).json()
    page2 = (await client.get(m_url, params={"limit": 2, "cursor": page1["next_cursor"]})).json()
    assert [m["value"] for m in page1["items"] + page2["items"]] == [
        "0.0000",
        "120.0000",
        "180.0000",
    ]
    assert page2["next_cursor"] is None

    # The period cannot shrink away from recorded measurements.
    version = (await client.get(f"/v1/programmes/{p['id']}")).json()["version"]
    shrink = await client.patch(
        f"/v1/programmes/{p['id']}",
        json={"start_date": str(TODAY - dt.timedelta(days=10))},
        headers={**writer, "If-Match": f'"v{version}"'},
    )
    assert shrink.status_code == 422
    assert "1 measurement(s) would fall outside" in shrink.json()["detail"]

    assert (
        await client.get(f"{url}/00000000-0000-0000-0000-000000000000/measurements")
    ).status_code == 404
    assert (await client.delete(f"{url}/{indicator['id']}", headers=writer)).status_code == 204
    assert (await client.get(url)).json() == []


async def _deadlines(session: AsyncSession, programme_id: str) -> dict[str, tuple[Any, ...]]:
    session.expire_all()
    rows = (
        await session.execute(select(Deadline).where(Deadline.subject_id == programme_id))
    ).scalars()
    return {d.rule or "": (d.kind, d.due_date, d.status) for d in rows}


async def test_milestones_and_evaluations_become_deadlines(
    client: httpx.AsyncClient, writer: dict[str, str], session: AsyncSession
) -> None:
    p = await create(client, writer)
    due = TODAY + dt.timedelta(days=60)
    milestone = await client.post(
        f"/v1/programmes/{p['id']}/milestones",
        json={"title": "Curriculum adopted", "due_date": str(due)},
        headers=writer,
    )
    assert milestone.status_code == 201, milestone.text
    mid = milestone.json()["id"]
    evaluation = await client.post(
        f"/v1/programmes/{p['id']}/evaluations",
        json={"date": str(due + dt.timedelta(days=30)), "kind": "mid_term"},
        headers=writer,
    )
    assert evaluation.status_code == 201, evaluation.text
    eid = evaluation.json()["id"]
    assert await _deadlines(session, p["id"]) == {
        f"programme.milestone:{mid}": ("programme_milestone", due, "open"),
        f"programme.evaluation:{eid}": (
            "programme_evaluation",
            due + dt.timedelta(days=30),
            "open",
        ),
    }

    achieved = await client.patch(
        f"/v1/programmes/{p['id']}/milestones/{mid}",
        json={"achieved_on": str(TODAY)},
        headers=writer,
    )
    assert achieved.status_code == 200
    assert achieved.json()["achieved_on"] == str(TODAY)
    done = await client.patch(
        f"/v1/programmes/{p['id']}/evaluations/{eid}",
        json={"findings": "Training reached 80% of the target."},
        headers=writer,
    )
    assert done.status_code == 200
    states = await _deadlines(session, p["id"])
    assert {v[2] for v in states.values()} == {"met"}

    assert [
        m["title"] for m in (await client.get(f"/v1/programmes/{p['id']}/milestones")).json()
    ] == ["Curriculum adopted"]
    assert len((await client.get(f"/v1/programmes/{p['id']}/evaluations")).json()) == 1
    bad = await client.post(
        f"/v1/programmes/{p['id']}/evaluations",
        json={"date": str(TODAY), "kind": "vibes"},
        headers=writer,
    )
    assert bad.status_code == 422

    assert (
        await client.delete(f"/v1/programmes/{p['id']}/milestones/{mid}", headers=writer)
    ).status_code == 204
    assert list(await _deadlines(session, p["id"])) == [f"programme.evaluation:{eid}"]
    assert (await client.delete(f"/v1/programmes/{p['id']}", headers=writer)).status_code == 204
    assert await _deadlines(session, p["id"]) == {}


async def test_coverage(client: httpx.AsyncClient, writer: dict[str, str], recs: Recs) -> None:
    active = await create(client, writer)
    ended = await create(client, writer, start_date="2010-01-01", end_date="2012-12-31")
    regional = await create(
        client, writer, country=None, region="Southern Cone", countries=["PRY", "URY"]
    )
    for programme, rec in (
        (active, recs.pry["torture"]),
        (active, recs.pry["noted"]),  # noted: not in the figures
        (ended, recs.pry["women"]),  # the programme ended: not covering
        (regional, recs.pry["police"]),
        (regional, recs.ury),
    ):
        response = await client.post(
            f"/v1/programmes/{programme['id']}/recommendations",
            json={"recommendation_id": str(rec.id)},
            headers=writer,
        )
        assert response.status_code == 201, response.text

    response = await client.get("/v1/stats/coverage", params={"country": "PRY"})
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["overall"] == {"supported": 4, "covered": 2, "uncovered": 2, "ratio": 0.5}
    themes = {t["theme"]: (t["supported"], t["covered"]) for t in figures["by_theme"]}
    assert themes == {"A12": (2, 2), "D51": (1, 1), "F12": (1, 0), "G1": (1, 0)}
    goals = {g["sdg_goal"]: (g["supported"], g["covered"]) for g in figures["by_sdg_goal"]}
    assert goals == {16: (2, 2), 5: (1, 0), 1: (1, 0)}
    assert [u["ref"] for u in figures["uncovered"]] == [
        recs.pry["women"].ref,
        recs.pry["land"].ref,
    ]
    assert figures["uncovered_truncated"] is False

    back_then = (
        await client.get("/v1/stats/coverage", params={"country": "PRY", "on": "2011-06-01"})
    ).json()
    assert back_then["overall"]["covered"] == 1
    limited = (
        await client.get("/v1/stats/coverage", params={"country": "PRY", "uncovered_limit": 1})
    ).json()
    assert len(limited["uncovered"]) == 1
    assert limited["uncovered_truncated"] is True
    ury = (await client.get("/v1/stats/coverage", params={"country": "URY"})).json()
    assert ury["overall"]["covered"] == 1
    empty = (await client.get("/v1/stats/coverage", params={"country": "FRA"})).json()
    assert empty["overall"] == {"supported": 0, "covered": 0, "uncovered": 0, "ratio": None}
    assert (await client.get("/v1/stats/coverage", params={"country": "XXX"})).status_code == 422
    assert (await client.get("/v1/stats/coverage")).status_code == 422
