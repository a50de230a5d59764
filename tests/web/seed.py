"""A small public world for the portal's tests, built through the API (so it is what a
deployment would hold): two States' recommendations, progress reported by the Government
and an NHRI, a mandate with a funding gap, a programme with an indicator and a link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import service as keys
from tests.recommendations import factory

TODAY = dt.date.today()


@dataclass
class Seeded:
    recs: dict[str, str]  # name -> id
    mandate: str
    programme: str


async def key(session: AsyncSession, *scopes: str) -> dict[str, str]:
    created = await keys.create_key(session, "portal seed", list(scopes), None)
    await session.commit()
    return {"Authorization": f"Bearer {created.key}"}


async def _post(client: httpx.AsyncClient, url: str, body: Any, headers: dict[str, str]) -> Any:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def seed(session: AsyncSession, api: httpx.AsyncClient) -> Seeded:
    pry = await factory.document(
        session, "A/HRC/48/9", "PRY", dt.date(2021, 7, 1), cycle=3, session_no=38
    )
    old = await factory.document(
        session, "A/HRC/32/9", "PRY", dt.date(2016, 4, 1), cycle=2, session_no=24
    )
    ury = await factory.document(session, "A/HRC/47/15", "URY", dt.date(2019, 3, 1), cycle=3)
    recs = {
        "torture": await factory.recommendation(
            session,
            pry,
            "115.1",
            "Ratify the Optional Protocol to the Convention against Torture",
            recommending=[("France", "FRA"), ("Bolivarian Republic of Venezuela", "VEN")],
            themes=["A12"],
            sdg_targets=["16.3"],
            institutions=["Ministry of Justice"],
        ),
        "women": await factory.recommendation(
            session,
            pry,
            "115.2",
            "Combat violence against women and girls",
            themes=["F12"],
            sdg_targets=["5.2"],
        ),
        "land": await factory.recommendation(
            session,
            pry,
            "115.10",
            "Protect the land rights of indigenous peoples",
            position="noted",
            themes=["G1"],
            sdg_targets=["1.4"],
        ),
        "old": await factory.recommendation(
            session,
            old,
            "102.5",
            "Adopt a national plan on human rights education",
            status="implemented",
            themes=["A5"],
            sdg_targets=["4.7"],
        ),
        "uruguay": await factory.recommendation(
            session, ury, "120.3", "Adopt a national action plan on human rights"
        ),
    }
    await session.commit()
    ids = {name: str(r.id) for name, r in recs.items()}
    writer = await key(session, "recommendations:write", "mandates:write", "programmes:write")
    base = f"/v1/recommendations/{ids['torture']}/updates"
    await _post(
        api,
        base,
        {
            "status": "in_progress",
            "narrative": "Bill tabled in parliament.",
            "source": "government",
            "evidence_links": ["https://example.org/bill"],
        },
        writer,
    )
    await _post(
        api,
        base,
        {
            "status": "not_started",
            "narrative": "No progress seen by the ombudsperson.",
            "source": "nhri",
        },
        writer,
    )
    mandate = await _post(
        api,
        "/v1/mandates",
        {
            "type": "human_rights_adviser",
            "title": "Human Rights Adviser in Paraguay",
            "country": "PRY",
            "legal_basis": {"kind": "host_country_agreement", "reference": "Letters of 2010"},
            "start_date": "2010-01-01",
            "end_date": str(TODAY + dt.timedelta(days=400)),
            "funding": {"required": "1200000", "secured": "700000", "currency": "USD"},
        },
        writer,
    )
    programme = await _post(
        api,
        "/v1/programmes",
        {
            "title": "Human rights in the police academy",
            "summary": "Curriculum reform and training of trainers.",
            "country": "PRY",
            "mandate_id": mandate["id"],
            "start_date": str(TODAY - dt.timedelta(days=200)),
            "end_date": str(TODAY + dt.timedelta(days=500)),
            "budget": "250000",
            "currency": "USD",
            "themes": ["A12"],
            "sdg_targets": ["16.3"],
        },
        writer,
    )
    purl = f"/v1/programmes/{programme['id']}"
    await _post(api, f"{purl}/recommendations", {"recommendation_id": ids["torture"]}, writer)
    indicator = await _post(
        api,
        f"{purl}/indicators",
        {"name": "Police officers trained", "unit": "people", "baseline": 0,
         "target": 500, "frequency": "quarterly"},
        writer,
    )  # fmt: skip
    await _post(
        api,
        f"{purl}/indicators/{indicator['id']}/measurements",
        {"measured_on": str(TODAY - dt.timedelta(days=10)), "value": 120},
        writer,
    )
    return Seeded(recs=ids, mandate=mandate["id"], programme=programme["id"])
