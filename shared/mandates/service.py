"""Rules of mandates: places, periods, funding, renewals, status, and their deadlines."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any, Unpack

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.deadlines import service as deadlines
from shared.errors import Conflict
from shared.kernel import outbox
from shared.kernel.patches import invalid
from shared.kernel.shapes import shape_of
from shared.kernel.validation import Problems
from shared.mandates import rules
from shared.mandates.models import Mandate, MandateRenewal
from shared.mandates.repository import MandateRepository
from shared.mandates.schemas import (
    FundingOut,
    LegalBasis,
    MandateFilter,
    MandateIn,
    MandateOut,
    MandatePatch,
    RenewalIn,
)
from shared.pagination import Page, decode_time_key, split_time_key_page

END_RULE = "mandate.end"
RENEWAL_RULE = "mandate.renewal"


# --- shapes ------------------------------------------------------------------------------


def _gap(
    required: decimal.Decimal | None, secured: decimal.Decimal | None
) -> decimal.Decimal | None:
    if required is None:
        return None
    return max(required - (secured or decimal.Decimal(0)), decimal.Decimal(0))


def to_out(
    m: Mandate, renewals: list[MandateRenewal], *, today: dt.date, expiring_days: int
) -> MandateOut:
    return shape_of(
        MandateOut,
        m,
        legal_basis=LegalBasis(kind=m.legal_basis_kind, reference=m.legal_basis_reference),
        status=rules.mandate_status(m.start_date, m.end_date, today, expiring_days),
        funding=FundingOut(
            required=m.funding_required,
            secured=m.funding_secured,
            gap=_gap(m.funding_required, m.funding_secured),
            currency=m.currency,
            sources=list(m.funding_sources),
        ),
        renewals=renewals,
    )


def _snapshot(m: Mandate) -> dict[str, Any]:
    return _as_input(m).model_dump(mode="json")


def _as_input(m: Mandate) -> MandateIn:
    return MandateIn.model_validate(
        {
            "type": m.type,
            "title": m.title,
            "country": m.country,
            "region": m.region,
            "countries": [] if m.country else list(m.countries),
            "legal_basis": {"kind": m.legal_basis_kind, "reference": m.legal_basis_reference},
            "start_date": m.start_date,
            "end_date": m.end_date,
            "renewal_due_on": m.renewal_due_on,
            "funding": {
                "required": m.funding_required,
                "secured": m.funding_secured,
                "currency": m.currency,
                "sources": list(m.funding_sources),
            },
        }
    )


# --- validation ----------------------------------------------------------------------------


def _values(data: MandateIn) -> dict[str, Any]:
    """The column values of a valid mandate; one 422 listing every broken rule."""
    problems = Problems("body")
    where = rules.place(data.country, data.region, data.countries, problems)
    rules.period(data.start_date, data.end_date, problems)
    if data.renewal_due_on is not None and data.renewal_due_on < data.start_date:
        problems.add("renewal_due_on", "the renewal is due before the mandate starts")
    funding = data.funding
    if funding.secured is not None and funding.secured < 0:
        problems.add("funding.secured", "secured funding cannot be negative")
    if funding.required is not None and funding.required < 0:
        problems.add("funding.required", "required funding cannot be negative")
    sources = [" ".join(s.split()) for s in funding.sources]
    if any(not s or len(s) > 200 for s in sources):
        problems.add("funding.sources", "funding sources must have 1 to 200 characters")
    problems.raise_if_any()
    return {
        "type": data.type,
        "title": " ".join(data.title.split()),
        "country": where.country,
        "region": where.region,
        "countries": where.countries,
        "legal_basis_kind": data.legal_basis.kind,
        "legal_basis_reference": data.legal_basis.reference.strip(),
        "start_date": data.start_date,
        "end_date": data.end_date,
        "renewal_due_on": data.renewal_due_on,
        "funding_required": funding.required,
        "funding_secured": funding.secured,
        "currency": funding.currency,
        "funding_sources": list(dict.fromkeys(sources)),
    }


def _merge(current: MandateIn, changes: MandatePatch) -> MandateIn:
    base = current.model_dump()
    patch = changes.model_dump(exclude_unset=True)
    if isinstance(patch.get("funding"), dict):
        funding = changes.funding.model_dump(exclude_unset=True) if changes.funding else {}
        patch["funding"] = {**base["funding"], **funding}
    try:
        return MandateIn.model_validate(rules.merge_place(base, patch))
    except ValidationError as exc:
        raise invalid(exc) from None


# --- deadlines ---------------------------------------------------------------------------


def deadline_sources(m: Mandate) -> list[tuple[str, str, dt.date | None, str, bool]]:
    """(rule, kind, due date or None when gone, title, met) of the deadlines a mandate
    implies; the mandate never marks them met."""
    where = m.country or m.region or ""
    return [
        (END_RULE, "mandate_end", m.end_date, f"End of the mandate: {m.title} ({where})", False),
        (
            RENEWAL_RULE,
            "mandate_renewal",
            m.renewal_due_on,
            f"Renewal decision due: {m.title} ({where})",
            False,
        ),
    ]


async def _sync_deadlines(session: AsyncSession, m: Mandate) -> None:
    await deadlines.sync_derived(session, "mandate", str(m.id), m.country, deadline_sources(m))


async def _emit(session: AsyncSession, m: Mandate, action: str) -> None:
    """A ``mandate.updated`` change event per country the mandate covers, in the same
    transaction as the change (subscriptions filter on the country)."""
    payload = {"mandate_id": str(m.id), "action": action, "title": m.title}
    await outbox.emit_per_country(session, "mandate.updated", m.countries, payload)


# --- reads ---------------------------------------------------------------------------------


async def get(session: AsyncSession, mandate_id: uuid.UUID, *, expiring_days: int) -> MandateOut:
    m = await MandateRepository(session).found("mandate", mandate_id)
    return await _with_renewals(session, m, expiring_days=expiring_days)


async def _with_renewals(session: AsyncSession, m: Mandate, *, expiring_days: int) -> MandateOut:
    """The output of a row already read in this request (writes reload it through ``update_row``),
    so only its renewals are fetched."""
    renewals = await MandateRepository(session).renewals([m.id])
    return to_out(m, renewals[m.id], today=dt.date.today(), expiring_days=expiring_days)


async def list_page(
    session: AsyncSession, f: MandateFilter, *, cursor: str | None, limit: int, expiring_days: int
) -> Page[MandateOut]:
    after = decode_time_key(cursor, "mandates", dt.date.fromisoformat)
    today = dt.date.today()
    repo = MandateRepository(session)
    rows = await repo.page(
        f, today=today, expiring_days=expiring_days, after=after, limit=limit + 1
    )
    page, next_cursor = split_time_key_page("mandates", rows, limit, lambda m: (m.start_date, m.id))
    renewals = await repo.renewals([m.id for m in page])
    items = [to_out(m, renewals[m.id], today=today, expiring_days=expiring_days) for m in page]
    return Page(items=items, next_cursor=next_cursor)


# --- writes --------------------------------------------------------------------------------


async def create(
    session: AsyncSession, actor: Actor, data: MandateIn, *, expiring_days: int
) -> MandateOut:
    values = _values(data)
    rules.require_countries(actor, values["countries"])
    m = Mandate(id=uuid.uuid4(), version=1, **values)
    await MandateRepository(session).insert(m)
    await _changed(session, actor, m, "mandate.create", after=_snapshot(m))
    return to_out(m, [], today=dt.date.today(), expiring_days=expiring_days)


async def _changed(
    session: AsyncSession, actor: Actor, m: Mandate, action: str, **states: Unpack[audit.States]
) -> None:
    """After a mandate is created or changed: its deadlines follow, then the change event
    and the audit entry."""
    await _sync_deadlines(session, m)
    await _emit(session, m, action)
    audit.record_change(session, actor, action, m.id, **states)


async def _writable(
    session: AsyncSession, actor: Actor, mandate_id: uuid.UUID, version: int | None
) -> Mandate:
    return await MandateRepository(session).for_change(
        "mandate", mandate_id, version, lambda m: rules.require_countries(actor, m.countries)
    )


async def patch(
    session: AsyncSession,
    actor: Actor,
    mandate_id: uuid.UUID,
    version: int,
    changes: MandatePatch,
    *,
    expiring_days: int,
) -> MandateOut:
    """Change a mandate at ``version`` (If-Match); the key must cover old and new places."""
    m = await _writable(session, actor, mandate_id, version)
    before = _snapshot(m)
    values = _values(_merge(_as_input(m), changes))
    rules.require_countries(actor, values["countries"])
    await MandateRepository(session).update_row("mandate", m, version, values)
    await _changed(session, actor, m, "mandate.update", before=before, after=_snapshot(m))
    return await _with_renewals(session, m, expiring_days=expiring_days)


async def renew(
    session: AsyncSession,
    actor: Actor,
    mandate_id: uuid.UUID,
    version: int | None,
    data: RenewalIn,
    *,
    expiring_days: int,
) -> MandateOut:
    """Record a renewal: a history row, the new end date, and the deadlines moved."""
    m = await _writable(session, actor, mandate_id, version)
    next_renewal_due_on = data.next_renewal_due_on
    problems = Problems("body")
    rules.period(m.start_date, data.new_end, problems)
    if m.end_date is not None and data.new_end <= m.end_date:
        problems.add("new_end", f"a renewal extends the mandate beyond its end ({m.end_date})")
    if next_renewal_due_on is not None and next_renewal_due_on > data.new_end:
        problems.add("next_renewal_due_on", "the next renewal is due after the new end")
    problems.raise_if_any()
    previous_end = m.end_date
    await MandateRepository(session).add_renewal(
        MandateRenewal(
            mandate_id=m.id,
            renewed_on=data.renewed_on or dt.date.today(),
            previous_end=previous_end,
            new_end=data.new_end,
            legal_basis_reference=data.legal_basis_reference,
            note=data.note,
        )
    )
    # The renewal that was due is done: its deadline goes, the next one (if known) comes.
    await deadlines.remove_derived(
        session, rule=RENEWAL_RULE, subject_type="mandate", subject_id=str(m.id)
    )
    await MandateRepository(session).update_row(
        "mandate", m, m.version, {"end_date": data.new_end, "renewal_due_on": next_renewal_due_on}
    )
    await _changed(
        session,
        actor,
        m,
        "mandate.renew",
        before={"end_date": previous_end.isoformat() if previous_end else None},
        after={"end_date": data.new_end.isoformat()},
    )
    return await _with_renewals(session, m, expiring_days=expiring_days)


async def delete(
    session: AsyncSession, actor: Actor, mandate_id: uuid.UUID, version: int | None
) -> None:
    """Delete a mandate no programme refers to (409 otherwise), with its deadlines."""
    m = await _writable(session, actor, mandate_id, version)
    repo = MandateRepository(session)
    count = await repo.programme_count(m.id)
    if count:
        raise Conflict(
            f"{count} programme(s) refer to this mandate; detach or delete them first",
            code="mandate_in_use",
        )
    before = _snapshot(m)
    for rule, *_ in deadline_sources(m):
        await deadlines.remove_derived(
            session, rule=rule, subject_type="mandate", subject_id=str(m.id)
        )
    await repo.delete(m.id)
    await _emit(session, m, "mandate.delete")
    audit.record_change(session, actor, "mandate.delete", m.id, before=before)
