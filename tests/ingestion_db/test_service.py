"""Ingesting real Slovenia documents into PostgreSQL: reports, Add.1 views, matrices."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.documents.models import Document
from shared.ingestion.ingest import ingest_document
from shared.ingestion.storing import IngestError
from shared.recommendations.models import PositionChange, Recommendation, RecommendingState
from tests.ingestion_db.helpers import (
    C3_ADD1,
    C3_MATRIX,
    C3_REPORT,
    count,
    matrix,
    positions,
    slovenia,
    snapshot,
)

REPORT = "A/HRC/43/15"
ADD1 = "A/HRC/43/15/Add.1"


async def _ingest(session: AsyncSession, path: object) -> object:
    from pathlib import Path

    assert isinstance(path, Path)
    result = await ingest_document(session, path.read_bytes(), filename=path.name)
    await session.flush()
    return result


async def test_report_then_add1_applies_positions_with_history(session: AsyncSession) -> None:
    report = await ingest_document(session, slovenia(C3_REPORT).read_bytes(), filename=C3_REPORT)
    assert (report.outcome, report.symbol, report.kind) == ("new", REPORT, "wg_report")
    assert (report.created, report.updated) == (215, 0)
    assert await positions(session, REPORT) == {"supported": 58, "pending": 157}

    document = (
        await session.execute(select(Document).where(Document.symbol == REPORT))
    ).scalar_one()
    assert (document.state_under_review, document.mechanism, document.cycle, document.session) == (
        "SVN",
        "UPR",
        3,
        34,
    )
    rec = (
        await session.execute(select(Recommendation).where(Recommendation.ref == f"{REPORT}#121.1"))
    ).scalar_one()
    assert rec.paragraph_key == [121, 1]
    assert rec.document_date.isoformat() == "2019-12-19"
    states = (
        await session.execute(
            select(RecommendingState.name, RecommendingState.iso3)
            .where(RecommendingState.recommendation_id == rec.id)
            .order_by(RecommendingState.ordinal)
        )
    ).all()
    assert [tuple(s) for s in states] == [("France", "FRA"), ("Lithuania", "LTU")]

    add1 = await ingest_document(session, slovenia(C3_ADD1).read_bytes(), filename=C3_ADD1)
    assert (add1.outcome, add1.symbol, add1.kind) == ("new", ADD1, "add1_views")
    assert add1.updated == 157
    assert add1.positions_changed == 157
    assert await positions(session, REPORT) == {"supported": 58 + 124, "noted": 33}

    rows = (
        await session.execute(
            select(Recommendation.position_source, Recommendation.version).where(
                Recommendation.document_symbol == REPORT, Recommendation.paragraph.like("122.%")
            )
        )
    ).all()
    assert {r.position_source for r in rows} == {ADD1}
    assert {r.version for r in rows} == {2}

    pending = (
        await session.execute(select(Recommendation).where(Recommendation.ref == f"{REPORT}#122.1"))
    ).scalar_one()
    history = (
        await session.execute(
            select(PositionChange.position, PositionChange.source_symbol)
            .where(PositionChange.recommendation_id == pending.id)
            .order_by(PositionChange.id)
        )
    ).all()
    assert [tuple(h) for h in history] == [("pending", REPORT), ("supported", ADD1)]


async def test_same_bytes_again_change_nothing(session: AsyncSession) -> None:
    for name in (C3_REPORT, C3_ADD1):
        await ingest_document(session, slovenia(name).read_bytes(), filename=name)
    before = await snapshot(session, REPORT)
    tables = {
        t: await count(session, t)
        for t in (
            "documents",
            "document_files",
            "recommendations",
            "recommending_states",
            "position_changes",
        )
    }

    for name in (C3_REPORT, C3_ADD1):
        again = await ingest_document(session, slovenia(name).read_bytes(), filename=name)
        assert again.outcome == "unchanged"
        assert (again.created, again.updated, again.positions_changed) == (0, 0, 0)
        assert again.document_id is not None

    assert await snapshot(session, REPORT) == before
    assert {t: await count(session, t) for t in tables} == tables


async def test_same_report_in_another_file_touches_only_what_differs(
    session: AsyncSession,
) -> None:
    # A text extraction first, then the UN's PDF of the same report: the document points
    # at the PDF, and rows whose content is the same are left as they were.
    txt = "C3_A_HRC_43_15_WG_report.txt"
    await ingest_document(session, slovenia(txt).read_bytes(), filename=txt)
    before = await snapshot(session, REPORT)
    result = await ingest_document(session, slovenia(C3_REPORT).read_bytes(), filename=C3_REPORT)
    assert result.outcome == "updated"
    assert result.created == 0
    after = await snapshot(session, REPORT)
    untouched = [ref for ref in before if before[ref] == after[ref]]
    assert len(untouched) == 215 - result.updated
    assert await count(session, "documents") == 1
    assert await count(session, "document_files") == 2

    # Known bytes change nothing, and an extraction never overrides the PDF.
    assert (
        await ingest_document(session, slovenia(txt).read_bytes(), filename=txt)
    ).outcome == "unchanged"
    copy = slovenia(txt).read_bytes() + b"\n"
    lesser = await ingest_document(session, copy, filename="copy.txt")
    assert lesser.outcome == "unchanged"
    assert "kept but not applied" in lesser.warnings[0]
    assert await snapshot(session, REPORT) == after


async def test_add1_before_its_report_is_applied_when_the_report_arrives(
    session: AsyncSession,
) -> None:
    add1 = await ingest_document(session, slovenia(C3_ADD1).read_bytes(), filename=C3_ADD1)
    assert add1.outcome == "new"
    assert any("not ingested yet" in w for w in add1.warnings)
    report = await ingest_document(session, slovenia(C3_REPORT).read_bytes(), filename=C3_REPORT)
    assert report.created == 215
    assert await positions(session, REPORT) == {"supported": 182, "noted": 33}


async def test_cycle1_add1_bare_numbers_match_printed_numbers(session: AsyncSession) -> None:
    for name in ("C1_A_HRC_14_15_WG_report.pdf", "C1_A_HRC_14_15_Add1_views.pdf"):
        await ingest_document(session, slovenia(name).read_bytes(), filename=name)
    counts = await positions(session, "A/HRC/14/15")
    assert sum(counts.values()) == 97
    assert counts["pending"] < 97 - 80  # the views answer the items one by one
    rec = (
        await session.execute(
            select(Recommendation).where(Recommendation.ref == "A/HRC/14/15#111.2")
        )
    ).scalar_one()
    assert (rec.printed_number, rec.position, rec.position_source) == (
        "2",
        "supported",
        "A/HRC/14/15/Add.1",
    )


async def test_matrix_merges_tags_into_the_report(session: AsyncSession) -> None:
    for name in (C3_REPORT, C3_ADD1):
        await ingest_document(session, slovenia(name).read_bytes(), filename=name)
    before = await positions(session, REPORT)
    result = await ingest_document(session, matrix(C3_MATRIX).read_bytes(), filename=C3_MATRIX)
    assert (result.outcome, result.kind, result.created) == ("new", "matrix", 0)
    assert result.updated == 215
    assert result.positions_changed == 0  # the matrix agrees with report + Add.1
    assert await positions(session, REPORT) == before
    rec = (
        await session.execute(select(Recommendation).where(Recommendation.ref == f"{REPORT}#121.1"))
    ).scalar_one()
    assert rec.themes
    assert rec.affected_persons
    assert rec.sdg_goals == [16]
    assert all("." in t for t in rec.sdg_targets)
    assert rec.version == 2

    again = await ingest_document(session, matrix(C3_MATRIX).read_bytes(), filename=C3_MATRIX)
    assert again.outcome == "unchanged"


async def test_matrix_alone_creates_the_recommendations(session: AsyncSession) -> None:
    name = "slovenia_UPR48_2025_thematic_list.docx"
    result = await ingest_document(session, matrix(name).read_bytes(), filename=name)
    assert result.created == 254
    assert await positions(session, "A/HRC/59/15") == {"supported": 217, "noted": 37}
    assert any("derived from HRC session 59" in w for w in result.warnings)
    rec = (
        await session.execute(
            select(Recommendation).where(Recommendation.ref == "A/HRC/59/15#140.7")
        )
    ).scalar_one()
    assert rec.state_under_review == "SVN"
    assert rec.document_date.isoformat() == "2025-06-01"
    # The report arriving later keeps the matrix's positions and fills cycle and session.
    report = "C4_A_HRC_59_15_WG_report.pdf"
    later = await ingest_document(session, slovenia(report).read_bytes(), filename=report)
    assert later.created == 0
    assert await positions(session, "A/HRC/59/15") == {"supported": 217, "noted": 37}
    await session.refresh(rec)
    assert (rec.cycle, rec.session) == (4, 48)


async def test_unresolved_names_are_kept_and_reported(session: AsyncSession) -> None:
    text = slovenia("C3_A_HRC_43_15_WG_report.txt").read_text(encoding="utf-8")
    data = text.replace("(France)", "(Freedonia)").encode()
    result = await ingest_document(session, data, filename="report.txt")
    assert result.unresolved_names == ["Freedonia"]
    kept = (
        (
            await session.execute(
                select(RecommendingState.iso3).where(RecommendingState.name == "Freedonia")
            )
        )
        .scalars()
        .all()
    )
    assert kept
    assert set(kept) == {None}


async def test_unknown_state_fails_with_the_printed_name(session: AsyncSession) -> None:
    text = slovenia("C3_A_HRC_43_15_WG_report.txt").read_text(encoding="utf-8")
    data = text.replace("Slovenia", "Atlantis").replace("SVN", "XXX").encode()
    with pytest.raises(IngestError, match="'Atlantis' is not a known State"):
        await ingest_document(session, data, filename="report.txt")


async def test_unsupported_format_is_an_ingest_error(session: AsyncSession) -> None:
    legacy = matrix("egypt_UPR20_2014_matrix.doc")
    with pytest.raises(IngestError, match="legacy Word"):
        await ingest_document(session, legacy.read_bytes(), filename=legacy.name)
