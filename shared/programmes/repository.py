"""All SQL of programmes, their partners, links, indicators, milestones and evaluations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Row, and_, delete, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on, insert

from shared.db import Base
from shared.kernel.repository import Repository, keyset_page, tagged_sdg
from shared.mandates.models import Mandate
from shared.mandates.repository import presence_filtered
from shared.programmes.models import (
    Evaluation,
    Indicator,
    Measurement,
    Milestone,
    Partner,
    Programme,
    ProgrammePartner,
    ProgrammeRecommendation,
)
from shared.programmes.schemas import ProgrammeFilter
from shared.recommendations.models import Recommendation

PartT = TypeVar("PartT", Indicator, Milestone, Evaluation)

# The column each kind of part is listed by (then by id).
_PART_ORDER: dict[type[Base], str] = {
    Indicator: "created_at",
    Milestone: "due_date",
    Evaluation: "date",
}


class ProgrammeRepository(Repository[Programme]):
    model = Programme

    # --- programmes ----------------------------------------------------------------------

    async def page(
        self,
        f: ProgrammeFilter,
        *,
        today: dt.date,
        after: tuple[dt.date, uuid.UUID] | None,
        limit: int,
        recommendation_id: uuid.UUID | None = None,
    ) -> Sequence[Programme]:
        p = Programme
        query = select(p)
        if recommendation_id is not None:
            query = query.join(
                ProgrammeRecommendation,
                and_(
                    ProgrammeRecommendation.programme_id == p.id,
                    ProgrammeRecommendation.recommendation_id == recommendation_id,
                ),
            )
        query = presence_filtered(query, p, f, today, None)
        if f.partners:
            query = query.where(
                exists().where(
                    ProgrammePartner.programme_id == p.id,
                    ProgrammePartner.partner_code.in_(f.partners),
                )
            )
        if f.mandates:
            query = query.where(p.mandate_id.in_(f.mandates))
        if f.themes:
            query = query.where(p.themes.overlap(list(f.themes)))
        if f.sdg_goals or f.sdg_targets:
            query = query.where(tagged_sdg(p, f.sdg_goals, f.sdg_targets))
        query = keyset_page(query, p.start_date, p.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    async def mandate_countries(self, mandate_id: uuid.UUID) -> list[str] | None:
        result = await self.session.execute(
            select(Mandate.countries).where(Mandate.id == mandate_id)
        )
        row = result.scalar_one_or_none()
        return list(row) if row is not None else None

    async def measurements_outside(
        self, programme_id: uuid.UUID, start: dt.date, end: dt.date
    ) -> int:
        result = await self.session.execute(
            select(func.count())
            .select_from(Measurement)
            .join(Indicator, Indicator.id == Measurement.indicator_id)
            .where(
                Indicator.programme_id == programme_id,
                or_(Measurement.measured_on < start, Measurement.measured_on > end),
            )
        )
        return int(result.scalar_one())

    # --- partners --------------------------------------------------------------------------

    async def all_partners(self) -> Sequence[Partner]:
        return (await self.session.execute(select(Partner).order_by(Partner.code))).scalars().all()

    async def partners_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Partner]]:
        return await self.grouped(
            ids,
            select(ProgrammePartner.programme_id, Partner)
            .join(Partner, Partner.code == ProgrammePartner.partner_code)
            .where(ProgrammePartner.programme_id.in_(list(ids)))
            .order_by(ProgrammePartner.programme_id, Partner.code),
        )

    async def set_partners(self, programme_id: uuid.UUID, codes: Sequence[str]) -> None:
        await self.replace_links(
            ProgrammePartner, "programme_id", programme_id, "partner_code", codes
        )

    # --- links -----------------------------------------------------------------------------

    async def recommendation(
        self, *, rec_id: uuid.UUID | None, ref: str | None
    ) -> Recommendation | None:
        query = select(Recommendation).where(Recommendation.deleted_at.is_(None))
        if rec_id is not None:
            query = query.where(Recommendation.id == rec_id)
        else:
            query = query.where(Recommendation.ref == ref)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def link(self, programme_id: uuid.UUID, rec_id: uuid.UUID, note: str | None) -> bool:
        """Insert a link, or change its note; True when it is new."""
        result = await self.session.execute(
            insert(ProgrammeRecommendation)
            .values(programme_id=programme_id, recommendation_id=rec_id, note=note)
            .on_conflict_do_update(
                index_elements=["programme_id", "recommendation_id"], set_={"note": note}
            )
            # xmax is 0 on a row this statement inserted, not on one it updated.
            .returning(text("xmax = 0"))
        )
        return bool(result.scalar_one())

    async def unlink(self, programme_id: uuid.UUID, rec_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(ProgrammeRecommendation)
            .where(
                ProgrammeRecommendation.programme_id == programme_id,
                ProgrammeRecommendation.recommendation_id == rec_id,
            )
            .returning(ProgrammeRecommendation.programme_id)
        )
        return result.first() is not None

    async def linked_recommendations(
        self, programme_id: uuid.UUID, *, after: str | None, limit: int
    ) -> Sequence[Row[Recommendation, ProgrammeRecommendation]]:
        query = (
            select(Recommendation, ProgrammeRecommendation)
            .join(
                ProgrammeRecommendation,
                ProgrammeRecommendation.recommendation_id == Recommendation.id,
            )
            .where(
                ProgrammeRecommendation.programme_id == programme_id,
                Recommendation.deleted_at.is_(None),
            )
        )
        if after is not None:
            query = query.where(Recommendation.ref > after)
        query = query.order_by(Recommendation.ref).limit(limit)
        return (await self.session.execute(query)).all()

    async def linked_refs_outside(
        self, programme_id: uuid.UUID, countries: Sequence[str]
    ) -> list[str]:
        """Refs of linked recommendations addressed to a State not in ``countries``."""
        result = await self.session.execute(
            select(Recommendation.ref)
            .join(
                ProgrammeRecommendation,
                ProgrammeRecommendation.recommendation_id == Recommendation.id,
            )
            .where(
                ProgrammeRecommendation.programme_id == programme_id,
                Recommendation.state_under_review.not_in(list(countries)),
            )
            .order_by(Recommendation.ref)
            .limit(20)
        )
        return list(result.scalars())

    async def links_of(
        self, rec_id: uuid.UUID, programme_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, ProgrammeRecommendation]:
        result = await self.session.execute(
            select(ProgrammeRecommendation).where(
                ProgrammeRecommendation.recommendation_id == rec_id,
                ProgrammeRecommendation.programme_id.in_(list(programme_ids)),
            )
        )
        return {link.programme_id: link for link in result.scalars()}

    # --- indicators, milestones and evaluations ------------------------------------------

    async def parts(self, model: type[PartT], programme_id: uuid.UUID) -> Sequence[PartT]:
        """The indicators, milestones or evaluations of a programme, in their list order."""
        result = await self.session.execute(
            select(model)
            .where(model.programme_id == programme_id)
            .order_by(getattr(model, _PART_ORDER[model]), model.id)
        )
        return result.scalars().all()

    async def part(
        self, model: type[PartT], programme_id: uuid.UUID, part_id: uuid.UUID
    ) -> PartT | None:
        result = await self.session.execute(
            select(model).where(model.programme_id == programme_id, model.id == part_id)
        )
        return result.scalar_one_or_none()

    async def latest_measurements(
        self, indicator_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Measurement]:
        if not indicator_ids:
            return {}
        result = await self.session.execute(
            select(Measurement)
            .where(Measurement.indicator_id.in_(list(indicator_ids)))
            .ext(distinct_on(Measurement.indicator_id))
            .order_by(
                Measurement.indicator_id, Measurement.measured_on.desc(), Measurement.id.desc()
            )
        )
        return {m.indicator_id: m for m in result.scalars()}

    async def measurements(
        self, indicator_id: uuid.UUID, *, after: tuple[dt.date, int] | None, limit: int
    ) -> Sequence[Measurement]:
        query = select(Measurement).where(Measurement.indicator_id == indicator_id)
        query = keyset_page(query, Measurement.measured_on, Measurement.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    async def remove(self, row: object) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def touch(self, programme_id: uuid.UUID) -> None:
        """A part changed: the programme's version and updated_at move (ETag, delta sync)."""
        await self.session.execute(
            update(Programme)
            .where(Programme.id == programme_id)
            .values(version=Programme.version + 1, updated_at=func.clock_timestamp())
            .execution_options(synchronize_session=False)
        )
