"""What each kind of document changes in the recommendations: a Working Group report
(one recommendation per paragraph), Add.1 views (positions), a matrix (tags, positions).
Add.1 views and matrices that arrived before their report are applied when it arrives."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from shared.documents.models import Document
from shared.ingestion.parsed import (
    ParsedDocument,
    ParsedRecommendation,
    PositionChange,
    UnreadableDocument,
    UnsupportedFormat,
)
from shared.ingestion.repository import DocumentStore
from shared.ingestion.storing import (
    MECHANISM,
    THEME_NUMBERING,
    Changes,
    IngestError,
    Meta,
    clip,
    derive_date,
    parse,
    report_symbol_of,
    store_document,
)
from shared.kernel.paragraphs import natural_key
from shared.kernel.sdg import sdg_goals_of
from shared.recommendations.models import Recommendation
from shared.reference.countries import resolve
from shared.reference.taxonomies import resolve_affected_person, resolve_theme


def _states(rec: ParsedRecommendation) -> list[tuple[str, str | None]]:
    return [(s.name, s.iso3) for s in rec.recommending_states]


def _described(
    p: ParsedRecommendation,
    document_id: uuid.UUID,
    symbol: str,
    date: dt.date | None,
    state: str,
    cycle: int | None,
    session: int | None,
) -> dict[str, Any]:
    """The columns a recommendation takes from its paragraph and its report."""
    return {
        "kind": "recommendation",
        "document_id": document_id,
        "document_symbol": symbol,
        "document_date": date,
        "paragraph": clip(p.paragraph, 50),
        "paragraph_key": natural_key(p.paragraph),
        "printed_number": clip(p.printed_number, 50),
        "text": p.text,
        "state_under_review": state,
        "mechanism": MECHANISM,
        "cycle": cycle,
        "session": session,
    }


def _untagged() -> dict[str, Any]:
    """The tags of a recommendation its document does not tag."""
    return {"themes": [], "affected_persons": [], "sdg_targets": [], "sdg_goals": []}


def _new_row(
    rec_id: uuid.UUID,
    ref: str,
    described: dict[str, Any],
    position: dict[str, Any],
    tags: dict[str, Any],
) -> dict[str, Any]:
    """The row of a new recommendation: the first version, no institutions, no status
    information yet."""
    return {
        "id": rec_id,
        "ref": ref,
        **described,
        **position,
        **tags,
        "institutions": [],
        "status": "no_information",
        "version": 1,
        "deleted_at": None,
    }


def _dedupe(
    recommendations: Sequence[ParsedRecommendation], warnings: list[str]
) -> list[ParsedRecommendation]:
    seen: dict[str, ParsedRecommendation] = {}
    for rec in recommendations:
        if rec.paragraph in seen:
            warnings.append(f"paragraph {rec.paragraph} appears twice; the first kept")
            continue
        seen[rec.paragraph] = rec
    return list(seen.values())


async def upsert_wg_report(
    store: DocumentStore, parsed: ParsedDocument, meta: Meta, changes: Changes
) -> tuple[Document, bool]:
    symbol = parsed.symbol
    if not symbol:
        raise IngestError(
            f"WG report {meta.filename or meta.source_url or ''} has no document symbol;"
            " its recommendations cannot be keyed".replace("  ", " ")
        )
    state = parsed.state_under_review
    if not state:
        raise IngestError(
            f"{symbol}: the State under review {parsed.state_name!r} is not a known State"
            if parsed.state_name
            else f"{symbol}: no State under review found in the document"
        )
    document, is_new = await store_document(store, parsed, meta, state)
    date, warning = derive_date(parsed.date, symbol, parsed.session)
    if warning:
        changes.warnings.append(warning)
    recs = _dedupe(parsed.recommendations, changes.warnings)
    existing = await store.recommendations([f"{symbol}#{r.paragraph}" for r in recs])
    old_states = await store.states_of([r.id for r in existing.values()])
    new_rows: list[dict[str, Any]] = []
    new_states: list[tuple[uuid.UUID, list[tuple[str, str | None]]]] = []
    for p in recs:
        ref = f"{symbol}#{p.paragraph}"
        desired = _described(p, document.id, symbol, date, state, parsed.cycle, parsed.session)
        position: dict[str, Any] = {
            "position": p.position or "no_position",
            "position_raw": p.position_raw,
            "position_source": clip(p.position_source or symbol, 100) or symbol,
        }
        rec = existing.get(ref)
        if rec is None:
            rec_id = uuid.uuid4()
            new_rows.append(_new_row(rec_id, ref, desired, position, _untagged()))
            new_states.append((rec_id, _states(p)))
            if p.position is not None:
                changes.position(
                    rec_id,
                    ref,
                    state,
                    None,
                    position["position"],
                    p.position_raw,
                    position["position_source"],
                )
            continue
        values = {k: v for k, v in desired.items() if getattr(rec, k) != v}
        # A position stated by a later document (Add.1, matrix) outranks the report's.
        if rec.position_source in (None, symbol):
            values |= {k: v for k, v in position.items() if getattr(rec, k) != v}
        states_changed = old_states.get(rec.id, []) != _states(p)
        if values or states_changed:
            await store.update_recommendation(rec.id, values)
            changes.updated_ids.add(rec.id)
        if states_changed:
            await store.replace_states(rec.id, _states(p))
        if "position" in values:
            changes.position(
                rec.id,
                ref,
                state,
                rec.position,
                values["position"],
                position["position_raw"],
                position["position_source"],
            )
    await store.insert_recommendations(new_rows)
    await store.insert_states(new_states)
    changes.created += len(new_rows)
    await _apply_dependents(store, symbol, document, changes)
    return document, is_new


async def _apply_dependents(
    store: DocumentStore, report_symbol: str, report: Document, changes: Changes
) -> None:
    """Add.1 views and matrices stored before their report: apply them now."""
    for dependent in await store.dependents(report_symbol):
        content = await store.content(dependent.sha256)
        if content is None:
            continue
        try:
            parsed, _, _, _ = await asyncio.to_thread(
                parse, content, dependent.filename, dependent.media_type
            )
        except (UnsupportedFormat, UnreadableDocument) as exc:
            changes.warnings.append(f"could not re-read {dependent.symbol or dependent.id}: {exc}")
            continue
        if dependent.kind == "add1_views":
            await _apply_add1(
                store, dependent.symbol or "", report_symbol, parsed.position_changes, changes
            )
        elif dependent.kind == "matrix":
            await _apply_matrix(
                store,
                dependent,
                report_symbol,
                report,
                parsed,
                report.state_under_review or "",
                changes,
            )


async def upsert_add1(
    store: DocumentStore, parsed: ParsedDocument, meta: Meta, changes: Changes
) -> tuple[Document, bool]:
    symbol = parsed.symbol
    report_symbol = report_symbol_of(parsed)
    if not symbol or not report_symbol:
        raise IngestError(
            f"Add.1 views {meta.filename or meta.source_url or ''} have no document symbol"
        )
    report = await store.document_by_symbol(report_symbol)
    state = parsed.state_under_review or (report.state_under_review if report else None)
    document, is_new = await store_document(store, parsed, meta, state)
    if not parsed.position_changes:
        changes.warnings.append("no positions found in these views")
    if report is None:
        changes.warnings.append(
            f"report {report_symbol} not ingested yet: its {len(parsed.position_changes)}"
            " positions will be applied when it is"
        )
        return document, is_new
    await _apply_add1(store, symbol, report_symbol, parsed.position_changes, changes)
    return document, is_new


async def _apply_add1(
    store: DocumentStore,
    symbol: str,
    report_symbol: str,
    position_changes: Sequence[PositionChange],
    changes: Changes,
) -> None:
    recs = await store.recommendations_of(report_symbol)
    by_paragraph = {r.paragraph: r for r in recs}
    by_printed: dict[str, list[Recommendation]] = defaultdict(list)
    for r in recs:
        if r.printed_number:
            by_printed[r.printed_number.rstrip(".")].append(r)
    unmatched: list[str] = []
    for change in position_changes:
        rec = by_paragraph.get(change.paragraph)
        if rec is None and "." not in change.paragraph:
            candidates = by_printed.get(change.paragraph, [])
            rec = candidates[0] if len(candidates) == 1 else None
        if rec is None:
            unmatched.append(change.paragraph)
            continue
        values: dict[str, Any] = {}
        if rec.position != change.position:
            values["position"] = change.position
        if rec.position_raw != change.position_raw:
            values["position_raw"] = change.position_raw
        if rec.position_source != symbol:
            values["position_source"] = symbol
        if not values:
            continue
        await store.update_recommendation(rec.id, values)
        changes.updated_ids.add(rec.id)
        if "position" in values:
            changes.position(
                rec.id,
                rec.ref,
                rec.state_under_review,
                rec.position,
                change.position,
                change.position_raw,
                symbol,
            )
        # Later views in the same pass see what this one set.
        rec.position, rec.position_raw, rec.position_source = (
            change.position,
            change.position_raw,
            symbol,
        )
    if unmatched:
        shown = ", ".join(unmatched[:10]) + (" ..." if len(unmatched) > 10 else "")
        changes.warnings.append(
            f"{len(unmatched)} positions match no recommendation of {report_symbol}: {shown}"
        )


def _state_from_filename(filename: str | None) -> str | None:
    """``slovenia_UPR20_2014_thematic_list.docx`` -> SVN (matrices print no State)."""
    if not filename:
        return None
    stem = re.split(r"[_\-\s]*(?:UPR|\d)", filename.rsplit("/", 1)[-1], maxsplit=1)[0]
    return resolve(stem.replace("_", " ")) if stem else None


async def upsert_matrix(
    store: DocumentStore, parsed: ParsedDocument, meta: Meta, changes: Changes
) -> tuple[Document, bool]:
    report_symbol = parsed.report_symbol
    if not report_symbol:
        raise IngestError(f"matrix {meta.filename or meta.source_url or ''} names no report symbol")
    report = await store.document_by_symbol(report_symbol)
    state = (report.state_under_review if report else None) or parsed.state_under_review
    state = state or _state_from_filename(meta.filename)
    if not state:
        raise IngestError(
            f"matrix of {report_symbol}: the State under review is unknown until that report"
            " is ingested"
        )
    document, is_new = await store_document(store, parsed, meta, state)
    await _apply_matrix(store, document, report_symbol, report, parsed, state, changes)
    return document, is_new


def _merge(old: Sequence[Any], new: Sequence[Any]) -> list[Any]:
    return list(dict.fromkeys([*old, *new]))


def _matrix_tags(
    p: ParsedRecommendation, warnings: list[str]
) -> tuple[list[str], list[str], list[str], list[int]]:
    themes: list[str] = []
    for label in p.themes:
        value = resolve_theme(label) or resolve_theme(THEME_NUMBERING.sub("", label))
        if value:
            themes.append(value[:200])
        else:
            warnings.append(f"unmapped theme {label!r}")
    persons: list[str] = []
    for label in p.affected_persons:
        value = resolve_affected_person(label)
        if value:
            persons.append(value[:200])
        elif label.strip().lower() not in ("general", "none", "n/a"):
            warnings.append(f"unmapped affected persons {label!r}")
    # Matrices list goal numbers ("16") beside targets ("16.3"): goals go to sdg_goals.
    targets = [t for t in p.sdg_targets if "." in t]
    goals = sorted(
        {int(t) for t in p.sdg_targets if t.isascii() and t.isdigit() and 1 <= int(t) <= 17}
        | set(sdg_goals_of(targets))
    )
    return _merge([], themes), _merge([], persons), _merge([], targets), goals


async def _apply_matrix(
    store: DocumentStore,
    matrix: Document,
    report_symbol: str,
    report: Document | None,
    parsed: ParsedDocument,
    state: str,
    changes: Changes,
) -> None:
    tag_warnings: list[str] = []
    recs = _dedupe(parsed.recommendations, changes.warnings)
    existing = await store.recommendations([f"{report_symbol}#{r.paragraph}" for r in recs])
    date: dt.date | None = report.date if report else None
    new_rows: list[dict[str, Any]] = []
    new_states: list[tuple[uuid.UUID, list[tuple[str, str | None]]]] = []
    for p in recs:
        ref = f"{report_symbol}#{p.paragraph}"
        themes, persons, targets, goals = _matrix_tags(p, tag_warnings)
        source = clip(p.position_source or f"{report_symbol}/Add.1", 100)
        rec = existing.get(ref)
        if rec is None:
            if date is None:
                date, warning = derive_date(None, report_symbol, parsed.session)
                if warning:
                    changes.warnings.append(warning)
            rec_id = uuid.uuid4()
            described = _described(
                p,
                report.id if report else matrix.id,
                report_symbol,
                date,
                state,
                report.cycle if report else parsed.cycle,
                report.session if report else parsed.session,
            )
            stated = {
                "position": p.position or "no_position",
                "position_raw": p.position_raw,
                "position_source": source if p.position else None,
            }
            tagged = {
                "themes": themes,
                "affected_persons": persons,
                "sdg_targets": targets,
                "sdg_goals": goals,
            }
            new_rows.append(_new_row(rec_id, ref, described, stated, tagged))
            new_states.append((rec_id, _states(p)))
            if p.position:
                changes.position(rec_id, ref, state, None, p.position, p.position_raw, source)
            continue
        # Tags are merged, never dropped: a follow-up team may have added its own.
        values: dict[str, Any] = {}
        for column, tags in (
            ("themes", themes),
            ("affected_persons", persons),
            ("sdg_targets", targets),
        ):
            merged = _merge(getattr(rec, column), tags)
            if merged != list(getattr(rec, column)):
                values[column] = merged
        merged_goals = sorted(set(rec.sdg_goals) | set(goals))
        if merged_goals != list(rec.sdg_goals):
            values["sdg_goals"] = merged_goals
        if p.position and p.position != rec.position:
            values |= {
                "position": p.position,
                "position_raw": p.position_raw,
                "position_source": source,
            }
        if values:
            await store.update_recommendation(rec.id, values)
            changes.updated_ids.add(rec.id)
        if "position" in values:
            changes.position(
                rec.id,
                ref,
                rec.state_under_review,
                rec.position,
                p.position or "",
                p.position_raw,
                source,
            )
    await store.insert_recommendations(new_rows)
    await store.insert_states(new_states)
    changes.created += len(new_rows)
    changes.warnings.extend(dict.fromkeys(tag_warnings))
