"""Rules of report drafts: what may be drafted, by whom, and the job that builds them."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import jobs
from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import Conflict, DomainError, InvalidInput, NotFound, one_line
from shared.kernel.shapes import shape_of
from shared.queue import enqueue_after_commit
from shared.reference.countries import by_iso3
from shared.reference.mechanisms import by_code
from shared.reports import content
from shared.reports.i18n import country_name
from shared.reports.models import Report
from shared.reports.repository import ReportReads, ReportRepository
from shared.reports.schemas import ReportIn, ReportOut
from shared.reports.word import render

log = structlog.get_logger(__name__)

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def job_id(report: Report) -> str:
    """One job per request of a report: a retry is a new job, a duplicate is refused."""
    return f"report:{report.id}:{report.requests}"


def to_out(row: Report, base_url: str) -> ReportOut:
    base = base_url.rstrip("/")
    file_url = f"{base}/v1/reports/{row.id}/file" if row.status == "ready" else None
    return shape_of(ReportOut, row, file_url=file_url)


def country_label(iso3: str) -> str:
    country = by_iso3().get(iso3)
    return f"{country.name} ({iso3})" if country else iso3


async def _check(session: AsyncSession, data: ReportIn) -> tuple[str, uuid.UUID | None]:
    """The mechanism and action plan of a valid request; 422 naming what is wrong."""
    country = data.country.upper()
    if country not in by_iso3():
        raise InvalidInput(f"unknown State {data.country!r}; use an ISO 3166-1 alpha-3 code")
    reads = ReportReads(session)
    if data.kind == "upr_midterm":
        if data.cycle is None:
            raise InvalidInput("a upr_midterm report needs the UPR cycle", code="cycle_required")
        if data.mechanism not in (None, "UPR"):
            raise InvalidInput("a upr_midterm report is about UPR recommendations only")
        mechanism = "UPR"
    else:
        mechanism = (data.mechanism or "").upper()
        body = by_code().get(mechanism)
        if body is None or body.kind != "treaty_body":
            treaty_bodies = sorted(m.code for m in by_code().values() if m.kind == "treaty_body")
            raise InvalidInput(
                "a treaty_body_followup report needs the treaty body in mechanism, one of "
                + ", ".join(treaty_bodies),
                code="mechanism_required",
            )
    if await reads.count(country, None, None) == 0:
        raise InvalidInput(
            f"{country_label(country)} has no recommendations", code="no_recommendations"
        )
    if await reads.count(country, mechanism, data.cycle) == 0:
        cycle = f" of cycle {data.cycle}" if data.cycle is not None else ""
        raise InvalidInput(
            f"{country_label(country)} has no {mechanism} recommendations{cycle}",
            code="no_recommendations",
        )
    if data.kind == "treaty_body_followup" and not await reads.recommendations(
        country, mechanism, data.cycle, followup_only=True
    ):
        raise InvalidInput(
            f"{country_label(country)} has no {mechanism} recommendations with a follow-up"
            " deadline",
            code="no_recommendations",
        )
    plan_id = await _plan(reads, data, country)
    return mechanism, plan_id


async def _plan(reads: ReportReads, data: ReportIn, country: str) -> uuid.UUID | None:
    if data.clusters != "action_plan":
        if data.action_plan_id is not None:
            raise InvalidInput("action_plan_id goes with clusters=action_plan")
        return None
    if data.action_plan_id is not None:
        plan = await reads.plan_of(data.action_plan_id)
        if plan is None or plan.country != country:
            raise InvalidInput(f"{country_label(country)} has no action plan {data.action_plan_id}")
    else:
        plan = await reads.latest_plan(country)
        if plan is None:
            raise InvalidInput(
                f"{country_label(country)} has no action plan; use clusters=themes",
                code="no_action_plan",
            )
    plan_id: uuid.UUID = plan.id
    return plan_id


async def create(session: AsyncSession, actor: Actor, data: ReportIn) -> Report:
    """Record a report request and queue its generation (after the commit)."""
    country = data.country.upper()
    actor.require_country(country)
    mechanism, plan_id = await _check(session, data)
    row = Report(
        id=uuid.uuid4(),
        kind=data.kind,
        country=country,
        cycle=data.cycle,
        mechanism=mechanism,
        language=data.language,
        clusters=data.clusters,
        action_plan_id=plan_id,
        status="queued",
        requests=1,
        attempts=0,
        api_key_id=actor.api_key_id,
        version=1,
    )
    await ReportRepository(session).insert(row)
    enqueue_after_commit(session, jobs.GENERATE_REPORT, str(row.id), job_id=job_id(row))
    audit.record_change(
        session,
        actor,
        "report.create",
        row.id,
        after=data.model_dump(mode="json") | {"mechanism": mechanism},
    )
    return row


async def get(session: AsyncSession, actor: Actor, report_id: uuid.UUID) -> Report:
    row = await ReportRepository(session).found("report", report_id)
    actor.require_country(row.country)
    return row


async def file(session: AsyncSession, actor: Actor, report_id: uuid.UUID) -> tuple[Report, bytes]:
    row = await get(session, actor, report_id)
    if row.status != "ready":
        reason = f": {row.error}" if row.error else ""
        raise Conflict(
            f"the report is {row.status}{reason}; its file exists once it is ready",
            code="report_not_ready",
        )
    blob = await ReportRepository(session).file(report_id)
    if blob is None:
        raise NotFound(f"the file of report {report_id} is missing; retry the report")
    return row, blob


async def retry(session: AsyncSession, actor: Actor, report_id: uuid.UUID) -> Report:
    """Build a failed report again (or a ready one, with today's data)."""
    repo = ReportRepository(session)
    row = await repo.found("report", report_id, for_update=True)
    actor.require_country(row.country)
    if row.status in ("queued", "running"):
        raise Conflict(f"the report is already {row.status}", code="report_in_progress")
    before = {"status": row.status, "error": row.error}
    await _requeue(session, row)
    audit.record_change(
        session,
        actor,
        "report.retry",
        row.id,
        before=before,
        after={"status": "queued"},
    )
    return row


async def _requeue(session: AsyncSession, row: Report) -> None:
    await ReportRepository(session).set_values(
        row.id, {"status": "queued", "error": None, "requests": Report.requests + 1}
    )
    await session.refresh(row)
    enqueue_after_commit(session, jobs.GENERATE_REPORT, str(row.id), job_id=job_id(row))


async def draft(
    session: AsyncSession, actor: Actor, kind: str, country: str, cycle: int | None, language: str
) -> Report:
    """The newest report of a State and cycle, created when there is none (reminder links)."""
    country = country.upper()
    actor.require_country(country)
    existing = await ReportRepository(session).latest(country, kind, cycle, language)
    if existing is not None:
        return existing
    data = ReportIn.model_validate(
        {"kind": kind, "country": country, "cycle": cycle, "language": language}
    )
    return await create(session, actor, data)


async def sweep(session: AsyncSession, now: dt.datetime) -> int:
    """Queue again the reports whose job Redis lost or whose worker died."""
    stalled = await ReportRepository(session).stalled(
        queued_before=now - dt.timedelta(minutes=5), running_before=now - dt.timedelta(minutes=20)
    )
    for row in stalled:
        await _requeue(session, row)
    return len(stalled)


# --- generation (the worker's job) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Generated:
    status: str
    recommendations: int = 0
    size: int = 0
    error: str | None = None


async def build(session: AsyncSession, row: Report, today: dt.date) -> content.ReportData:
    """Read what the report shows; fails (InvalidInput) when nothing is left to show."""
    reads = ReportReads(session)
    followup = row.kind == "treaty_body_followup"
    rows = await reads.recommendations(
        row.country, row.mechanism, row.cycle, followup_only=followup
    )
    if not rows:
        cycle = f" of cycle {row.cycle}" if row.cycle is not None else ""
        raise InvalidInput(
            f"{country_label(row.country)} has no {row.mechanism} recommendations{cycle}"
            + (" with a follow-up deadline" if followup else "")
            + " any more"
        )
    ids = [r.id for r in rows]
    items = content.items_from_rows(
        rows,
        await reads.recommending_states(ids),
        await reads.latest_updates(ids),
        await reads.assessments(ids),
        await reads.linked_actions(ids),
    )
    if row.clusters == "action_plan":
        if row.action_plan_id is None:
            raise InvalidInput("the action plan of this report was deleted; draft a new report")
        clusters = content.by_plan(items, await reads.plan_actions(row.action_plan_id))
    else:
        clusters = content.by_theme(items)
    return content.ReportData(
        kind=row.kind,
        country=row.country,
        country_name=country_name(row.country, row.language),
        mechanism=row.mechanism,
        cycle=row.cycle,
        language=row.language,
        generated_on=today,
        clusters=clusters,
        due_date=min((i.due_date for i in items if i.due_date), default=None),
    )


async def _start(sm: async_sessionmaker[AsyncSession], report_id: uuid.UUID) -> Report | None:
    async with sm.begin() as session:
        repo = ReportRepository(session)
        row = await repo.get(report_id, for_update=True)
        # Only a queued report runs: a duplicate job, or one for a request already served,
        # finds it running, ready or failed and leaves it alone.
        if row is None or row.status != "queued":
            return None
        await repo.set_values(
            report_id,
            {"status": "running", "attempts": Report.attempts + 1, "started_at": _now()},
        )
        await session.refresh(row)
        return row


def _now() -> Any:
    return func.clock_timestamp()


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return one_line(exc.detail)
    return one_line(
        f"the document could not be built ({type(exc).__name__}: {exc}); retry it, and"
        " report the problem if it fails again"
    )


async def generate(
    sm: async_sessionmaker[AsyncSession], report_id: uuid.UUID, today: dt.date
) -> Generated:
    """Build and store the document of a queued report. Idempotent: a report that is not
    queued is left as it is. A failure is recorded on the report with its reason."""
    row = await _start(sm, report_id)
    if row is None:
        return Generated(status="skipped")
    try:
        async with sm.begin() as session:
            data = await build(session, row, today)
            # python-docx is pure Python: render off the event loop.
            blob = await asyncio.to_thread(render, data)
            repo = ReportRepository(session)
            await repo.save_file(report_id, blob)
            await repo.set_values(
                report_id,
                {
                    "status": "ready",
                    "error": None,
                    "recommendations": len(data.items),
                    "file_size": len(blob),
                    "file_sha256": hashlib.sha256(blob).hexdigest(),
                    "finished_at": _now(),
                },
            )
        return Generated(status="ready", recommendations=len(data.items), size=len(blob))
    except Exception as exc:
        reason = failure_reason(exc)
        if not isinstance(exc, DomainError):
            log.exception("report_failed", report_id=str(report_id))
        async with sm.begin() as session:
            await ReportRepository(session).set_values(
                report_id, {"status": "failed", "error": reason, "finished_at": _now()}
            )
        return Generated(status="failed", error=reason)
