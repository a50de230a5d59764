"""Deadlines: lists, manual entry, status changes, and idempotent derivation.

Other domains call, inside their own transaction:

- ``recompute_for_document(session, document_id)`` after ingestion upserts a document;
- ``upsert_derived(session, rule=..., subject_type=..., subject_id=..., kind=...,
  due_date=..., country=..., title=...)`` for deadlines of their own (mandate end and
  renewal, programme milestones and evaluations), and ``remove_derived`` when the source
  date disappears. Derived deadlines are keyed by (rule, subject): calling again with the
  same values changes nothing; manual deadlines are never touched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.service import record
from shared.auth.schemas import Actor, Scope
from shared.deadlines import rules
from shared.deadlines.models import Deadline
from shared.deadlines.repository import DeadlineRepository
from shared.deadlines.schemas import DeadlineFilter, DeadlineIn, DeadlineOut, DeadlinePatch
from shared.documents.models import Document
from shared.errors import Forbidden, InvalidInput
from shared.kernel.concurrency import require_version
from shared.pagination import Page, decode_time_key, split_time_key_page
from shared.reference.countries import by_iso3

# Who may enter a deadline by hand: the keys that maintain its subject (or admin).
SUBJECT_SCOPES = {
    "recommendation": Scope.RECOMMENDATIONS_WRITE,
    "document": Scope.RECOMMENDATIONS_WRITE,
    "country": Scope.RECOMMENDATIONS_WRITE,
    "programme": Scope.PROGRAMMES_WRITE,
    "mandate": Scope.MANDATES_WRITE,
}


def to_out(row: Deadline) -> DeadlineOut:
    return DeadlineOut.model_validate(row, from_attributes=True)


def _snapshot(row: Deadline) -> dict[str, Any]:
    return to_out(row).model_dump(mode="json")


async def list_page(
    session: AsyncSession, f: DeadlineFilter, *, cursor: str | None, limit: int
) -> Page[DeadlineOut]:
    after = decode_time_key(cursor, "deadlines", dt.date.fromisoformat)
    rows = await DeadlineRepository(session).page(f, after=after, limit=limit + 1)
    page, next_cursor = split_time_key_page("deadlines", rows, limit, lambda d: (d.due_date, d.id))
    return Page(items=[to_out(r) for r in page], next_cursor=next_cursor)


async def for_country(session: AsyncSession, iso3: str) -> list[DeadlineOut]:
    return [to_out(r) for r in await DeadlineRepository(session).for_country(iso3)]


async def get(session: AsyncSession, deadline_id: uuid.UUID) -> DeadlineOut:
    row = await DeadlineRepository(session).found("deadline", deadline_id)
    return to_out(row)


def _check_country(iso3: str | None) -> str | None:
    if iso3 is None:
        return None
    code = iso3.strip().upper()
    if code not in by_iso3():
        raise InvalidInput(f"unknown country code {iso3!r}: use ISO 3166-1 alpha-3 codes")
    return code


async def _require_subject_writer(
    session: AsyncSession, actor: Actor, subject_type: str, subject_id: str
) -> None:
    """The key must also be allowed for every State the subject belongs to: the country
    a client names on a deadline cannot move another State's subject into its reach."""
    covered = await DeadlineRepository(session).subject_countries(subject_type, subject_id)
    for code in covered or ():
        actor.require_country(code)


def _require_writer(actor: Actor, subject_type: str, country: str | None) -> None:
    scope = SUBJECT_SCOPES[subject_type]
    if not actor.has(scope):
        raise Forbidden(
            f"entering a {subject_type} deadline needs the scope {scope.value!r} or 'admin'",
            code="missing_scope",
        )
    actor.require_country(country)


async def create_manual(session: AsyncSession, actor: Actor, data: DeadlineIn) -> DeadlineOut:
    country = _check_country(data.country)
    if data.subject_type == "country":
        country = _check_country(data.subject_id)
    _require_writer(actor, data.subject_type, country)
    await _require_subject_writer(session, actor, data.subject_type, data.subject_id)
    row = Deadline(
        id=uuid.uuid4(),
        kind=data.kind,
        due_date=data.due_date,
        subject_type=data.subject_type,
        subject_id=data.subject_id.strip(),
        country=country,
        title=data.title.strip(),
        description=data.description,
        status="open" if data.due_date >= dt.datetime.now(dt.UTC).date() else "missed",
        origin="manual",
        rule=None,
        version=1,
    )
    await DeadlineRepository(session).insert(row)
    record(session, actor, "create", "deadline", str(row.id), after=_snapshot(row))
    return to_out(row)


async def patch(
    session: AsyncSession, actor: Actor, deadline_id: uuid.UUID, version: int, data: DeadlinePatch
) -> DeadlineOut:
    repo = DeadlineRepository(session)
    row = await repo.found("deadline", deadline_id)
    _require_writer(actor, row.subject_type, row.country)
    await _require_subject_writer(session, actor, row.subject_type, row.subject_id)
    before = _snapshot(row)
    values: dict[str, Any] = {}
    changes = data.model_dump(exclude_unset=True)
    if row.origin == "derived" and set(changes) - {"status"}:
        raise InvalidInput(
            "a derived deadline follows its rule: only its status may change",
            code="derived_deadline",
        )
    for key in ("title", "description", "due_date"):
        if key in changes:
            if changes[key] is None and key != "description":
                raise InvalidInput(f"{key} cannot be null")
            values[key] = changes[key]
    if changes.get("status") is not None:
        values["status"] = changes["status"]
        values["met_at"] = dt.datetime.now(dt.UTC) if changes["status"] == "met" else None
    require_version("deadline", row.version, version)
    if values:
        await repo.update_row("deadline", row, version, values)
        record(
            session, actor, "update", "deadline", str(row.id), before=before, after=_snapshot(row)
        )
    return to_out(row)


# --- derivation ---------------------------------------------------------------------------


async def upsert_derived(
    session: AsyncSession,
    *,
    rule: str,
    subject_type: str,
    subject_id: str,
    kind: str,
    due_date: dt.date,
    country: str | None,
    title: str,
    met: bool = False,
    create: bool = True,
) -> uuid.UUID | None:
    """Insert or update the deadline a rule derives for a subject, idempotently.

    ``met=True`` marks it met (a rule can tell the obligation was fulfilled);
    ``create=False`` only updates an existing row. Returns the id when a row changed.
    """
    repo = DeadlineRepository(session)
    if not create:
        return await repo.mark_met(rule, subject_type, subject_id) if met else None
    return await repo.upsert_derived(
        {
            "rule": rule,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "kind": kind,
            "due_date": due_date,
            "country": country,
            "title": title,
            "met": met,
        }
    )


async def sync_derived(
    session: AsyncSession,
    subject_type: str,
    subject_id: str,
    country: str | None,
    sources: Iterable[tuple[str, str, dt.date | None, str, bool]],
) -> None:
    """The deadlines a subject's own dates imply, given as (rule, kind, due date, title,
    met): each upserted, or removed once its date is gone (None)."""
    for rule, kind, due, title, met in sources:
        if due is None:
            await remove_derived(
                session, rule=rule, subject_type=subject_type, subject_id=subject_id
            )
            continue
        await upsert_derived(
            session,
            rule=rule,
            subject_type=subject_type,
            subject_id=subject_id,
            kind=kind,
            due_date=due,
            country=country,
            title=title,
            met=met,
        )


async def remove_derived(
    session: AsyncSession, *, rule: str, subject_type: str, subject_id: str
) -> int:
    """Delete a derived deadline whose source date is gone (with its reminders)."""
    return await DeadlineRepository(session).delete_derived(rule, subject_type, subject_id)


async def _apply(session: AsyncSession, derived: list[rules.Derived]) -> list[uuid.UUID]:
    changed = []
    for d in derived:
        # A derived deadline's fields are upsert_derived's arguments.
        ident = await upsert_derived(session, **dataclasses.asdict(d))
        if ident is not None:
            changed.append(ident)
    return changed


async def _derive_wg_report(session: AsyncSession, doc: Document) -> list[uuid.UUID]:
    if doc.date is None or doc.state_under_review is None or doc.symbol is None:
        return []
    repo = DeadlineRepository(session)
    pending, total = await repo.recommendation_counts(doc.id)
    latest = await repo.latest_wg_report(doc.state_under_review)
    facts = rules.ReportFacts(
        document_id=str(doc.id),
        symbol=doc.symbol,
        date=doc.date,
        country=doc.state_under_review,
        cycle=doc.cycle,
        pending=pending,
        recommendations=total,
        add1_date=await repo.add1_date(doc.symbol),
        midterm_submitted=await repo.midterm_after(doc.state_under_review, doc.date),
        is_latest=latest is not None and latest.id == doc.id,
    )
    return await _apply(session, rules.for_wg_report(facts))


async def recompute_for_document(session: AsyncSession, document_id: uuid.UUID) -> list[uuid.UUID]:
    """Recompute the deadlines a document implies (call after upserting it); idempotent.

    Add.1 views and matrices recompute their WG report (positions may have changed);
    a mid-term report recomputes the review it follows up. Returns changed deadline ids.
    """
    repo = DeadlineRepository(session)
    doc = await repo.document(document_id)
    if doc is None:
        return []
    if doc.kind == "wg_report":
        return await _derive_wg_report(session, doc)
    if doc.kind in ("add1_views", "matrix") and doc.report_symbol:
        report = await repo.document_by_symbol(doc.report_symbol)
        return await _derive_wg_report(session, report) if report is not None else []
    if doc.kind == "midterm_report" and doc.state_under_review and doc.date:
        report = await repo.wg_report_before(doc.state_under_review, doc.date)
        return await _derive_wg_report(session, report) if report is not None else []
    if doc.kind == "concluding_observations" and doc.date and doc.symbol:
        return await _apply(
            session,
            rules.for_concluding_observations(
                str(doc.id), doc.symbol, doc.date, doc.state_under_review, doc.mechanism
            ),
        )
    return []


async def recompute_batch(
    session: AsyncSession, after: uuid.UUID | None, limit: int = 200
) -> tuple[int, uuid.UUID | None]:
    """Recompute one batch of documents (ordered by id); (changed, last id or None)."""
    ids = await DeadlineRepository(session).derivable_document_ids(after, limit)
    changed = 0
    for document_id in ids:
        changed += len(await recompute_for_document(session, document_id))
    return changed, (ids[-1] if len(ids) == limit else None)


async def mark_missed(session: AsyncSession, today: dt.date) -> int:
    """Open deadlines whose due date has passed become missed."""
    return await DeadlineRepository(session).mark_missed(today)
