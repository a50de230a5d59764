"""The review workflow of progress reports: draft -> submitted -> validated (published:
the recommendation or action takes the status) or returned with a comment (editable,
then submitted again). Usable without HTTP; flushes, never commits.

Who may do what (object level, on the report's State and institution):
- draft, edit, submit: a focal point of an institution that owns the recommendation or
  action; a coordinator of the State; an admin; an API key that may write the State's
  recommendations.
- validate, return: a coordinator of the State (an admin; such an API key).
- read an unpublished report: its institution's focal points and the State's
  coordinators (and admins); validated reports are visible to every caller.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans import actions
from shared.action_plans.models import ACTION_STATUSES
from shared.action_plans.schemas import ActionUpdateIn
from shared.audit import service as audit
from shared.auth.schemas import Actor, Scope
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.institutions.repository import InstitutionRepository
from shared.kernel import outbox
from shared.kernel.patches import set_given
from shared.pagination import decode_time_key, split_time_key_page
from shared.recommendations import service as recommendations
from shared.recommendations.models import STATUSES
from shared.recommendations.schemas import UpdateIn
from shared.review.models import ProgressReport
from shared.review.repository import ReportRepository, Target, Visibility
from shared.review.schemas import ReportIn, ReportOut, ReportPage, ReportPatch, ReviewIn

EDITABLE = ("draft", "returned")


def _out(row: ProgressReport) -> ReportOut:
    return ReportOut.model_validate(row, from_attributes=True)


def visibility(actor: Actor | None) -> Visibility:
    if actor is not None and actor.is_admin:
        return Visibility(countries=None, institutions=frozenset())
    if actor is None:
        return Visibility(countries=frozenset(), institutions=frozenset())
    if actor.user_id is None:
        if not actor.has(Scope.RECOMMENDATIONS_WRITE):
            return Visibility(countries=frozenset(), institutions=frozenset())
        if actor.countries is None:
            return Visibility(countries=None, institutions=frozenset())
        return Visibility(countries=actor.countries, institutions=frozenset())
    return Visibility(
        countries=frozenset(m.country for m in actor.roles_in("coordinator") if m.country),
        institutions=frozenset(actor.institutions("focal_point")),
    )


def _sees(actor: Actor | None, row: ProgressReport) -> bool:
    if row.state == "validated":
        return True
    v = visibility(actor)
    return v.countries is None or row.country in v.countries or row.institution_id in v.institutions


def _owning_institutions(
    actor: Actor, target: Target, names: dict[uuid.UUID, str]
) -> list[uuid.UUID]:
    """The caller's focal-point institutions that own the target (by link, or by name on
    recommendations whose owners were only named)."""
    mine = [m for m in actor.roles_in("focal_point") if m.country == target.country]
    return [
        m.institution_id
        for m in mine
        if m.institution_id is not None
        and (m.institution_id in target.owners or names.get(m.institution_id) in target.owner_names)
    ]


async def _target(
    repo: ReportRepository, rec_id: uuid.UUID | None, action_id: uuid.UUID | None
) -> Target:
    if rec_id is not None:
        found = await repo.recommendation_target(rec_id)
        if found is None:
            raise NotFound(f"no recommendation {rec_id}")
        return found
    assert action_id is not None
    found = await repo.action_target(action_id)
    if found is None:
        raise NotFound(f"no action {action_id}")
    return found


def _check_status(status: str, *, action: bool) -> None:
    allowed = ACTION_STATUSES if action else STATUSES
    if status not in allowed:
        raise InvalidInput(
            f"unknown status {status!r}; allowed: {', '.join(allowed)}",
            errors=[
                {
                    "loc": ["body", "status"],
                    "field": "status",
                    "message": "unknown status",
                    "type": "enum",
                }
            ],
        )


def _may_edit(actor: Actor, row: ProgressReport) -> bool:
    return actor.coordinates(row.country) or (
        row.institution_id is not None and row.institution_id in actor.institutions("focal_point")
    )


def _record(
    session: AsyncSession,
    actor: Actor,
    step: str,
    row: ProgressReport,
    before: dict[str, Any] | None,
) -> None:
    audit.record(
        session,
        actor,
        f"progress_report.{step}",
        "progress_report",
        str(row.id),
        before=before,
        after=_snapshot(row),
    )


def _snapshot(row: ProgressReport) -> dict[str, Any]:
    return {
        "state": row.state,
        "status": row.status,
        "narrative": row.narrative,
        "evidence_links": list(row.evidence_links),
        "reported_on": row.reported_on.isoformat(),
        "review_comment": row.review_comment,
        "version": row.version,
    }


async def _changed(session: AsyncSession, row: ProgressReport) -> None:
    await outbox.emit(
        session,
        "progress_report.changed",
        row.country,
        {
            "id": str(row.id),
            "state": row.state,
            "recommendation_id": str(row.recommendation_id) if row.recommendation_id else None,
            "action_id": str(row.action_id) if row.action_id else None,
            "institution_id": str(row.institution_id) if row.institution_id else None,
        },
    )


async def create_draft(session: AsyncSession, actor: Actor, data: ReportIn) -> ReportOut:
    """A new draft; 403 unless the caller may report on that recommendation or action."""
    _check_status(data.status, action=data.action_id is not None)
    repo = ReportRepository(session)
    institutions = InstitutionRepository(session)
    target = await _target(repo, data.recommendation_id, data.action_id)
    mine = await institutions.get_many(list(actor.institutions("focal_point")))
    names = {i: inst.name for i, inst in mine.items()}
    owning = _owning_institutions(actor, target, names)
    if actor.coordinates(target.country):
        institution_id = data.institution_id
        if institution_id is not None:
            inst = await institutions.get(institution_id)
            if inst is None or inst.country != target.country:
                raise InvalidInput(
                    f"no institution {institution_id} in {target.country}",
                    code="unknown_institution",
                )
    elif owning:
        if data.institution_id is not None and data.institution_id not in owning:
            raise Forbidden("that institution does not own this item", code="not_owner")
        institution_id = data.institution_id or owning[0]
    else:
        raise Forbidden(
            "only a focal point of an institution that owns it, or a coordinator of its State,"
            " reports progress on it",
            code="not_owner",
        )
    row = ProgressReport(
        id=uuid.uuid4(),
        recommendation_id=data.recommendation_id,
        action_id=data.action_id,
        country=target.country,
        institution_id=institution_id,
        state="draft",
        status=data.status,
        narrative=data.narrative.strip(),
        evidence_links=[str(u) for u in data.evidence_links],
        reported_on=data.reported_on or dt.date.today(),
        author=actor.name,
        author_user_id=actor.user_id,
        version=1,
    )
    await repo.insert(row)
    _record(session, actor, "create", row, None)
    return _out(row)


async def _locked(
    session: AsyncSession, actor: Actor, report_id: uuid.UUID, version: int | None
) -> ProgressReport:
    def check(row: ProgressReport) -> None:
        if not (_sees(actor, row) or actor.coordinates(row.country)):
            # A write on someone else's report: refused (reads of it answer 404).
            raise Forbidden("this caller may not act on that report", code="not_owner")

    return await ReportRepository(session).for_change("progress report", report_id, version, check)


async def _moved(
    session: AsyncSession, actor: Actor, step: str, row: ProgressReport, before: dict[str, Any]
) -> ReportOut:
    """Write ``row`` after the review ``step`` that moved it to another state: recorded
    and announced."""
    await ReportRepository(session).bump(row)
    _record(session, actor, step, row, before)
    await _changed(session, row)
    return _out(row)


# What the author's steps on a report are called in a 409, and that 409's code.
_AUTHOR_STEPS = {"edit": ("edited", "not_editable"), "submit": ("submitted", "invalid_transition")}


async def _locked_for_author(
    session: AsyncSession, actor: Actor, report_id: uuid.UUID, version: int | None, step: str
) -> ProgressReport:
    """The report locked for its author's ``step``: 403 for anyone else, 409 unless it is
    a draft or returned."""
    row = await _locked(session, actor, report_id, version)
    if not _may_edit(actor, row):
        raise Forbidden(f"this caller may not {step} that report", code="not_owner")
    done, code = _AUTHOR_STEPS[step]
    if row.state not in EDITABLE:
        raise Conflict(f"a {row.state} report cannot be {done}", code=code)
    return row


async def edit(
    session: AsyncSession,
    actor: Actor,
    report_id: uuid.UUID,
    version: int | None,
    changes: ReportPatch,
) -> ReportOut:
    row = await _locked_for_author(session, actor, report_id, version, "edit")
    before = _snapshot(row)
    if changes.status is not None:
        _check_status(changes.status, action=row.action_id is not None)
    set_given(row, changes)
    await ReportRepository(session).bump(row)
    _record(session, actor, "edit", row, before)
    return _out(row)


async def submit(
    session: AsyncSession, actor: Actor, report_id: uuid.UUID, version: int | None
) -> ReportOut:
    """draft or returned -> submitted: the State's coordinators now review it."""
    row = await _locked_for_author(session, actor, report_id, version, "submit")
    before = _snapshot(row)
    row.state = "submitted"
    row.submitted_at = utcnow()
    return await _moved(session, actor, "submit", row, before)


def _require_reviewer(actor: Actor, row: ProgressReport) -> None:
    if not actor.coordinates(row.country):
        raise Forbidden(
            f"only a coordinator of {row.country} validates or returns its progress reports",
            code="not_coordinator",
        )


async def return_report(
    session: AsyncSession, actor: Actor, report_id: uuid.UUID, version: int | None, review: ReviewIn
) -> ReportOut:
    """submitted -> returned, with the comment the institution needs to fix it."""
    row = await _locked(session, actor, report_id, version)
    _require_reviewer(actor, row)
    if not (review.comment or "").strip():
        raise InvalidInput(
            "say what to change: a comment is required to return a report", code="comment_required"
        )
    if row.state != "submitted":
        raise Conflict(f"a {row.state} report cannot be returned", code="invalid_transition")
    before = _snapshot(row)
    row.state = "returned"
    row.review_comment = (review.comment or "").strip()
    row.reviewed_by = actor.name
    row.reviewed_at = utcnow()
    return await _moved(session, actor, "return", row, before)


async def validate(
    session: AsyncSession, actor: Actor, report_id: uuid.UUID, version: int | None, review: ReviewIn
) -> ReportOut:
    """submitted -> validated: published as an implementation update (or an action
    update); the recommendation (or action) takes its status."""
    row = await _locked(session, actor, report_id, version)
    _require_reviewer(actor, row)
    if row.state != "submitted":
        raise Conflict(f"a {row.state} report cannot be validated", code="invalid_transition")
    before = _snapshot(row)
    repo = ReportRepository(session)
    institution = (
        await InstitutionRepository(session).get(row.institution_id) if row.institution_id else None
    )
    author = institution.name if institution else None
    if row.recommendation_id is not None:
        published, _ = await recommendations.add_update(
            session,
            actor,
            row.recommendation_id,
            UpdateIn.model_validate(
                {
                    "status": row.status,
                    "narrative": row.narrative,
                    "evidence_links": list(row.evidence_links),
                    "source": "government",
                    "author": author,
                    "reported_on": row.reported_on,
                }
            ),
        )
        row.published_update_id = published.id
    else:
        assert row.action_id is not None
        target = await _target(repo, None, row.action_id)
        assert target.plan_id is not None
        action_update = await actions.add_update(
            session,
            actor,
            target.plan_id,
            row.action_id,
            ActionUpdateIn.model_validate(
                {
                    "status": row.status,
                    "narrative": row.narrative,
                    "author": author,
                    "reported_on": row.reported_on,
                }
            ),
        )
        row.published_update_id = action_update.id
    row.state = "validated"
    row.review_comment = (review.comment or "").strip() or None
    row.reviewed_by = actor.name
    row.reviewed_at = utcnow()
    return await _moved(session, actor, "validate", row, before)


async def get(session: AsyncSession, actor: Actor | None, report_id: uuid.UUID) -> ReportOut:
    row = await ReportRepository(session).get(report_id)
    if row is None or not _sees(actor, row):
        raise NotFound(f"no progress report {report_id}")
    return _out(row)


class ReportFilters(TypedDict, total=False):
    country: str | None
    states: tuple[str, ...]
    institution_id: uuid.UUID | None
    recommendation_id: uuid.UUID | None


async def list_reports(
    session: AsyncSession,
    actor: Actor | None,
    *,
    cursor: str | None = None,
    limit: int = 50,
    **filters: Unpack[ReportFilters],
) -> ReportPage:
    """Reports the caller may see, oldest first."""
    after = decode_time_key(cursor, "progress_reports", dt.datetime.fromisoformat)
    rows = await ReportRepository(session).page(
        visibility(actor), after=after, limit=limit + 1, **filters
    )
    rows, next_cursor = split_time_key_page(
        "progress_reports", rows, limit, lambda r: (r.created_at, r.id)
    )
    return ReportPage(items=[_out(r) for r in rows], next_cursor=next_cursor)


# --- reminders (a daily worker job) ----------------------------------------------------


async def _remind(
    session: AsyncSession, repo: ReportRepository, country: str | None, payload: dict[str, Any]
) -> int:
    if await repo.reminded(payload["key"]):
        return 0
    await outbox.emit(session, "review.reminder", country, payload)
    return 1


async def remind(session: AsyncSession, *, waiting_days: int, now: dt.datetime) -> dict[str, int]:
    """`review.reminder` events, at most one per subject a day: coordinators about reports
    submitted more than ``waiting_days`` ago, focal points about returned reports and about
    recommendations of their institution with no update in the current cycle."""
    day = now.date().isoformat()
    # Silence is told once a week, the rest once a day.
    week = "{}-W{:02d}".format(*now.date().isocalendar()[:2])
    repo = ReportRepository(session)
    counts = {"waiting": 0, "returned": 0, "silent": 0}
    for country, count in await repo.waiting(now - dt.timedelta(days=waiting_days)):
        counts["waiting"] += await _remind(
            session,
            repo,
            country,
            {
                "key": f"waiting:{country}:{day}",
                "audience": "coordinator",
                "reason": "reports_waiting",
                "country": country,
                "count": count,
                "older_than_days": waiting_days,
            },
        )
    returned = dict(await repo.returned())
    institutions = await InstitutionRepository(session).get_many(
        sorted(set(returned) | set(await repo.focal_institutions()))
    )
    for inst_id, inst in sorted(institutions.items(), key=lambda kv: (kv[1].country, kv[1].name)):
        base = {
            "audience": "focal_point",
            "country": inst.country,
            "institution_id": str(inst_id),
            "institution": inst.name,
        }
        if returned.get(inst_id):
            counts["returned"] += await _remind(
                session,
                repo,
                inst.country,
                {
                    **base,
                    "key": f"returned:{inst_id}:{day}",
                    "reason": "reports_returned",
                    "count": returned[inst_id],
                },
            )
        silent = await repo.silent(inst)
        if silent:
            counts["silent"] += await _remind(
                session,
                repo,
                inst.country,
                {
                    **base,
                    "key": f"silent:{inst_id}:{week}",
                    "reason": "no_update_this_cycle",
                    "count": silent,
                },
            )
    return counts
