"""Offers of technical cooperation and their matches with recommendations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.api.deps import Reader, ReadSession, RecommendationsWriter, WriteSession
from services.api.etag import etag_for, not_modified, required_version
from services.api.pagination import LimitParam, link_header
from services.api.problems import PROBLEM_RESPONSES
from shared.cooperation import service
from shared.cooperation.schemas import MatchPage, OfferIn, OfferOut, OfferPage, OfferPatch
from shared.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/cooperation", tags=["cooperation"], responses=PROBLEM_RESPONSES)

Cursor = Annotated[str | None, Query(max_length=2000)]


def _json(out: OfferOut, *, status_code: int = 200) -> Response:
    return Response(
        content=out.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag_for(out.version), "Vary": "Authorization"},
    )


@router.get("/offers", response_model=OfferPage, summary="List offers of cooperation")
async def list_offers(
    request: Request,
    response: Response,
    session: ReadSession,
    reader: Reader,
    offered_by: Annotated[list[str], Query(description="offering State, ISO3")] = [],  # noqa: B006
    country: Annotated[list[str], Query(description="offers open to this State")] = [],  # noqa: B006
    theme: Annotated[list[str], Query(description="UHRI theme code or name")] = [],  # noqa: B006
    sdg: Annotated[list[str], Query(description="SDG goal (16) or target (16.3)")] = [],  # noqa: B006
    active: Annotated[bool, Query(description="only offers running today")] = False,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> OfferPage:
    """Offers by States (South-South) and organisations, oldest first. `contact` is
    null unless the key has `personal_data:read` (or admin)."""
    page = await service.list_offers(
        session,
        reader,
        offered_by_state=offered_by,
        countries=country,
        themes=theme,
        sdg=sdg,
        active=active,
        cursor=cursor,
        limit=limit,
    )
    link_header(request, response, page.next_cursor)
    response.headers["Vary"] = "Authorization"
    return OfferPage(items=page.items, next_cursor=page.next_cursor)


@router.post(
    "/offers",
    status_code=status.HTTP_201_CREATED,
    response_model=OfferOut,
    summary="Make an offer of cooperation",
)
async def create_offer(
    data: OfferIn, request: Request, session: WriteSession, actor: RecommendationsWriter
) -> Response:
    """Needs `recommendations:write`: for the offering State, or a key not limited to
    countries for an organisation's offer. Themes and SDG codes are checked against the
    reference lists."""
    out = await service.create_offer(session, actor, data)
    response = _json(out, status_code=201)
    response.headers["Location"] = str(request.url_for("get_offer", ident=str(out.id)))
    return response


@router.get(
    "/offers/{ident}",
    response_model=OfferOut,
    responses={304: {"description": "Not modified"}},
    summary="One offer",
)
async def get_offer(
    ident: uuid.UUID, request: Request, session: ReadSession, reader: Reader
) -> Response:
    """An offer with its `ETag`."""
    out = service.offer_out(await service.get_offer(session, ident), reader)
    if not_modified(request, etag_for(out.version)):
        return Response(status_code=304, headers={"ETag": etag_for(out.version)})
    return _json(out)


@router.patch(
    "/offers/{ident}",
    response_model=OfferOut,
    responses={
        412: PROBLEM_RESPONSES[400] | {"description": "Stale version"},
        428: PROBLEM_RESPONSES[400] | {"description": "If-Match required"},
    },
    summary="Change an offer",
)
async def patch_offer(
    ident: uuid.UUID,
    data: OfferPatch,
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """Change an offer (`If-Match` required); end it by setting `period_end`."""
    version = required_version(request)
    return _json(await service.patch_offer(session, actor, ident, version, data))


@router.get("/matches", response_model=MatchPage, summary="Offers matched to needs")
async def matches(
    request: Request,
    response: Response,
    session: ReadSession,
    _reader: Reader,
    country: Annotated[str, Query(min_length=1, max_length=3, description="ISO3")],
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> MatchPage:
    """The State's supported, not yet implemented recommendations that no open action
    (planned, ongoing, delayed) and no programme that has not ended covers, paired with
    the offers running today that may go to that State (never its own). A pair needs a
    shared theme, SDG target or goal, or an offer naming the recommendation. Ranked by
    score = 2 per shared SDG target + 1 per shared goal + 1 per shared theme (+3 when
    named), then the recommendations' order; each match lists its `reasons`."""
    page = await service.matches(session, country, cursor=cursor, limit=limit)
    link_header(request, response, page.next_cursor)
    return page
