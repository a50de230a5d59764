"""All SQL of report drafts: the report rows and the reads that fill a document."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.kernel.repository import Repository
from shared.reports.models import Report, ReportFile

# Updates from these sources are independent assessments, never the government's status.
ASSESSMENT_SOURCES = ("nhri", "civil_society")


class ReportRepository(Repository[Report]):
    model = Report

    async def latest(
        self, country: str, kind: str, cycle: int | None, language: str
    ) -> Report | None:
        """The newest report of a State, kind, cycle and language (the reminders' draft)."""
        result = await self.session.execute(
            select(Report)
            .where(
                Report.country == country,
                Report.kind == kind,
                Report.cycle == cycle if cycle is not None else Report.cycle.is_(None),
                Report.language == language,
                Report.status != "failed",
            )
            .order_by(Report.created_at.desc(), Report.id)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def set_values(self, report_id: uuid.UUID, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(**values, version=Report.version + 1, updated_at=text("clock_timestamp()"))
            .execution_options(synchronize_session=False)
        )

    async def save_file(self, report_id: uuid.UUID, content: bytes) -> None:
        await self.session.execute(
            text(
                "INSERT INTO report_files (report_id, content) VALUES (:id, :content)"
                " ON CONFLICT (report_id) DO UPDATE SET content = excluded.content,"
                " created_at = clock_timestamp()"
            ),
            {"id": report_id, "content": content},
        )

    async def file(self, report_id: uuid.UUID) -> bytes | None:
        result = await self.session.execute(
            select(ReportFile.content).where(ReportFile.report_id == report_id)
        )
        return result.scalar_one_or_none()

    async def stalled(
        self, queued_before: dt.datetime, running_before: dt.datetime
    ) -> list[Report]:
        """Reports whose job Redis lost (still queued) or whose worker died (running)."""
        result = await self.session.execute(
            select(Report)
            .where(
                ((Report.status == "queued") & (Report.updated_at < queued_before))
                | ((Report.status == "running") & (Report.updated_at < running_before))
            )
            .order_by(Report.updated_at)
            .limit(500)
            .with_for_update(skip_locked=True)
        )
        return list(result.scalars())


class ReportReads:
    """What a document shows, read in a handful of statements whatever its size."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _all(self, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        return (await self.session.execute(text(sql), params)).all()

    async def _of_sources(self, sql: str, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        """``sql`` over the recommendations ``ids`` (``:ids``), with the sources of
        assessments bound to ``:assessment_sources``."""
        return await self._all(
            sql, {"ids": list(ids), "assessment_sources": list(ASSESSMENT_SOURCES)}
        )

    async def recommendations(
        self, country: str, mechanism: str, cycle: int | None, *, followup_only: bool
    ) -> Sequence[Any]:
        """The State's recommendations of one mechanism (and cycle), in document order;
        with ``followup_only``, those with a treaty-body follow-up deadline (on the
        recommendation or on its document), with that deadline's due date."""
        due = (
            "(SELECT min(d.due_date) FROM deadlines d WHERE d.kind = 'treaty_followup'"
            " AND ((d.subject_type = 'recommendation' AND d.subject_id = r.id::text)"
            " OR (d.subject_type = 'document' AND d.subject_id = r.document_id::text)))"
        )
        sql = (
            "SELECT * FROM (SELECT r.id, r.ref, r.paragraph, r.document_symbol,"
            " r.document_date, r.text, r.position, r.status, r.themes, r.institutions,"
            f" r.cycle, r.paragraph_key, {due if followup_only else 'NULL::date'} AS due_date"
            " FROM recommendations r WHERE r.deleted_at IS NULL"
            " AND r.state_under_review = :country AND r.mechanism = :mechanism"
            " AND (CAST(:cycle AS smallint) IS NULL OR r.cycle = :cycle)) s"
            f" {'WHERE s.due_date IS NOT NULL' if followup_only else ''}"
            " ORDER BY s.document_date, s.paragraph_key, s.id"
        )
        return await self._all(sql, {"country": country, "mechanism": mechanism, "cycle": cycle})

    async def count(self, country: str, mechanism: str | None, cycle: int | None) -> int:
        result = await self.session.execute(
            text(
                "SELECT count(*) FROM recommendations r WHERE r.deleted_at IS NULL"
                " AND r.state_under_review = :country"
                " AND (CAST(:mechanism AS varchar) IS NULL OR r.mechanism = :mechanism)"
                " AND (CAST(:cycle AS smallint) IS NULL OR r.cycle = :cycle)"
            ),
            {"country": country, "mechanism": mechanism, "cycle": cycle},
        )
        return int(result.scalar_one())

    async def recommending_states(self, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        return await self._all(
            "SELECT recommendation_id, name, iso3 FROM recommending_states"
            " WHERE recommendation_id = ANY(:ids) ORDER BY recommendation_id, ordinal",
            {"ids": list(ids)},
        )

    async def latest_updates(self, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        """The newest government (or UN) update of each recommendation."""
        return await self._of_sources(
            "SELECT DISTINCT ON (u.recommendation_id) u.recommendation_id, u.status,"
            " u.narrative, u.evidence_links, u.reported_on, u.author, u.source"
            " FROM implementation_updates u WHERE u.recommendation_id = ANY(:ids)"
            " AND u.source <> ALL(:assessment_sources)"
            " ORDER BY u.recommendation_id, u.created_at DESC, u.id DESC",
            ids,
        )

    async def assessments(self, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        """NHRI and civil-society assessments (shared/assessments), with the updates those
        sources filed as implementation updates before assessments existed; oldest first."""
        return await self._of_sources(
            "SELECT * FROM (SELECT a.recommendation_id, a.status, a.narrative,"
            " a.evidence_links, a.assessed_on AS reported_on, a.organisation, a.author,"
            " a.source, a.created_at, a.id FROM assessments a"
            " WHERE a.recommendation_id = ANY(:ids) AND a.source = ANY(:assessment_sources)"
            " UNION ALL SELECT u.recommendation_id, u.status, u.narrative, u.evidence_links,"
            " u.reported_on, coalesce(u.author, '') AS organisation, NULL AS author, u.source,"
            " u.created_at, u.id FROM implementation_updates u"
            " WHERE u.recommendation_id = ANY(:ids) AND u.source = ANY(:assessment_sources)) x"
            " ORDER BY x.reported_on, x.created_at, x.id",
            ids,
        )

    async def linked_actions(self, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        return await self._all(
            "SELECT ar.recommendation_id, a.id, a.description, a.status, a.due_date,"
            " p.title AS plan_title FROM action_recommendations ar"
            " JOIN actions a ON a.id = ar.action_id JOIN action_plans p ON p.id = a.plan_id"
            " WHERE ar.recommendation_id = ANY(:ids)"
            " ORDER BY p.created_at, p.id, a.created_at, a.id",
            {"ids": list(ids)},
        )

    async def plan_actions(self, plan_id: uuid.UUID) -> Sequence[Any]:
        """The actions of a plan in plan order, with the recommendations each covers."""
        return await self._all(
            "SELECT a.id, a.description, coalesce(array_agg(ar.recommendation_id)"
            " FILTER (WHERE ar.recommendation_id IS NOT NULL), '{}') AS recommendations"
            " FROM actions a LEFT JOIN action_recommendations ar ON ar.action_id = a.id"
            " WHERE a.plan_id = :plan GROUP BY a.id ORDER BY min(a.created_at), a.id",
            {"plan": plan_id},
        )

    async def plan_of(self, plan_id: uuid.UUID) -> Any | None:
        rows = await self._all(
            "SELECT id, country, title FROM action_plans WHERE id = :id", {"id": plan_id}
        )
        return rows[0] if rows else None

    async def latest_plan(self, country: str) -> Any | None:
        """The State's current plan: adopted before drafts, newest first."""
        rows = await self._all(
            "SELECT id, country, title FROM action_plans WHERE country = :country"
            " ORDER BY (status = 'draft'), created_at DESC, id LIMIT 1",
            {"country": country},
        )
        return rows[0] if rows else None
