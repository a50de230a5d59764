"""Builds documents and recommendations directly in the test transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from shared.documents.models import Document
from shared.kernel.paragraphs import natural_key
from shared.kernel.sdg import sdg_goals_of
from shared.recommendations.models import Recommendation, RecommendingState


async def document(
    session: AsyncSession,
    symbol: str,
    state: str,
    date: dt.date,
    *,
    kind: str = "wg_report",
    cycle: int = 3,
    session_no: int = 34,
    mechanism: str = "UPR",
) -> Document:
    doc = Document(
        id=uuid.uuid4(),
        symbol=symbol,
        kind=kind,
        state_under_review=state,
        mechanism=mechanism,
        cycle=cycle,
        session=session_no,
        date=date,
        sha256=uuid.uuid4().hex + uuid.uuid4().hex,
        size=1,
        provenance={},
        warnings=[],
    )
    session.add(doc)
    await session.flush()
    return doc


async def recommendation(
    session: AsyncSession,
    doc: Document,
    paragraph: str,
    text: str,
    *,
    recommending: Sequence[tuple[str, str | None]] = (("France", "FRA"),),
    position: str = "supported",
    status: str = "no_information",
    themes: Sequence[str] = (),
    affected_persons: Sequence[str] = (),
    sdg_targets: Sequence[str] = (),
    institutions: Sequence[str] = (),
    kind: str = "recommendation",
) -> Recommendation:
    assert doc.symbol is not None
    assert doc.date is not None
    assert doc.state_under_review
    rec = Recommendation(
        id=uuid.uuid4(),
        ref=f"{doc.symbol}#{paragraph}",
        kind=kind,
        document_id=doc.id,
        document_symbol=doc.symbol,
        document_date=doc.date,
        paragraph=paragraph,
        paragraph_key=natural_key(paragraph),
        text=text,
        state_under_review=doc.state_under_review,
        mechanism=doc.mechanism,
        cycle=doc.cycle,
        session=doc.session,
        position=position,
        position_source=doc.symbol,
        themes=list(themes),
        affected_persons=list(affected_persons),
        sdg_targets=[t for t in sdg_targets if "." in t],
        sdg_goals=sdg_goals_of(sdg_targets),
        institutions=list(institutions),
        status=status,
    )
    session.add(rec)
    await session.flush()
    for i, (name, iso3) in enumerate(recommending):
        session.add(RecommendingState(recommendation_id=rec.id, ordinal=i, name=name, iso3=iso3))
    await session.flush()
    return rec
