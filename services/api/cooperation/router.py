"""Offers of technical cooperation and their matches with recommendations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.api import edge
from services.api.deps import Reader, ReadSession, RecommendationsWriter, WriteSession
from shared.cooperation import schemas, service

router = APIRouter(prefix="/v1/cooperation", tags=["cooperation"])
routes = edge.Routes(router)

# A write to an offer.
Offer = Annotated[edge.Target, edge.target_of("ident", WriteSession, RecommendationsWriter)]


@routes.read("/offers", schemas.OfferPage, "List offers of cooperation")
async def list_offers(
    paging: edge.Paging,
    session: ReadSession,
    reader: Reader,
    offered_by: Annotated[list[str], Query(description="offering State, ISO3")] = [],  # noqa: B006
    country: Annotated[list[str], Query(description="offers open to this State")] = [],  # noqa: B006
    theme: Annotated[list[str], Query(description="UHRI theme code or name")] = [],  # noqa: B006
    sdg: Annotated[list[str], Query(description="SDG goal (16) or target (16.3)")] = [],  # noqa: B006
    active: Annotated[bool, Query(description="only offers running today")] = False,
) -> schemas.OfferPage:
    """Offers by States (South-South) and organisations, oldest first. `contact` is
    null unless the key has `personal_data:read` (or admin)."""
    return await paging.fetch(
        schemas.OfferPage,
        service.list_offers,
        session,
        reader,
        offered_by_state=offered_by,
        countries=country,
        themes=theme,
        sdg=sdg,
        active=active,
    )


@routes.create("/offers", schemas.OfferOut, "Make an offer of cooperation")
async def create_offer(
    data: schemas.OfferIn, request: Request, session: WriteSession, actor: RecommendationsWriter
) -> Response:
    """Needs `recommendations:write`: for the offering State, or a key not limited to
    countries for an organisation's offer. Themes and SDG codes are checked against the
    reference lists."""
    out = await service.create_offer(session, actor, data)
    return edge.created(request, out, "get_offer", ident=out.id)


@routes.read("/offers/{ident}", schemas.OfferOut, "One offer")
async def get_offer(
    ident: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, reader: Reader
) -> Response:
    """An offer with its `ETag`."""
    out = service.offer_out(await service.get_offer(session, ident), reader)
    return edge.current(out, if_none_match)


@routes.change("/offers/{ident}", schemas.OfferOut, "Change an offer")
async def patch_offer(data: schemas.OfferPatch, version: edge.IfMatch, target: Offer) -> Response:
    """Change an offer (`If-Match` required); end it by setting `period_end`."""
    return edge.versioned(await service.patch_offer(*target.args, version, data))


@routes.read("/matches", schemas.MatchPage, "Offers matched to needs")
async def list_cooperation_matches(
    paging: edge.Paging,
    session: ReadSession,
    _reader: Reader,
    country: Annotated[str, Query(min_length=1, max_length=3, description="ISO3")],
) -> schemas.MatchPage:
    """The State's supported, not yet implemented recommendations that no open action
    (planned, ongoing, delayed) and no programme that has not ended covers, paired with
    the offers running today that may go to that State (never its own). A pair needs a
    shared theme, SDG target or goal, or an offer naming the recommendation. Ranked by
    score = 2 per shared SDG target + 1 per shared goal + 1 per shared theme (+3 when
    named), then the recommendations' order; each match lists its `reasons`."""
    # The page names the State it answers for: the service's model as it is.
    return paging.answer(
        await service.matches(session, country, cursor=paging.cursor, limit=paging.limit)
    )
