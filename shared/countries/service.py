from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.countries.models import Country
from shared.countries.repository import CountryRepository
from shared.countries.schemas import CountryDetail, CountryOut, MechanismOut
from shared.errors import NotFound


def _out(c: Country) -> CountryOut:
    return CountryOut(
        iso3=c.iso3,
        iso2=c.iso2,
        name=c.name,
        formal_name=c.formal_name,
        un_status=c.un_status,
        regional_group=c.regional_group,
    )


async def list_countries(session: AsyncSession, regional_group: str | None) -> list[CountryOut]:
    return [_out(c) for c in await CountryRepository(session).list(regional_group)]


async def country_detail(session: AsyncSession, iso3: str) -> CountryDetail:
    repo = CountryRepository(session)
    country = await repo.get(iso3.upper())
    if country is None:
        raise NotFound(f"no country {iso3!r}: use an ISO 3166-1 alpha-3 code")
    by_position = await repo.counts(country.iso3, "position")
    return CountryDetail(
        **_out(country).model_dump(),
        recommendations=sum(by_position.values()),
        documents=await repo.document_count(country.iso3),
        by_position=by_position,
        by_status=await repo.counts(country.iso3, "status"),
    )


async def list_mechanisms(session: AsyncSession) -> list[MechanismOut]:
    return [
        MechanismOut(code=m.code, name=m.name, kind=m.kind)
        for m in await CountryRepository(session).mechanisms()
    ]
