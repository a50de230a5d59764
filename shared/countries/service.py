from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.countries.repository import CountryRepository
from shared.countries.schemas import CountryDetail, CountryOut, MechanismOut
from shared.errors import NotFound
from shared.kernel.shapes import shape_of


async def list_countries(session: AsyncSession, regional_group: str | None) -> list[CountryOut]:
    return [shape_of(CountryOut, c) for c in await CountryRepository(session).list(regional_group)]


async def country_detail(session: AsyncSession, iso3: str) -> CountryDetail:
    repo = CountryRepository(session)
    country = await repo.get(iso3.upper())
    if country is None:
        raise NotFound(f"no country {iso3!r}: use an ISO 3166-1 alpha-3 code")
    by_position = await repo.counts(country.iso3, "position")
    return shape_of(
        CountryDetail,
        country,
        recommendations=sum(by_position.values()),
        documents=await repo.document_count(country.iso3),
        by_position=by_position,
        by_status=await repo.counts(country.iso3, "status"),
    )


async def list_mechanisms(session: AsyncSession) -> list[MechanismOut]:
    return [shape_of(MechanismOut, m) for m in await CountryRepository(session).mechanisms()]
