"""Offers of cooperation and their matching to recommendations nothing covers yet.

A match pairs a supported, not yet implemented recommendation of the State (with no
open action and no programme that has not ended) with an offer running today that may go
to that State, when they share themes or SDG targets/goals, or when the offer names the
recommendation. Score: 2 per shared SDG target + 1 per shared SDG goal + 1 per shared
theme (+3 when the offer names the recommendation); ties follow the recommendations'
natural order, then the offers' creation order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor, Scope
from shared.cooperation.models import CooperationOffer
from shared.cooperation.repository import OfferRepository
from shared.cooperation.schemas import (
    Match,
    MatchedOffer,
    MatchedRecommendation,
    MatchPage,
    OfferFilter,
    OfferIn,
    OfferOut,
    OfferPatch,
)
from shared.errors import InvalidCursor
from shared.institutions.service import country_code
from shared.kernel import validation
from shared.kernel.concurrency import require_version
from shared.kernel.sdg import sdg_goals_of
from shared.kernel.shapes import shape_of
from shared.pagination import (
    Page,
    decode_cursor,
    decode_time_key,
    encode_cursor,
    split_page,
    split_time_key_page,
)

NAMED_BONUS = 3


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _active(row: CooperationOffer, on: dt.date) -> bool:
    return (row.period_start is None or row.period_start <= on) and (
        row.period_end is None or row.period_end >= on
    )


def offer_out(row: CooperationOffer, actor: Actor | None) -> OfferOut:
    see_contact = actor is not None and actor.has(Scope.PERSONAL_DATA_READ)
    return shape_of(
        OfferOut,
        row,
        active=_active(row, today()),
        contact=row.contact if see_contact else None,
    )


def _snapshot(row: CooperationOffer) -> dict[str, Any]:
    data = offer_out(row, None).model_dump(
        mode="json", exclude={"created_at", "updated_at", "version", "active", "contact"}
    )
    data["contact"] = "[redacted: personal data]" if row.contact else None
    return data


def _require_offer_writer(actor: Actor, state: str | None) -> None:
    # A State's offer belongs to that State; an organisation's needs a key for all States.
    actor.require_country(state)


async def _values(
    session: AsyncSession, changes: dict[str, Any], problems: validation.Problems
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if changes.get("themes") is not None:
        values["themes"] = list(validation.themes(changes["themes"], "themes", problems))
    if changes.get("sdg") is not None:
        goals, targets = validation.sdg(changes["sdg"], "sdg", problems)
        values["sdg_targets"] = list(targets)
        values["sdg_goals"] = sorted(set(goals) | set(sdg_goals_of(targets)))
    if changes.get("countries") is not None:
        values["countries"] = list(
            validation.countries(changes["countries"], "countries", problems)
        )
    if changes.get("recommendation_ids") is not None:
        ids = list(dict.fromkeys(changes["recommendation_ids"]))
        known = await OfferRepository(session).recommendation_states(ids)
        for ident in ids:
            if ident not in known:
                problems.add("recommendation_ids", f"no recommendation {ident}")
        values["recommendation_ids"] = ids
    for key in ("title", "description", "period_start", "period_end", "contact"):
        if key in changes:
            values[key] = changes[key].strip() if isinstance(changes[key], str) else changes[key]
    return values


async def create_offer(session: AsyncSession, actor: Actor, data: OfferIn) -> OfferOut:
    problems = validation.Problems("body")
    if (data.offered_by_state is None) == (data.offered_by_organisation is None):
        problems.add(
            "offered_by_state", "give exactly one of offered_by_state and offered_by_organisation"
        )
    state = None
    if data.offered_by_state is not None:
        codes = validation.countries([data.offered_by_state], "offered_by_state", problems)
        state = codes[0] if codes else None
    values = await _values(session, data.model_dump(), problems)
    if data.period_start and data.period_end and data.period_end < data.period_start:
        problems.add("period_end", "period_end is before period_start")
    problems.raise_if_any()
    _require_offer_writer(actor, state)
    row = CooperationOffer(
        id=uuid.uuid4(),
        offered_by_state=state,
        offered_by_organisation=(
            " ".join(data.offered_by_organisation.split()) if data.offered_by_organisation else None
        ),
        version=1,
        **values,
    )
    await OfferRepository(session).insert(row)
    audit.record_change(
        session,
        actor,
        "cooperation_offer.create",
        row.id,
        after=_snapshot(row),
    )
    return offer_out(row, actor)


async def get_offer(session: AsyncSession, ident: uuid.UUID) -> CooperationOffer:
    return await OfferRepository(session).found("offer of cooperation", ident)


async def patch_offer(
    session: AsyncSession, actor: Actor, ident: uuid.UUID, version: int, data: OfferPatch
) -> OfferOut:
    row = await get_offer(session, ident)
    _require_offer_writer(actor, row.offered_by_state)
    changes = data.model_dump(exclude_unset=True)
    problems = validation.Problems("body")
    for key in ("title", "themes", "sdg", "countries", "recommendation_ids"):
        if key in changes and changes[key] is None:
            problems.add(key, f"{key} cannot be null")
    values = await _values(session, changes, problems)
    start = values.get("period_start", row.period_start)
    end = values.get("period_end", row.period_end)
    if start and end and end < start:
        problems.add("period_end", "period_end is before period_start")
    problems.raise_if_any()
    require_version("offer", row.version, version)
    if not values:
        return offer_out(row, actor)
    before = _snapshot(row)
    await OfferRepository(session).update_row("offer", row, version, values)
    audit.record_change(
        session,
        actor,
        "cooperation_offer.update",
        ident,
        before=before,
        after=_snapshot(row),
    )
    return offer_out(row, actor)


async def list_offers(
    session: AsyncSession,
    actor: Actor | None,
    *,
    offered_by_state: Sequence[str],
    countries: Sequence[str],
    themes: Sequence[str],
    sdg: Sequence[str],
    active: bool,
    cursor: str | None,
    limit: int,
) -> Page[OfferOut]:
    problems = validation.Problems("query")
    states = validation.countries(offered_by_state, "offered_by", problems)
    codes = validation.countries(countries, "country", problems)
    theme_codes = validation.themes(themes, "theme", problems)
    goals, targets = validation.sdg(sdg, "sdg", problems)
    problems.raise_if_any()
    after = decode_time_key(cursor, "offers", dt.datetime.fromisoformat)
    f = OfferFilter(
        offered_by_state=states,
        countries=codes,
        themes=theme_codes,
        goals=goals,
        targets=targets,
        active_on=today() if active else None,
    )
    rows = await OfferRepository(session).page(f, after=after, limit=limit + 1)
    page, next_cursor = split_time_key_page("offers", rows, limit, lambda r: (r.created_at, r.id))
    return Page(items=[offer_out(r, actor) for r in page], next_cursor=next_cursor)


# --- matches ---------------------------------------------------------------------------------

# (-score, document date, paragraph key, recommendation id, offer created_at, offer id):
# a total order on stable values, so pages are keyset-based like every other list.
MatchKey = tuple[int, dt.date, tuple[int, ...], str, dt.datetime, str]


def _key(values: list[Any]) -> MatchKey:
    points, date, para, rec_id, created, offer_id = values
    if not all(isinstance(p, int) for p in para):
        raise ValueError("paragraph key")
    return (
        -int(points),
        dt.date.fromisoformat(date),
        tuple(para),
        str(uuid.UUID(rec_id)),
        dt.datetime.fromisoformat(created),
        str(uuid.UUID(offer_id)),
    )


def _cursor_values(key: MatchKey) -> list[Any]:
    return [-key[0], key[1].isoformat(), list(key[2]), key[3], key[4].isoformat(), key[5]]


def score(rec: Any, offer: CooperationOffer) -> tuple[int, list[str]]:
    """The score of a (recommendation, offer) pair and the reasons, most specific first."""
    offer_targets, offer_goals = set(offer.sdg_targets), set(offer.sdg_goals)
    offer_themes = set(offer.themes)
    targets = [t for t in rec.sdg_targets if t in offer_targets]
    goals = [g for g in rec.sdg_goals if g in offer_goals]
    themes = [t for t in rec.themes if t in offer_themes]
    named = rec.id in offer.recommendation_ids
    reasons = (["named by the offer"] if named else []) + [
        *(f"SDG target {t}" for t in targets),
        *(f"SDG goal {g}" for g in goals),
        *(f"theme {t}" for t in themes),
    ]
    total = 2 * len(targets) + len(goals) + len(themes) + (NAMED_BONUS if named else 0)
    return total, reasons


async def matches(
    session: AsyncSession, country: str, *, cursor: str | None, limit: int
) -> MatchPage:
    country = country_code(country)
    on = today()
    repo = OfferRepository(session)
    offers = await repo.offers_for(country, on)
    found: list[tuple[MatchKey, Match]] = []
    if offers:
        for rec in await repo.candidates(country, on):
            for offer in offers:
                if offer.recommendation_ids and rec.id not in offer.recommendation_ids:
                    continue
                points, reasons = score(rec, offer)
                if points <= 0:
                    continue
                found.append(
                    (
                        (
                            -points,
                            rec.document_date,
                            tuple(rec.paragraph_key),
                            str(rec.id),
                            offer.created_at,
                            str(offer.id),
                        ),
                        Match(
                            score=points,
                            reasons=reasons,
                            recommendation=MatchedRecommendation(
                                id=rec.id,
                                ref=rec.ref,
                                text=rec.text,
                                themes=list(rec.themes),
                                sdg_targets=list(rec.sdg_targets),
                                status=rec.status,
                            ),
                            offer=MatchedOffer(
                                id=offer.id,
                                title=offer.title,
                                offered_by_state=offer.offered_by_state,
                                offered_by_organisation=offer.offered_by_organisation,
                            ),
                        ),
                    )
                )
    found.sort(key=lambda pair: pair[0])
    if cursor:
        values = decode_cursor(cursor, f"matches:{country}", [int, str, list, str, str, str])
        try:
            after = _key(values)
        except (ValueError, TypeError):
            raise InvalidCursor("the cursor is malformed") from None
        found = [pair for pair in found if pair[0] > after]
    page, next_cursor = split_page(
        found, limit, lambda pair: encode_cursor(f"matches:{country}", _cursor_values(pair[0]))
    )
    return MatchPage(country=country, items=[m for _, m in page], next_cursor=next_cursor)
