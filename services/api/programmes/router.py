"""Programmes: technical cooperation, its partners, the recommendations it supports,
indicators with measurements, milestones and evaluations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.api import edge
from services.api.deps import ProgrammesWriter, Reader, ReadSession, WriteSession
from shared.kernel import validation
from shared.programmes import indicators, links, milestones, service
from shared.programmes.schemas import (
    EvaluationIn,
    EvaluationOut,
    EvaluationPatch,
    IndicatorIn,
    IndicatorOut,
    LinkedProgrammePage,
    LinkedRecommendation,
    LinkedRecommendationPage,
    LinkIn,
    MeasurementIn,
    MeasurementOut,
    MeasurementPage,
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
    PartnerOut,
    ProgrammeFilter,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammePage,
    ProgrammePatch,
    ProgrammeStatus,
)

# Prefix /v1, not /v1/programmes: this router also answers /v1/partners and
# /v1/recommendations/{id}/programmes (it is included before the recommendations router,
# whose catch-all GET /v1/recommendations/{rec_id:anything} would otherwise shadow the latter).
router = APIRouter(prefix="/v1", tags=["programmes"])


def programme_filter(
    country: edge.CountryParam = [],  # noqa: B006
    status: Annotated[list[ProgrammeStatus], Query(description="from the dates")] = [],  # noqa: B006
    partner: Annotated[list[str], Query(description="partner code or name")] = [],  # noqa: B006
    mandate: Annotated[list[uuid.UUID], Query(description="mandate id")] = [],  # noqa: B006
    active_on: Annotated[dt.date | None, Query(description="running on this day")] = None,
    theme: Annotated[list[str], Query(description="UHRI theme code or name")] = [],  # noqa: B006
    sdg: Annotated[list[str], Query(description="SDG goal (16) or target (16.3)")] = [],  # noqa: B006
    q: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> ProgrammeFilter:
    problems = validation.Problems("query")
    goals, targets = validation.sdg(sdg, "sdg", problems)
    # Partner names resolve in the service; codes are matched case-insensitively here.
    f = ProgrammeFilter(
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


Filter = Annotated[ProgrammeFilter, Depends(programme_filter)]


@router.get("/partners", response_model=list[PartnerOut], summary="Partner organisations")
async def list_partners(session: ReadSession, _reader: Reader) -> list[PartnerOut]:
    """The organisations programmes can name as partners (a reference list)."""
    return await service.partners(session)


@router.get("/programmes", response_model=ProgrammePage, summary="List programmes")
async def list_programmes(
    paging: edge.Paging, session: ReadSession, _reader: Reader, f: Filter
) -> ProgrammePage:
    """Programmes matching every filter, ordered by start date. `status` is derived from
    the dates (`planned`, `active`, `completed`); `active_on` keeps those running that
    day."""
    f = await service.resolve_partner_filter(session, f)
    page = await service.list_page(session, f, cursor=paging.cursor, limit=paging.limit)
    return paging.answer_as(page, ProgrammePage)


@router.post(
    "/programmes",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgrammeOut,
    summary="Create a programme",
)
async def create_programme(
    data: ProgrammeIn,
    request: Request,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> Response:
    """Create a programme. Needs `programmes:write` for its country (for a regional one,
    every country it covers). Partners, themes, SDG targets and the mandate are checked
    against their reference lists (422 naming each unknown value)."""
    out = await service.create(session, actor, data)
    return edge.created(request, out, "get_programme", programme_id=out.id)


@router.get("/programmes/{programme_id}", response_model=ProgrammeOut, summary="One programme")
async def get_programme(
    programme_id: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, _reader: Reader
) -> Response:
    """A programme; carries an `ETag` (its version moves with every change of the
    programme or of its links, indicators, milestones and evaluations)."""
    return edge.current(await service.get(session, programme_id), if_none_match)


@router.patch(
    "/programmes/{programme_id}",
    response_model=ProgrammeOut,
    summary="Change a programme",
)
async def patch_programme(
    programme_id: uuid.UUID,
    changes: ProgrammePatch,
    version: edge.IfMatch,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> Response:
    """Change a programme; `If-Match` is required (428 without, 412 when stale). Lists
    (partners, themes, ...) are replaced whole."""
    return edge.versioned(await service.patch(session, actor, programme_id, version, changes))


@router.delete(
    "/programmes/{programme_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a programme",
)
async def delete_programme(
    programme_id: uuid.UUID,
    version: edge.OptionalIfMatch,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> Response:
    """Delete a programme with its links, indicators, milestones, evaluations and
    deadlines. `If-Match` is checked when sent."""
    await service.delete(session, actor, programme_id, version)
    return Response(status_code=204)


# --- links ------------------------------------------------------------------------------


@router.get(
    "/programmes/{programme_id}/recommendations",
    response_model=LinkedRecommendationPage,
    summary="Recommendations a programme supports",
)
async def list_programme_recommendations(
    programme_id: uuid.UUID, paging: edge.Paging, session: ReadSession, _reader: Reader
) -> LinkedRecommendationPage:
    """The linked recommendations with the note of each link, ordered by ref."""
    page = await links.linked_recommendations(
        session, programme_id, cursor=paging.cursor, limit=paging.limit
    )
    return paging.answer_as(page, LinkedRecommendationPage)


@router.post(
    "/programmes/{programme_id}/recommendations",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkedRecommendation,
    responses={200: {"description": "The link existed: its note changed"}},
    summary="Link a recommendation",
)
async def link_programme_recommendation(
    programme_id: uuid.UUID,
    data: LinkIn,
    response: Response,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> LinkedRecommendation:
    """Link a recommendation (by `recommendation_id` or `ref`) with a note. It must be
    addressed to the programme's country, or to a country a regional programme covers
    (422 otherwise). Linking again changes the note (200)."""
    out, created = await links.link(session, actor, programme_id, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.delete(
    "/programmes/{programme_id}/recommendations/{rec_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unlink a recommendation",
)
async def unlink_programme_recommendation(
    programme_id: uuid.UUID, rec_id: uuid.UUID, session: WriteSession, actor: ProgrammesWriter
) -> Response:
    """Remove the link between a programme and a recommendation."""
    await links.unlink(session, actor, programme_id, rec_id)
    return Response(status_code=204)


@router.get(
    "/recommendations/{rec_id}/programmes",
    response_model=LinkedProgrammePage,
    summary="Programmes supporting a recommendation",
)
async def list_recommendation_programmes(
    rec_id: uuid.UUID, paging: edge.Paging, session: ReadSession, _reader: Reader
) -> LinkedProgrammePage:
    """The programmes linked to a recommendation, by start date, with each link's note."""
    page = await links.programmes_of_recommendation(
        session, rec_id, cursor=paging.cursor, limit=paging.limit
    )
    return paging.answer_as(page, LinkedProgrammePage)


# --- indicators -------------------------------------------------------------------------


@router.get(
    "/programmes/{programme_id}/indicators",
    response_model=list[IndicatorOut],
    summary="Indicators of a programme",
)
async def list_indicators(
    programme_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> list[IndicatorOut]:
    """The performance indicators, each with its latest measurement."""
    return await indicators.list_indicators(session, programme_id)


@router.post(
    "/programmes/{programme_id}/indicators",
    status_code=status.HTTP_201_CREATED,
    response_model=IndicatorOut,
    summary="Add an indicator",
)
async def create_indicator(
    programme_id: uuid.UUID,
    data: IndicatorIn,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> IndicatorOut:
    """An indicator with its baseline, target, unit and measurement frequency."""
    out = await indicators.add_indicator(session, actor, programme_id, data)
    edge.set_location(
        request, response, "get_indicator", programme_id=programme_id, indicator_id=out.id
    )
    return out


@router.get(
    "/programmes/{programme_id}/indicators/{indicator_id}",
    response_model=IndicatorOut,
    summary="One indicator",
)
async def get_indicator(
    programme_id: uuid.UUID, indicator_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> IndicatorOut:
    """One indicator with its latest measurement."""
    return await indicators.get_indicator(session, programme_id, indicator_id)


@router.delete(
    "/programmes/{programme_id}/indicators/{indicator_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an indicator",
)
async def delete_indicator(
    programme_id: uuid.UUID,
    indicator_id: uuid.UUID,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> Response:
    """Delete an indicator and its measurements."""
    await indicators.delete_indicator(session, actor, programme_id, indicator_id)
    return Response(status_code=204)


@router.get(
    "/programmes/{programme_id}/indicators/{indicator_id}/measurements",
    response_model=MeasurementPage,
    summary="Measurements of an indicator",
)
async def list_measurements(
    programme_id: uuid.UUID,
    indicator_id: uuid.UUID,
    paging: edge.Paging,
    session: ReadSession,
    _reader: Reader,
) -> MeasurementPage:
    """Dated values, oldest first."""
    page = await indicators.list_measurements(
        session, programme_id, indicator_id, cursor=paging.cursor, limit=paging.limit
    )
    return paging.answer_as(page, MeasurementPage)


@router.post(
    "/programmes/{programme_id}/indicators/{indicator_id}/measurements",
    status_code=status.HTTP_201_CREATED,
    response_model=MeasurementOut,
    summary="Record a measurement",
)
async def create_measurement(
    programme_id: uuid.UUID,
    indicator_id: uuid.UUID,
    data: MeasurementIn,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> MeasurementOut:
    """A dated value of the indicator; the date must lie within the programme period."""
    return await indicators.add_measurement(session, actor, programme_id, indicator_id, data)


# --- milestones and evaluations ---------------------------------------------------------


@router.get(
    "/programmes/{programme_id}/milestones",
    response_model=list[MilestoneOut],
    summary="Milestones of a programme",
)
async def list_milestones(
    programme_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> list[MilestoneOut]:
    """Milestones by due date."""
    return await milestones.MILESTONES.list_all(session, programme_id)


@router.post(
    "/programmes/{programme_id}/milestones",
    status_code=status.HTTP_201_CREATED,
    response_model=MilestoneOut,
    summary="Add a milestone",
)
async def create_milestone(
    programme_id: uuid.UUID, data: MilestoneIn, session: WriteSession, actor: ProgrammesWriter
) -> MilestoneOut:
    """A milestone; its due date becomes a deadline (met once `achieved_on` is set)."""
    return await milestones.MILESTONES.add(session, actor, programme_id, data)


@router.patch(
    "/programmes/{programme_id}/milestones/{milestone_id}",
    response_model=MilestoneOut,
    summary="Change a milestone",
)
async def patch_milestone(
    programme_id: uuid.UUID,
    milestone_id: uuid.UUID,
    changes: MilestonePatch,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> MilestoneOut:
    """Change a milestone (e.g. set `achieved_on`); its deadline follows."""
    return await milestones.MILESTONES.patch(session, actor, programme_id, milestone_id, changes)


@router.delete(
    "/programmes/{programme_id}/milestones/{milestone_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a milestone",
)
async def delete_milestone(
    programme_id: uuid.UUID,
    milestone_id: uuid.UUID,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> Response:
    """Delete a milestone and its deadline."""
    await milestones.MILESTONES.delete(session, actor, programme_id, milestone_id)
    return Response(status_code=204)


@router.get(
    "/programmes/{programme_id}/evaluations",
    response_model=list[EvaluationOut],
    summary="Evaluations of a programme",
)
async def list_evaluations(
    programme_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> list[EvaluationOut]:
    """Evaluations by date."""
    return await milestones.EVALUATIONS.list_all(session, programme_id)


@router.post(
    "/programmes/{programme_id}/evaluations",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationOut,
    summary="Add an evaluation",
)
async def create_evaluation(
    programme_id: uuid.UUID,
    data: EvaluationIn,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> EvaluationOut:
    """A planned or completed evaluation; its date becomes a deadline (met once it has
    `findings`)."""
    return await milestones.EVALUATIONS.add(session, actor, programme_id, data)


@router.patch(
    "/programmes/{programme_id}/evaluations/{evaluation_id}",
    response_model=EvaluationOut,
    summary="Change an evaluation",
)
async def patch_evaluation(
    programme_id: uuid.UUID,
    evaluation_id: uuid.UUID,
    changes: EvaluationPatch,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> EvaluationOut:
    """Change an evaluation (e.g. record its `findings`); its deadline follows."""
    return await milestones.EVALUATIONS.patch(session, actor, programme_id, evaluation_id, changes)


@router.delete(
    "/programmes/{programme_id}/evaluations/{evaluation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an evaluation",
)
async def delete_evaluation(
    programme_id: uuid.UUID,
    evaluation_id: uuid.UUID,
    session: WriteSession,
    actor: ProgrammesWriter,
) -> Response:
    """Delete an evaluation and its deadline."""
    await milestones.EVALUATIONS.delete(session, actor, programme_id, evaluation_id)
    return Response(status_code=204)
