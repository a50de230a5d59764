"""Independent assessments: an NHRI or a civil-society organisation publishes its own view
of a recommendation's implementation (status, narrative, evidence, date) beside the
government's status, which it never changes. An organisation's members write only their
organisation's assessments, on recommendations of its State; admins also record the UN's.
Usable without HTTP; flushes, never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from shared.assessments.models import Assessment
from shared.assessments.repository import AssessmentRepository
from shared.assessments.schemas import (
    AssessmentIn,
    AssessmentOut,
    AssessmentPage,
    AssessmentPatch,
    AssessmentStats,
    SourceCounts,
)
from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import Forbidden, InvalidInput
from shared.institutions.repository import InstitutionRepository
from shared.kernel.patches import set_given
from shared.pagination import decode_time_key, split_time_key_page
from shared.recommendations.repository import RecommendationRepository

ROLES = ("nhri", "civil_society")


def _out(row: Assessment) -> AssessmentOut:
    return AssessmentOut.model_validate(row, from_attributes=True)


def _snapshot(row: Assessment) -> dict[str, Any]:
    return {
        "status": row.status,
        "narrative": row.narrative,
        "evidence_links": list(row.evidence_links),
        "assessed_on": row.assessed_on.isoformat(),
        "version": row.version,
    }


def _organisations(actor: Actor, country: str) -> dict[uuid.UUID, str]:
    """The caller's organisations (id -> source) that may assess ``country``'s items."""
    return {
        m.institution_id: m.role
        for m in actor.memberships
        if m.role in ROLES and m.institution_id is not None and m.country == country
    }


async def create(session: AsyncSession, actor: Actor, data: AssessmentIn) -> AssessmentOut:
    repo = AssessmentRepository(session)
    rec = await RecommendationRepository(session).found("recommendation", data.recommendation_id)
    country = rec.state_under_review
    mine = _organisations(actor, country)
    organisation_id: uuid.UUID | None = data.organisation_id
    if actor.is_admin:
        # An admin key limited to countries records assessments of those States only.
        actor.require_country(country)
        if organisation_id is not None:
            inst = await InstitutionRepository(session).get(organisation_id)
            if inst is None or inst.kind not in ROLES:
                raise InvalidInput(
                    "organisation_id must be an institution of kind nhri or civil_society",
                    code="institution_kind",
                )
            source, name = inst.kind, inst.name
        elif data.source == "un":
            source, name = "un", data.organisation or "United Nations"
        else:
            raise InvalidInput("give organisation_id, or source 'un' (and organisation)")
    else:
        if data.source is not None or data.organisation is not None:
            raise Forbidden(
                "source and organisation come from the caller's membership", code="not_allowed"
            )
        if not mine or (organisation_id is not None and organisation_id not in mine):
            raise Forbidden(
                f"only an NHRI or civil-society organisation of {country} assesses its"
                " recommendations, each for itself",
                code="not_assessor",
            )
        organisation_id = organisation_id or next(iter(mine))
        source = mine[organisation_id]
        inst = await InstitutionRepository(session).get(organisation_id)
        assert inst is not None
        name = inst.name
    row = Assessment(
        id=uuid.uuid4(),
        recommendation_id=rec.id,
        country=country,
        source=source,
        organisation_id=organisation_id if source != "un" else None,
        organisation=name,
        status=data.status,
        narrative=data.narrative.strip(),
        evidence_links=[str(u) for u in data.evidence_links],
        assessed_on=data.assessed_on or dt.date.today(),
        author=actor.name,
        version=1,
    )
    await repo.insert(row)
    await repo.touch_recommendation(rec.id)
    audit.record_change(session, actor, "assessment.create", row.id, after=_snapshot(row))
    return _out(row)


async def _own(
    session: AsyncSession, actor: Actor, assessment_id: uuid.UUID, version: int | None
) -> Assessment:
    def check(row: Assessment) -> None:
        if actor.is_admin:
            actor.require_country(row.country)
        elif row.organisation_id is None or row.organisation_id not in _organisations(
            actor, row.country
        ):
            raise Forbidden(
                "an organisation changes only its own assessments", code="not_own_assessment"
            )

    return await AssessmentRepository(session).for_change(
        "assessment", assessment_id, version, check
    )


async def edit(
    session: AsyncSession,
    actor: Actor,
    assessment_id: uuid.UUID,
    version: int | None,
    changes: AssessmentPatch,
) -> AssessmentOut:
    row = await _own(session, actor, assessment_id, version)
    before = _snapshot(row)
    set_given(row, changes)
    repo = AssessmentRepository(session)
    await repo.bump(row)
    await repo.touch_recommendation(row.recommendation_id)
    audit.record_change(
        session, actor, "assessment.update", row.id, before=before, after=_snapshot(row)
    )
    return _out(row)


async def delete(
    session: AsyncSession, actor: Actor, assessment_id: uuid.UUID, version: int | None
) -> None:
    row = await _own(session, actor, assessment_id, version)
    before = _snapshot(row)
    repo = AssessmentRepository(session)
    await repo.delete(row.id)
    await repo.touch_recommendation(row.recommendation_id)
    audit.record_change(session, actor, "assessment.delete", assessment_id, before=before)


async def get(session: AsyncSession, assessment_id: uuid.UUID) -> AssessmentOut:
    return _out(await AssessmentRepository(session).found("assessment", assessment_id))


class AssessmentFilters(TypedDict, total=False):
    recommendation_id: uuid.UUID | None
    country: str | None
    sources: tuple[str, ...]
    statuses: tuple[str, ...]
    organisation_id: uuid.UUID | None


async def list_assessments(
    session: AsyncSession,
    *,
    cursor: str | None = None,
    limit: int = 50,
    **filters: Unpack[AssessmentFilters],
) -> AssessmentPage:
    after = decode_time_key(cursor, "assessments", dt.datetime.fromisoformat)
    rows = await AssessmentRepository(session).page(after=after, limit=limit + 1, **filters)
    rows, next_cursor = split_time_key_page(
        "assessments", rows, limit, lambda r: (r.created_at, r.id)
    )
    return AssessmentPage(items=[_out(r) for r in rows], next_cursor=next_cursor)


async def stats(session: AsyncSession, country: str | None, cycle: int | None) -> AssessmentStats:
    """Recommendations by status, split by source: the government's status beside the
    latest independent assessment of each source."""
    by: dict[str, dict[str, int]] = {s: {} for s in ("government", "nhri", "civil_society", "un")}
    for source, status, n in await AssessmentRepository(session).stats(country, cycle):
        by[source][status] = n
    return AssessmentStats(
        country=country,
        cycle=cycle,
        sources=[
            SourceCounts(source=s, assessed=sum(c.values()), by_status=dict(sorted(c.items())))
            for s, c in by.items()
        ],
    )
