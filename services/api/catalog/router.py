"""Reference data: countries, mechanisms and the taxonomies used to tag recommendations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.api import edge
from services.api.deps import Reader, ReadSession
from shared.countries import service
from shared.countries.schemas import CountryDetail, CountryOut, MechanismOut
from shared.reference import taxonomies

router = APIRouter(prefix="/v1", tags=["reference"])
routes = edge.Routes(router)

RegionalGroup = Literal["AFR", "APG", "EEG", "GRULAC", "WEOG"]


@routes.read("/countries", list[CountryOut], "UN member and observer States")
async def list_countries(
    session: ReadSession,
    _reader: Reader,
    regional_group: Annotated[RegionalGroup | None, Query()] = None,
) -> list[CountryOut]:
    """The 193 Member States and 2 observer States, with ISO codes, UN names and regional
    groups."""
    return await service.list_countries(session, regional_group)


@routes.read("/countries/{iso3}", CountryDetail, "One State with counts")
async def get_country(iso3: str, session: ReadSession, _reader: Reader) -> CountryDetail:
    """A State with the number of recommendations it received (by position and by
    implementation status) and of documents about it."""
    return await service.country_detail(session, iso3)


@routes.read("/mechanisms", list[MechanismOut], "Mechanisms")
async def list_mechanisms(session: ReadSession, _reader: Reader) -> list[MechanismOut]:
    """The UPR, the treaty bodies and the special procedures."""
    return await service.list_mechanisms(session)


class ThemeOut(BaseModel):
    code: str | None
    name: str
    level: int | None
    parent_code: str | None


class AffectedPersonOut(BaseModel):
    name: str
    spellings: list[str]


class SdgTargetOut(BaseModel):
    goal: int
    goal_name: str
    target: str
    text: str


@routes.read("/taxonomies/themes", list[ThemeOut], "UHRI themes")
async def list_themes(_reader: Reader) -> list[ThemeOut]:
    """UHRI themes: the coded scheme (A12, D51, ...) and the uncoded names of newer
    matrices. Filters and tags accept either a code or a name."""
    coded = [
        ThemeOut(code=t.code, name=t.name, level=t.level, parent_code=t.parent_code)
        for t in taxonomies.themes()
    ]
    uncoded = [
        ThemeOut(code=None, name=n, level=None, parent_code=None)
        for n in taxonomies.theme_names_uncoded()
    ]
    return coded + uncoded


@routes.read("/taxonomies/affected-persons", list[AffectedPersonOut], "UHRI affected persons")
async def list_affected_persons(_reader: Reader) -> list[AffectedPersonOut]:
    """Groups of persons affected, with the spellings seen in OHCHR matrices."""
    return [
        AffectedPersonOut(name=p.name, spellings=list(p.spellings))
        for p in taxonomies.affected_persons()
    ]


@routes.read("/taxonomies/sdg-targets", list[SdgTargetOut], "SDG targets")
async def list_sdg_targets(
    _reader: Reader, goal: Annotated[int | None, Query(ge=1, le=17)] = None
) -> list[SdgTargetOut]:
    """The 169 targets of the 17 Sustainable Development Goals."""
    return [
        SdgTargetOut(goal=t.goal, goal_name=t.goal_short_name, target=t.target, text=t.text)
        for t in taxonomies.sdg_targets()
        if goal is None or t.goal == goal
    ]
