from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.documents.models import Document
from shared.recommendations.models import Recommendation
from tests.recommendations import factory


@dataclass
class Corpus:
    pry: Document
    ury: Document
    pry_old: Document
    recs: dict[str, Recommendation]


@pytest.fixture
async def corpus(session: AsyncSession) -> Corpus:
    """Three documents, two States, a spread of positions, statuses and tags."""
    pry = await factory.document(
        session, "A/HRC/48/9", "PRY", dt.date(2021, 7, 1), cycle=3, session_no=38
    )
    pry_old = await factory.document(
        session, "A/HRC/32/9", "PRY", dt.date(2016, 4, 1), cycle=2, session_no=24
    )
    ury = await factory.document(
        session, "A/HRC/47/15", "URY", dt.date(2019, 3, 1), cycle=3, session_no=35
    )
    recs = {
        "p1": await factory.recommendation(
            session,
            pry,
            "115.1",
            "Ratify the Optional Protocol to the Convention against Torture",
            recommending=[("France", "FRA"), ("Bolivarian Republic of Venezuela", "VEN")],
            position="supported",
            themes=["A12"],
            sdg_targets=["16.3"],
            institutions=["Ministry of Justice"],
        ),
        "p2": await factory.recommendation(
            session,
            pry,
            "115.2",
            "Strengthen the protection of indigenous peoples' land rights",
            recommending=[("Mexico", "MEX")],
            position="noted",
            themes=["G1"],
            affected_persons=["Indigenous peoples"],
            sdg_targets=["1.4"],
        ),
        "p10": await factory.recommendation(
            session,
            pry,
            "115.10",
            "Combat violence against women and girls",
            recommending=[("Spain", "ESP"), ("Atlantis", None)],
            position="supported",
            status="in_progress",
            themes=["F12"],
            affected_persons=["Women"],
            sdg_targets=["5.2"],
        ),
        "old": await factory.recommendation(
            session,
            pry_old,
            "102.5",
            "Ratify the Convention on enforced disappearances",
            recommending=[("France", "FRA")],
            position="supported",
            status="implemented",
            themes=["A12"],
        ),
        "u1": await factory.recommendation(
            session,
            ury,
            "120.3",
            "Adopt a national action plan on human rights education",
            recommending=[("Argentina", "ARG")],
            position="pending",
        ),
    }
    await session.commit()
    return Corpus(pry=pry, ury=ury, pry_old=pry_old, recs=recs)
