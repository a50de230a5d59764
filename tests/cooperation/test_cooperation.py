"""Offers of cooperation (scoped writes, ETag, private contact) and their matching to
supported, not yet implemented recommendations that nothing covers yet."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from tests.conftest import KeyFactory
from tests.institutions.world import World

CONTACT = "cooperacion@cancilleria.gob.ar"


async def _offer(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: object
) -> dict[str, object]:
    body: dict[str, object] = {"offered_by_state": "ARG", "title": "Offer"} | fields
    response = await client.post("/v1/cooperation/offers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_offers_are_scoped_versioned_and_keep_contacts_private(
    client: httpx.AsyncClient, api_keys: KeyFactory, session: AsyncSession
) -> None:
    argentina = await api_keys.headers("recommendations:write", countries=["ARG"])
    offer = await _offer(
        client,
        argentina,
        title="Support to national preventive mechanisms",
        themes=["A12", "Administration of justice & fair trial"],
        sdg=["16.3", "5"],
        contact=CONTACT,
    )
    assert offer["themes"] == ["A12", "D51"]
    assert (offer["sdg_targets"], offer["sdg_goals"]) == (["16.3"], [5, 16])
    assert offer["contact"] is None  # this key lacks personal_data:read
    url = f"/v1/cooperation/offers/{offer['id']}"

    public = await client.get(url)
    assert public.status_code == 200
    assert CONTACT not in public.text
    listed = await client.get("/v1/cooperation/offers")
    assert CONTACT not in listed.text
    private = await client.get(url, headers=await api_keys.headers("personal_data:read"))
    assert private.json()["contact"] == CONTACT
    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.entity_id == offer["id"]))
    ).scalar_one()
    assert CONTACT not in repr(entry.after)

    paraguay = await api_keys.headers("recommendations:write", countries=["PRY"])
    assert (
        await client.post(
            "/v1/cooperation/offers",
            json={"offered_by_state": "ARG", "title": "X"},
            headers=paraguay,
        )
    ).status_code == 403
    # An organisation's offer needs a key not limited to countries.
    assert (
        await client.post(
            "/v1/cooperation/offers",
            json={"offered_by_organisation": "UNDP", "title": "X"},
            headers=paraguay,
        )
    ).status_code == 403
    both = await client.post(
        "/v1/cooperation/offers",
        json={"offered_by_state": "ARG", "offered_by_organisation": "UNDP", "title": "X"},
        headers=argentina,
    )
    assert both.status_code == 422
    unknown = await client.post(
        "/v1/cooperation/offers",
        json={"offered_by_state": "ARG", "title": "X", "themes": ["Z99"], "sdg": ["18"]},
        headers=argentina,
    )
    assert {e["field"] for e in unknown.json()["errors"]} == {"themes", "sdg"}

    assert (await client.patch(url, json={"title": "Y"}, headers=argentina)).status_code == 428
    ok = await client.patch(url, json={"title": "Y"}, headers={**argentina, "If-Match": '"v1"'})
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"v2"'
    assert (
        await client.patch(url, json={"title": "Z"}, headers={**argentina, "If-Match": '"v1"'})
    ).status_code == 412
    by_theme = await client.get("/v1/cooperation/offers", params={"theme": "D51", "sdg": "16"})
    assert [o["id"] for o in by_theme.json()["items"]] == [offer["id"]]
    assert (await client.get("/v1/cooperation/offers", params={"theme": "F12"})).json()[
        "items"
    ] == []


async def test_matches_rank_uncovered_supported_recommendations(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World
) -> None:
    admin = await api_keys.headers("admin")
    await _offer(client, admin, title="Justice reform (ARG)", themes=["A12"], sdg=["16.3"])
    women = await _offer(
        client,
        admin,
        offered_by_state=None,
        offered_by_organisation="UN Women",
        title="Ending violence against women",
        sdg=["5.2"],
        countries=["PRY", "BOL"],
    )
    # Not matched: expired, for another State, the State's own offer, nothing in common.
    await _offer(client, admin, title="Old", themes=["A12"], period_end="2020-01-01")
    await _offer(client, admin, title="Bolivia only", themes=["A12"], countries=["BOL"])
    await _offer(client, admin, offered_by_state="PRY", title="Own", themes=["A12"])
    await _offer(client, admin, title="Water", sdg=["6.1"])

    response = await client.get("/v1/cooperation/matches", params={"country": "PRY"})
    assert response.status_code == 200, response.text
    pairs = [
        (m["recommendation"]["ref"], m["offer"]["title"], m["score"], m["reasons"])
        for m in response.json()["items"]
    ]
    torture, education, women_rec = (world.recs[k].ref for k in ("torture", "education", "women"))
    assert pairs == [
        (torture, "Justice reform (ARG)", 4, ["SDG target 16.3", "SDG goal 16", "theme A12"]),
        (women_rec, "Ending violence against women", 3, ["SDG target 5.2", "SDG goal 5"]),
        (women_rec, "Justice reform (ARG)", 1, ["SDG goal 16"]),
        (education, "Justice reform (ARG)", 1, ["theme A12"]),
    ]
    # Keyset pages give the same sequence.
    first = await client.get("/v1/cooperation/matches", params={"country": "PRY", "limit": 3})
    assert 'rel="next"' in first.headers["link"]
    second = await client.get(
        "/v1/cooperation/matches",
        params={"country": "PRY", "limit": 3, "cursor": first.json()["next_cursor"]},
    )
    paged = first.json()["items"] + second.json()["items"]
    assert [(m["recommendation"]["ref"], m["offer"]["id"]) for m in paged] == [
        (m["recommendation"]["ref"], m["offer"]["id"]) for m in response.json()["items"]
    ]
    assert second.json()["next_cursor"] is None

    # An open action covers a recommendation: it leaves the matches; a completed one does not.
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    plan = await client.post(
        "/v1/action-plans", json={"country": "PRY", "title": "PNDH"}, headers=headers
    )
    action = await client.post(
        f"/v1/action-plans/{plan.json()['id']}/actions",
        json={"description": "NPM", "recommendation_ids": [str(world.recs["torture"].id)]},
        headers=headers,
    )
    after = await client.get("/v1/cooperation/matches", params={"country": "PRY"})
    assert torture not in {m["recommendation"]["ref"] for m in after.json()["items"]}
    await client.post(
        f"/v1/action-plans/{plan.json()['id']}/actions/{action.json()['id']}/updates",
        json={"status": "completed", "narrative": "Done, awaiting effect"},
        headers=headers,
    )
    again = await client.get("/v1/cooperation/matches", params={"country": "PRY"})
    assert torture in {m["recommendation"]["ref"] for m in again.json()["items"]}
    assert women["id"] in {m["offer"]["id"] for m in again.json()["items"]}


async def test_an_offer_naming_recommendations_matches_only_them(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World
) -> None:
    admin = await api_keys.headers("admin")
    await _offer(
        client,
        admin,
        title="Police academy curriculum",
        recommendation_ids=[str(world.recs["education"].id)],
        period_start=(dt.date.today() - dt.timedelta(days=1)).isoformat(),
    )
    response = await client.get("/v1/cooperation/matches", params={"country": "PRY"})
    assert [(m["recommendation"]["ref"], m["reasons"]) for m in response.json()["items"]] == [
        (world.recs["education"].ref, ["named by the offer"])
    ]
    assert (
        await client.get("/v1/cooperation/matches", params={"country": "ZZZ"})
    ).status_code == 422
    bad = await client.get("/v1/cooperation/matches", params={"country": "PRY", "cursor": "x"})
    assert bad.status_code == 400


async def test_a_running_programme_covers_a_recommendation(
    client: httpx.AsyncClient, api_keys: KeyFactory, world: World, session: AsyncSession
) -> None:
    from shared.programmes.models import Programme, ProgrammeRecommendation

    admin = await api_keys.headers("admin")
    await _offer(client, admin, title="Justice reform", themes=["A12"])
    today = dt.date.today()
    for title, end, rec in (
        ("Running", today + dt.timedelta(days=90), "torture"),
        ("Ended", today - dt.timedelta(days=1), "education"),
    ):
        programme = Programme(
            title=title,
            country="PRY",
            countries=["PRY"],
            start_date=dt.date(2020, 1, 1),
            end_date=end,
        )
        session.add(programme)
        await session.flush()
        session.add(
            ProgrammeRecommendation(programme_id=programme.id, recommendation_id=world.recs[rec].id)
        )
    await session.commit()
    response = await client.get("/v1/cooperation/matches", params={"country": "PRY"})
    refs = {m["recommendation"]["ref"] for m in response.json()["items"]}
    assert world.recs["torture"].ref not in refs
    assert world.recs["education"].ref in refs
