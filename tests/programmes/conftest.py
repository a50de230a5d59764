from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations.models import Recommendation
from tests.conftest import KeyFactory
from tests.recommendations import factory

TODAY = dt.date.today()


@dataclass
class Recs:
    pry: dict[str, Recommendation]
    ury: Recommendation
    arg: Recommendation


@pytest.fixture
async def recs(session: AsyncSession) -> Recs:
    """Paraguay: three supported, one partially supported, one noted; one each for
    Uruguay and Argentina."""
    pry = await factory.document(session, "A/HRC/48/9", "PRY", dt.date(2021, 7, 1))
    ury = await factory.document(session, "A/HRC/47/15", "URY", dt.date(2019, 3, 1))
    arg = await factory.document(session, "A/HRC/37/5", "ARG", dt.date(2017, 12, 1))
    out = Recs(
        pry={
            "torture": await factory.recommendation(
                session, pry, "115.1", "Ratify OPCAT", themes=["A12"], sdg_targets=["16.3"]
            ),
            "women": await factory.recommendation(
                session,
                pry,
                "115.2",
                "Combat violence against women",
                themes=["F12"],
                sdg_targets=["5.2"],
            ),
            "police": await factory.recommendation(
                session,
                pry,
                "115.3",
                "Train the police in human rights",
                themes=["A12", "D51"],
                sdg_targets=["16.3", "16.a"],
                position="partially_supported",
            ),
            "land": await factory.recommendation(
                session,
                pry,
                "115.4",
                "Protect indigenous land",
                themes=["G1"],
                sdg_targets=["1.4"],
            ),
            "noted": await factory.recommendation(
                session,
                pry,
                "115.5",
                "Decriminalise abortion",
                position="noted",
                themes=["F12"],
            ),
        },
        ury=await factory.recommendation(session, ury, "120.3", "Adopt a NAP on education"),
        arg=await factory.recommendation(session, arg, "107.1", "Reform the prisons"),
    )
    await session.commit()
    return out


def programme(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Strengthening human rights in the police academy",
        "summary": "Curriculum reform and training of trainers at the national police academy.",
        "country": "PRY",
        "start_date": str(TODAY - dt.timedelta(days=365)),
        "end_date": str(TODAY + dt.timedelta(days=3 * 365)),
        "budget": "2500000",
        "currency": "USD",
        "partners": ["UNODC", "UN Women"],
        "objectives": ["Human rights in the police curriculum", "200 trainers certified"],
        "target_groups": ["police_academies", "justice_sector"],
        "themes": ["A12", "Administration of justice & fair trial"],
        "sdg_targets": ["16.3", "5.2"],
    }
    body.update(overrides)
    return body


@pytest.fixture
async def writer(api_keys: KeyFactory) -> dict[str, str]:
    return await api_keys.headers("programmes:write", name="UNCT Paraguay")


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post("/v1/programmes", json=programme(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
