from __future__ import annotations

from pydantic import BaseModel


class CountryOut(BaseModel):
    iso3: str
    iso2: str
    name: str
    formal_name: str
    un_status: str
    regional_group: str | None


class CountryDetail(CountryOut):
    recommendations: int
    documents: int
    by_position: dict[str, int]
    by_status: dict[str, int]


class MechanismOut(BaseModel):
    code: str
    name: str
    kind: str
