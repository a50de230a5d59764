"""A small world for institutions, action plans and cooperation tests: two States,
supported / noted / implemented recommendations with themes and SDG targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations.models import Recommendation
from tests.recommendations import factory


@dataclass
class World:
    recs: dict[str, Recommendation]


async def build(session: AsyncSession) -> World:
    pry = await factory.document(session, "A/HRC/48/9", "PRY", dt.date(2021, 7, 1), cycle=3)
    ury = await factory.document(session, "A/HRC/47/15", "URY", dt.date(2019, 3, 1), cycle=3)
    recs = {
        "torture": await factory.recommendation(
            session,
            pry,
            "115.1",
            "Ratify the Optional Protocol to the Convention against Torture",
            position="supported",
            themes=["A12"],
            sdg_targets=["16.3"],
            institutions=["Ministry of Justice"],
        ),
        "land": await factory.recommendation(
            session,
            pry,
            "115.2",
            "Protect indigenous peoples' land rights",
            position="noted",
            themes=["G1"],
            sdg_targets=["1.4"],
        ),
        "women": await factory.recommendation(
            session,
            pry,
            "115.3",
            "Combat violence against women",
            position="supported",
            themes=["F12"],
            sdg_targets=["5.2", "16.1"],
        ),
        "education": await factory.recommendation(
            session,
            pry,
            "115.10",
            "Human rights education for the police",
            position="supported",
            themes=["A12", "D51"],
            sdg_targets=["4.7"],
        ),
        "done": await factory.recommendation(
            session,
            pry,
            "115.11",
            "Ratify the Convention on enforced disappearances",
            position="supported",
            status="implemented",
            themes=["A12"],
            sdg_targets=["16.3"],
        ),
        "uruguay": await factory.recommendation(
            session,
            ury,
            "120.3",
            "Adopt a national action plan on human rights",
            position="supported",
            themes=["A12"],
            sdg_targets=["16.3"],
        ),
    }
    await session.commit()
    return World(recs=recs)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    """The world, for the conftests of every domain whose tests use it."""
    return await build(session)
