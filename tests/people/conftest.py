"""Sign-in fixtures: a real OpenID provider, an API that trusts it, a small world of
institutions, and credentials per role and scope (for any test that needs them)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.app import create_app
from shared.auth.schemas import OPERATOR
from shared.db import Database
from shared.documents.models import Document
from shared.institutions.models import Institution, RecommendationInstitution
from shared.people import service as people
from shared.people.repository import PeopleRepository
from shared.people.schemas import GrantIn
from shared.queue import JobQueue
from shared.recommendations.models import Recommendation
from shared.settings import Settings
from tests.people.provider import AUDIENCE, OpenIdProvider, node_ready
from tests.recommendations import factory


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OpenIdProvider]:
    reason = node_ready()
    if reason is not None:
        pytest.skip(reason)
    provider = OpenIdProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


def oidc_settings(issuer: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "rate_limit_per_minute": 0,
        "oidc_jwks_min_refresh_s": 0,
        "oidc_clock_skew_s": 0,
        "oidc_issuers": [
            {
                "issuer": issuer,
                "audience": AUDIENCE,
                "required_scope": "api",
                "groups": {
                    "pry-justice-fp": {
                        "role": "focal_point",
                        "country": "PRY",
                        "institution": "Ministry of Justice",
                    },
                    "pry-coordinators": {"role": "coordinator", "country": "PRY"},
                },
            }
        ],
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture
def oidc_app(oidc_provider: OpenIdProvider, db: Database, clean_redis: JobQueue) -> FastAPI:
    return create_app(oidc_settings(oidc_provider.issuer), db=db, queue=clean_redis)


@pytest.fixture
async def oidc_client(oidc_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=oidc_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await oidc_app.state.tokens.close()


@dataclass
class World:
    """Two States, their institutions and recommendations owned by them."""

    justice: Institution  # PRY
    health: Institution  # PRY
    ury_justice: Institution
    nhri: Institution  # PRY
    ngo: Institution  # PRY civil society
    pry_doc: Document
    justice_rec: Recommendation  # PRY, owned by Justice
    health_rec: Recommendation  # PRY, owned by Health
    ury_rec: Recommendation


async def _institution(session: AsyncSession, country: str, name: str, kind: str) -> Institution:
    row = Institution(id=uuid.uuid4(), country=country, name=name, kind=kind)
    session.add(row)
    await session.flush()
    return row


@pytest.fixture
async def world(session: AsyncSession) -> World:
    justice = await _institution(session, "PRY", "Ministry of Justice", "ministry")
    health = await _institution(session, "PRY", "Ministry of Health", "ministry")
    ury_justice = await _institution(session, "URY", "Ministry of Justice", "ministry")
    nhri = await _institution(session, "PRY", "Defensoría del Pueblo", "nhri")
    ngo = await _institution(session, "PRY", "Coordinadora de Derechos Humanos", "civil_society")
    pry = await factory.document(
        session, "A/HRC/48/9", "PRY", dt.date(2021, 7, 1), cycle=3, session_no=38
    )
    ury = await factory.document(
        session, "A/HRC/47/15", "URY", dt.date(2019, 3, 1), cycle=3, session_no=35
    )
    recs = {}
    for key, doc, para, owner in (
        ("justice", pry, "115.1", justice),
        ("health", pry, "115.2", health),
        ("ury", ury, "100.1", ury_justice),
    ):
        rec = await factory.recommendation(
            session,
            doc,
            para,
            f"Recommendation {para}",
            recommending=[("France", "FRA")],
            position="supported",
            institutions=[owner.name],
        )
        session.add(RecommendationInstitution(recommendation_id=rec.id, institution_id=owner.id))
        recs[key] = rec
    await session.commit()
    return World(
        justice=justice,
        health=health,
        ury_justice=ury_justice,
        nhri=nhri,
        ngo=ngo,
        pry_doc=pry,
        justice_rec=recs["justice"],
        health_rec=recs["health"],
        ury_rec=recs["ury"],
    )


Credentials = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def credentials(oidc_provider: OpenIdProvider, session: AsyncSession) -> Credentials:
    """`await credentials("focal_point", country="PRY", institution="Ministry of Justice")`:
    the headers of a person holding that role (a fresh person each call; roles granted in
    the database, the token issued by the real provider). `role=None`: signed in, no role."""
    counter = iter(range(1, 13))

    async def make(
        role: str | None, country: str | None = None, institution: str | None = None
    ) -> dict[str, str]:
        client = f"person-{next(counter)}"
        user_id = await PeopleRepository(session).ensure_user(oidc_provider.issuer, client)
        if role is not None:
            await people.grant(
                session,
                OPERATOR,
                user_id,
                GrantIn.model_validate(
                    {"role": role, "country": country, "institution": institution}
                ),
            )
        await session.commit()
        return {"Authorization": f"Bearer {await oidc_provider.token(client)}"}

    return make
