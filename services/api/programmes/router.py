"""Programmes: technical cooperation, its partners, the recommendations it supports,
indicators with measurements, milestones and evaluations."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel

from services.api import edge
from services.api.deps import ProgrammesWriter, Reader, ReadSession, WriteSession
from shared.kernel import validation
from shared.programmes import indicators, links, milestones, schemas, service

# Prefix /v1, not /v1/programmes: this router also answers /v1/partners and
# /v1/recommendations/{id}/programmes (it is included before the recommendations router,
# whose catch-all GET /v1/recommendations/{rec_id:anything} would otherwise shadow the latter).
router = APIRouter(prefix="/v1", tags=["programmes"])
routes = edge.Routes(router)
# What belongs to one programme: its links, indicators, milestones and evaluations.
parts = edge.Routes(APIRouter(prefix="/programmes/{programme_id}"))


def programme_filter(
    country: edge.CountryParam = [],  # noqa: B006
    status: Annotated[list[schemas.ProgrammeStatus], Query(description="from the dates")] = [],  # noqa: B006
    partner: Annotated[list[str], Query(description="partner code or name")] = [],  # noqa: B006
    mandate: Annotated[list[uuid.UUID], Query(description="mandate id")] = [],  # noqa: B006
    active_on: Annotated[dt.date | None, Query(description="running on this day")] = None,
    theme: Annotated[list[str], Query(description="UHRI theme code or name")] = [],  # noqa: B006
    sdg: Annotated[list[str], Query(description="SDG goal (16) or target (16.3)")] = [],  # noqa: B006
    q: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> schemas.ProgrammeFilter:
    problems = validation.Problems("query")
    goals, targets = validation.sdg(sdg, "sdg", problems)
    # Partner names resolve in the service; codes are matched case-insensitively here.
    f = schemas.ProgrammeFilter(
        countries=validation.countries(country, "country", problems),
        statuses=tuple(dict.fromkeys(status)),
        partners=tuple(dict.fromkeys(p.strip() for p in partner if p.strip())),
        mandates=tuple(dict.fromkeys(mandate)),
        active_on=active_on,
        themes=validation.themes(theme, "theme", problems),
        sdg_goals=goals,
        sdg_targets=targets,
        q=q.strip() if q and q.strip() else None,
    )
    problems.raise_if_any()
    return f


Filter = Annotated[schemas.ProgrammeFilter, Depends(programme_filter)]


# A write to a programme or to one of its parts.
Programme = Annotated[edge.Target, edge.target_of("programme_id", WriteSession, ProgrammesWriter)]


@routes.read("/partners", list[schemas.PartnerOut], "Partner organisations")
async def list_partners(session: ReadSession, _reader: Reader) -> list[schemas.PartnerOut]:
    """The organisations programmes can name as partners (a reference list)."""
    return await service.partners(session)


@routes.read("/programmes", schemas.ProgrammePage, "List programmes")
async def list_programmes(
    paging: edge.Paging, session: ReadSession, _reader: Reader, f: Filter
) -> schemas.ProgrammePage:
    """Programmes matching every filter, ordered by start date. `status` is derived from
    the dates (`planned`, `active`, `completed`); `active_on` keeps those running that
    day."""
    f = await service.resolve_partner_filter(session, f)
    return await paging.fetch(schemas.ProgrammePage, service.list_page, session, f)


@routes.create("/programmes", schemas.ProgrammeOut, "Create a programme")
async def create_programme(
    data: schemas.ProgrammeIn, request: Request, session: WriteSession, actor: ProgrammesWriter
) -> Response:
    """Create a programme. Needs `programmes:write` for its country (for a regional one,
    every country it covers). Partners, themes, SDG targets and the mandate are checked
    against their reference lists (422 naming each unknown value)."""
    out = await service.create(session, actor, data)
    return edge.created(request, out, "get_programme", programme_id=out.id)


@routes.read("/programmes/{programme_id}", schemas.ProgrammeOut, "One programme")
async def get_programme(
    programme_id: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, _reader: Reader
) -> Response:
    """A programme; carries an `ETag` (its version moves with every change of the
    programme or of its links, indicators, milestones and evaluations)."""
    return edge.current(await service.get(session, programme_id), if_none_match)


@routes.change("/programmes/{programme_id}", schemas.ProgrammeOut, "Change a programme")
async def patch_programme(
    changes: schemas.ProgrammePatch, version: edge.IfMatch, target: Programme
) -> Response:
    """Change a programme; `If-Match` is required (428 without, 412 when stale). Lists
    (partners, themes, ...) are replaced whole."""
    return edge.versioned(await service.patch(*target.args, version, changes))


@routes.delete("/programmes/{programme_id}", "Delete a programme")
async def delete_programme(version: edge.OptionalIfMatch, target: Programme) -> None:
    """Delete a programme with its links, indicators, milestones, evaluations and
    deadlines. `If-Match` is checked when sent."""
    await service.delete(*target.args, version)


@routes.read(
    "/recommendations/{rec_id}/programmes",
    schemas.LinkedProgrammePage,
    "Programmes supporting a recommendation",
)
async def list_recommendation_programmes(
    rec_id: uuid.UUID, paging: edge.Paging, session: ReadSession, _reader: Reader
) -> schemas.LinkedProgrammePage:
    """The programmes linked to a recommendation, by start date, with each link's note."""
    return await paging.fetch(
        schemas.LinkedProgrammePage, links.programmes_of_recommendation, session, rec_id
    )


# --- links ------------------------------------------------------------------------------


@parts.read(
    "/recommendations", schemas.LinkedRecommendationPage, "Recommendations a programme supports"
)
async def list_programme_recommendations(
    programme_id: uuid.UUID, paging: edge.Paging, session: ReadSession, _reader: Reader
) -> schemas.LinkedRecommendationPage:
    """The linked recommendations with the note of each link, ordered by ref."""
    return await paging.fetch(
        schemas.LinkedRecommendationPage, links.linked_recommendations, session, programme_id
    )


_NOTE_CHANGED = {200: {"description": "The link existed: its note changed"}}


@parts.create(
    "/recommendations",
    schemas.LinkedRecommendation,
    "Link a recommendation",
    responses=_NOTE_CHANGED,
)
async def link_programme_recommendation(
    target: Programme, data: schemas.LinkIn, response: Response
) -> schemas.LinkedRecommendation:
    """Link a recommendation (by `recommendation_id` or `ref`) with a note. It must be
    addressed to the programme's country, or to a country a regional programme covers
    (422 otherwise). Linking again changes the note (200)."""
    out, created = await links.link(*target.args, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@parts.delete("/recommendations/{rec_id}", "Unlink a recommendation")
async def unlink_programme_recommendation(target: Programme, rec_id: uuid.UUID) -> None:
    """Remove the link between a programme and a recommendation."""
    await links.unlink(*target.args, rec_id)


# --- indicators -------------------------------------------------------------------------


@parts.read("/indicators", list[schemas.IndicatorOut], "Indicators of a programme")
async def list_indicators(
    programme_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> list[schemas.IndicatorOut]:
    """The performance indicators, each with its latest measurement."""
    return await indicators.list_indicators(session, programme_id)


@parts.create("/indicators", schemas.IndicatorOut, "Add an indicator")
async def create_indicator(
    target: Programme, data: schemas.IndicatorIn, request: Request, response: Response
) -> schemas.IndicatorOut:
    """An indicator with its baseline, target, unit and measurement frequency."""
    out = await indicators.add_indicator(*target.args, data)
    edge.set_location(
        request, response, "get_indicator", programme_id=target.id, indicator_id=out.id
    )
    return out


@parts.read("/indicators/{indicator_id}", schemas.IndicatorOut, "One indicator")
async def get_indicator(
    programme_id: uuid.UUID, indicator_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> schemas.IndicatorOut:
    """One indicator with its latest measurement."""
    return await indicators.get_indicator(session, programme_id, indicator_id)


@parts.delete("/indicators/{indicator_id}", "Delete an indicator")
async def delete_indicator(target: Programme, indicator_id: uuid.UUID) -> None:
    """Delete an indicator and its measurements."""
    await indicators.delete_indicator(*target.args, indicator_id)


@parts.read(
    "/indicators/{indicator_id}/measurements",
    schemas.MeasurementPage,
    "Measurements of an indicator",
)
async def list_measurements(
    programme_id: uuid.UUID,
    indicator_id: uuid.UUID,
    paging: edge.Paging,
    session: ReadSession,
    _reader: Reader,
) -> schemas.MeasurementPage:
    """Dated values, oldest first."""
    return await paging.fetch(
        schemas.MeasurementPage, indicators.list_measurements, session, programme_id, indicator_id
    )


@parts.create(
    "/indicators/{indicator_id}/measurements", schemas.MeasurementOut, "Record a measurement"
)
async def create_measurement(
    target: Programme, indicator_id: uuid.UUID, data: schemas.MeasurementIn
) -> schemas.MeasurementOut:
    """A dated value of the indicator; the date must lie within the programme period."""
    return await indicators.add_measurement(*target.args, indicator_id, data)


# --- milestones and evaluations ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatedDocs:
    """What the document says of the routes of one kind of dated part."""

    a: str  # "a milestone": the summaries are "Add a milestone", "Delete a milestone"...
    listed: str
    added: str
    changed: str
    deleted: str


def dated_routes(
    kind: milestones.DatedParts[Any, Any, Any], patch_model: type[BaseModel], docs: DatedDocs
) -> None:
    """The routes of a kind of dated part (milestones, evaluations): list, add, change and
    delete, named as if written one by one (`list_milestones`, `create_milestone`...)."""
    what = kind.what
    # The path names the part's id after its kind: `{milestone_id}`, `{evaluation_id}`.
    path_part = edge.path_id(f"{what}_id")

    async def list_all(programme_id: uuid.UUID, session: ReadSession, _reader: Reader) -> Any:
        return await kind.list_all(session, programme_id)

    async def create(target: Programme, data: Any) -> Any:
        return await kind.add(*target.args, data)

    async def patch(target: Programme, changes: Any, part_id: uuid.UUID = path_part) -> Any:
        return await kind.patch(*target.args, part_id, changes)

    async def delete(target: Programme, part_id: uuid.UUID = path_part) -> None:
        await kind.delete(*target.args, part_id)

    # The models of the bodies, which FastAPI reads from the annotations.
    create.__annotations__["data"] = kind.fields
    patch.__annotations__["changes"] = patch_model
    many, one = f"/{what}s", f"/{what}s/{{{what}_id}}"
    out = kind.out
    list_all.__doc__, create.__doc__ = docs.listed, docs.added
    patch.__doc__, delete.__doc__ = docs.changed, docs.deleted
    parts.read(many, list[out], f"{what.title()}s of a programme", name=f"list_{what}s")(list_all)  # type: ignore[valid-type]
    parts.create(many, out, f"Add {docs.a}", name=f"create_{what}")(create)
    parts.change(one, out, f"Change {docs.a}", name=f"patch_{what}")(patch)
    parts.delete(one, f"Delete {docs.a}", name=f"delete_{what}")(delete)


dated_routes(
    milestones.MILESTONES,
    schemas.MilestonePatch,
    DatedDocs(
        a="a milestone",
        listed="Milestones by due date.",
        added="A milestone; its due date becomes a deadline (met once `achieved_on` is set).",
        changed="Change a milestone (e.g. set `achieved_on`); its deadline follows.",
        deleted="Delete a milestone and its deadline.",
    ),
)
dated_routes(
    milestones.EVALUATIONS,
    schemas.EvaluationPatch,
    DatedDocs(
        a="an evaluation",
        listed="Evaluations by date.",
        added="A planned or completed evaluation; its date becomes a deadline (met once it has\n"
        "`findings`).",
        changed="Change an evaluation (e.g. record its `findings`); its deadline follows.",
        deleted="Delete an evaluation and its deadline.",
    ),
)
router.include_router(parts.router)
