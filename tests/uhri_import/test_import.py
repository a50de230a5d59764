"""The UHRI import on real PostgreSQL: new, unchanged, updated, merged, tombstoned, unmapped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.deadlines.models import Deadline
from shared.documents.models import Document
from shared.recommendations.models import Recommendation, RecommendingState
from shared.uhri import importer, service
from shared.uhri.models import UhriImport, UhriRecordState
from shared.uhri.settings import UhriSettings
from tests.recommendations import factory
from tests.uhri_import.helpers import PERU_ID, USA_FIRST_ID, count, records, write_export

Maker = async_sessionmaker[AsyncSession]


async def _rec(session: AsyncSession, ref: str) -> Recommendation:
    result = await session.execute(
        select(Recommendation)
        .where(Recommendation.ref == ref)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def test_json_export_creates_recommendations(
    sessionmaker: Maker, session: AsyncSession, json_export: Path
) -> None:
    result = await importer.import_file(sessionmaker, json_export)

    assert result.status == "succeeded"
    assert result.full
    assert result.source_format == "json"
    assert (result.records, result.created, result.updated, result.unchanged) == (22, 22, 0, 0)
    assert (result.merged, result.tombstoned, result.unmapped, result.record_errors) == (
        0,
        0,
        0,
        0,
    )
    # Theme labels the taxonomy does not know are reported, the records still imported.
    assert {(u.field, u.label) for u in result.unmapped_labels} >= {
        ("themes", "Land & property rights")
    }

    peru = await _rec(session, "CRC/C/PER/CO/6-7#4")
    assert (peru.kind, peru.mechanism, peru.state_under_review) == ("observation", "CRC", "PER")
    assert peru.uhri_id == PERU_ID
    assert peru.position == "no_position"
    assert peru.document_date == dt.date(2025, 2, 12)
    assert "16.2" in peru.sdg_targets
    assert 16 in peru.sdg_goals
    assert 5 in peru.sdg_goals
    assert peru.provenance["text"] == [f"uhri:{result.id}"]

    usa = await _rec(session, "A/HRC/46/15#26.1")
    assert (usa.mechanism, usa.position, usa.session, usa.cycle) == ("UPR", "supported", 36, 3)
    assert usa.document_symbol == "A/HRC/46/15"
    assert usa.document_id is None
    states = (
        await session.execute(
            select(RecommendingState.name, RecommendingState.iso3).where(
                RecommendingState.recommendation_id == usa.id
            )
        )
    ).all()
    assert [tuple(s) for s in states] == [("Somalia", "SOM")]
    assert (
        await count(
            session,
            "SELECT count(*) FROM position_changes WHERE recommendation_id = :id",
            id=usa.id,
        )
        == 1
    )

    assert await count(session, "SELECT count(*) FROM uhri_records") == 22


async def test_concluding_observations_get_their_follow_up_deadline(
    sessionmaker: Maker, session: AsyncSession, json_export: Path
) -> None:
    await importer.import_file(sessionmaker, json_export)

    docs = {
        d.symbol: d
        for d in (
            await session.execute(
                select(Document).where(Document.kind == "concluding_observations")
            )
        ).scalars()
    }
    assert set(docs) == {"CRC/C/PER/CO/6-7", "E/C.12/AUS/CO/6"}
    assert docs["CRC/C/PER/CO/6-7"].mechanism == "CRC"
    peru = await _rec(session, "CRC/C/PER/CO/6-7#4")
    assert peru.document_id == docs["CRC/C/PER/CO/6-7"].id

    deadlines = {
        d.subject_id: d
        for d in (
            await session.execute(select(Deadline).where(Deadline.rule == "treaty.followup"))
        ).scalars()
    }
    crc = deadlines[str(docs["CRC/C/PER/CO/6-7"].id)]
    assert (crc.kind, crc.due_date, crc.country) == ("treaty_followup", dt.date(2026, 2, 12), "PER")
    assert deadlines[str(docs["E/C.12/AUS/CO/6"].id)].due_date == dt.date(2027, 3, 23)


async def test_xlsx_search_export_is_a_partial_import(
    sessionmaker: Maker, session: AsyncSession, json_export: Path, xlsx_export: Path
) -> None:
    result = await importer.import_file(sessionmaker, xlsx_export)
    assert result.source_format == "xlsx"
    assert not result.full
    assert (result.records, result.created) == (6, 6)

    # The same annotations from the JSON export: same records, nothing duplicated.
    again = await importer.import_file(sessionmaker, json_export)
    assert again.created == 16
    assert await count(session, "SELECT count(*) FROM recommendations") == 22

    # A later xlsx holding 6 of 22 annotations tombstones nothing: it is partial.
    partial = await importer.import_file(sessionmaker, xlsx_export)
    assert partial.tombstoned == 0
    assert (
        await count(session, "SELECT count(*) FROM recommendations WHERE deleted_at IS NOT NULL")
        == 0
    )


async def test_reimport_changes_nothing(
    sessionmaker: Maker, session: AsyncSession, json_export: Path
) -> None:
    await importer.import_file(sessionmaker, json_export)
    before = {
        r.ref: (r.version, r.updated_at)
        for r in (await session.execute(select(Recommendation))).scalars()
    }

    result = await importer.import_file(sessionmaker, json_export)

    assert (result.created, result.updated, result.unchanged, result.tombstoned) == (0, 0, 22, 0)
    after = {
        r.ref: (r.version, r.updated_at)
        for r in (
            await session.execute(select(Recommendation).execution_options(populate_existing=True))
        ).scalars()
    }
    assert after == before
    assert await count(session, "SELECT count(*) FROM position_changes") == 6


async def test_changed_record_is_updated(
    sessionmaker: Maker, session: AsyncSession, tmp_path: Path
) -> None:
    items = records()
    first = await importer.import_file(sessionmaker, write_export(tmp_path / "a.json", items))
    usa = await _rec(session, "A/HRC/46/15#26.1")
    stamp = usa.updated_at

    for item in items:
        if item["AnnotationId"] == USA_FIRST_ID:
            item["Text"] = item["Text"].replace("Ratify", "Consider ratifying", 1)
            item["UprPositions"] = ["Noted"]
    result = await importer.import_file(sessionmaker, write_export(tmp_path / "b.json", items))

    assert (result.updated, result.unchanged, result.created) == (1, 21, 0)
    usa = await _rec(session, "A/HRC/46/15#26.1")
    assert usa.version == 2
    assert usa.updated_at > stamp
    assert usa.position == "noted"
    assert usa.provenance["text"] == [f"uhri:{result.id}"] != [f"uhri:{first.id}"]
    assert (
        await count(
            session,
            "SELECT count(*) FROM position_changes WHERE recommendation_id = :id",
            id=usa.id,
        )
        == 2
    )
    states = await count(
        session,
        "SELECT count(*) FROM recommending_states WHERE recommendation_id = :id",
        id=usa.id,
    )
    assert states == 1


async def test_removed_record_is_tombstoned_then_comes_back(
    sessionmaker: Maker, session: AsyncSession, tmp_path: Path
) -> None:
    items = records()
    await importer.import_file(sessionmaker, write_export(tmp_path / "a.json", items))

    without = [i for i in items if i["AnnotationId"] != PERU_ID]
    result = await importer.import_file(sessionmaker, write_export(tmp_path / "b.json", without))

    assert (result.tombstoned, result.unchanged) == (1, 21)
    peru = await _rec(session, "CRC/C/PER/CO/6-7#4")
    assert peru.deleted_at is not None
    assert peru.version == 2
    state = await session.get(UhriRecordState, PERU_ID, populate_existing=True)
    assert state is not None
    assert state.tombstoned_at is not None

    back = await importer.import_file(sessionmaker, write_export(tmp_path / "c.json", items))
    assert (back.updated, back.unchanged, back.tombstoned) == (1, 21, 0)
    peru = await _rec(session, "CRC/C/PER/CO/6-7#4")
    assert peru.deleted_at is None
    assert peru.version == 3


async def test_short_full_export_tombstones_nothing(
    sessionmaker: Maker, session: AsyncSession, tmp_path: Path
) -> None:
    items = records()
    await importer.import_file(sessionmaker, write_export(tmp_path / "a.json", items))
    guarded = UhriSettings(tombstone_min_guard=5, tombstone_max_fraction=0.2)

    result = await importer.import_file(
        sessionmaker, write_export(tmp_path / "b.json", items[:5]), settings=guarded
    )

    assert result.status == "succeeded"
    assert result.tombstoned == 0
    assert "none was tombstoned" in result.warnings[0]
    assert (
        await count(session, "SELECT count(*) FROM recommendations WHERE deleted_at IS NOT NULL")
        == 0
    )


async def test_merge_with_recommendation_parsed_from_the_report(
    sessionmaker: Maker, session: AsyncSession, json_export: Path
) -> None:
    report = await factory.document(
        session, "A/HRC/46/15", "USA", dt.date(2020, 12, 15), cycle=3, session_no=36
    )
    parsed = await factory.recommendation(
        session,
        report,
        "26.1",
        "Ratify the core human rights treaties (text as the report prints it)",
        recommending=(("Somalia", "SOM"),),
        position="supported",
        themes=("B31",),
    )
    await session.commit()

    result = await importer.import_file(sessionmaker, json_export)

    assert (result.merged, result.created) == (1, 21)
    merged = await _rec(session, "A/HRC/46/15#26.1")
    assert merged.id == parsed.id
    assert merged.uhri_id == USA_FIRST_ID
    assert merged.text.endswith("(text as the report prints it)")
    assert merged.position == "supported"
    assert merged.document_id == report.id
    assert merged.themes[0] == "B31"
    assert "A1" in merged.themes
    assert merged.version == 2
    src = f"uhri:{result.id}"
    assert merged.provenance["text"] == ["wg_report:A/HRC/46/15"]
    assert merged.provenance["position"] == ["wg_report:A/HRC/46/15"]
    assert merged.provenance["themes"] == ["wg_report:A/HRC/46/15", src]
    assert merged.provenance["uhri_id"] == [src]
    # The other five USA annotations of that report link to the ingested document.
    other = await _rec(session, "A/HRC/46/15#26.2")
    assert other.document_id == report.id
    assert await count(session, "SELECT count(*) FROM recommendations") == 22

    again = await importer.import_file(sessionmaker, json_export)
    assert (again.merged, again.unchanged) == (0, 22)
    merged = await _rec(session, "A/HRC/46/15#26.1")
    assert merged.version == 2


async def test_unmapped_country_is_kept_out_and_reported(
    sessionmaker: Maker, session: AsyncSession, tmp_path: Path
) -> None:
    items = records()
    for item in items:
        if item["AnnotationId"] == PERU_ID:
            item["Countries"] = ["Atlantis"]
    result = await importer.import_file(sessionmaker, write_export(tmp_path / "a.json", items))

    assert (result.created, result.unmapped) == (21, 1)
    labels = {(u.field, u.label): u.count for u in result.unmapped_labels}
    assert labels[("countries", "Atlantis")] == 1
    assert (
        await count(session, "SELECT count(*) FROM recommendations WHERE uhri_id = :id", id=PERU_ID)
        == 0
    )


async def test_malformed_file_fails_clearly_and_tombstones_nothing(
    sessionmaker: Maker, session: AsyncSession, tmp_path: Path
) -> None:
    items = records()
    await importer.import_file(sessionmaker, write_export(tmp_path / "a.json", items))
    changed = [dict(i) for i in items]
    changed[0]["Text"] = "<p>4. A changed first record.</p>"
    whole = write_export(tmp_path / "b.json", changed).read_bytes()
    broken = tmp_path / "broken.json"
    broken.write_bytes(whole[: len(whole) // 2])  # cut in the middle of a record

    with pytest.raises(service.UhriImportFailed) as caught:
        await importer.import_file(sessionmaker, broken, settings=UhriSettings(batch_size=5))

    assert "invalid JSON" in caught.value.detail
    row = await session.get(UhriImport, caught.value.import_id, populate_existing=True)
    assert row is not None
    assert row.status == "failed"
    assert row.finished_at is not None
    assert row.error
    assert "invalid JSON" in row.error
    # The batches before the break were applied; nothing was tombstoned.
    assert row.updated == 1
    assert row.tombstoned == 0
    assert (
        await count(session, "SELECT count(*) FROM recommendations WHERE deleted_at IS NOT NULL")
        == 0
    )
    assert (
        await count(session, "SELECT count(*) FROM uhri_records WHERE tombstoned_at IS NOT NULL")
        == 0
    )


async def test_not_an_export_fails(sessionmaker: Maker, tmp_path: Path) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"not": "an array"}')
    with pytest.raises(service.UhriImportFailed, match="top-level array"):
        await importer.import_file(sessionmaker, bogus)

    garbage = tmp_path / "x.csv"
    garbage.write_text("Text,Countries\n")
    with pytest.raises(service.UhriImportFailed, match="not a UHRI export"):
        await importer.import_file(sessionmaker, garbage)

    with pytest.raises(service.UhriImportFailed, match="Is a directory"):
        await importer.import_file(sessionmaker, tmp_path)


async def test_duplicate_symbol_paragraph_gets_an_annotation_ref(
    sessionmaker: Maker, session: AsyncSession, tmp_path: Path
) -> None:
    items = records()
    twin = dict(next(i for i in items if i["AnnotationId"] == PERU_ID))
    twin["AnnotationId"] = "00000000-0000-4000-8000-000000000001"
    result = await importer.import_file(
        sessionmaker, write_export(tmp_path / "a.json", [*items, twin])
    )
    assert result.created == 23
    assert (
        await count(
            session,
            "SELECT count(*) FROM recommendations WHERE ref = :ref",
            ref=f"uhri:{twin['AnnotationId']}",
        )
        == 1
    )


async def test_unchanged_import_writes_no_recommendation(
    sessionmaker: Maker, session: AsyncSession, json_export: Path
) -> None:
    await importer.import_file(sessionmaker, json_export)
    await session.execute(text("SELECT 1"))
    xmin = {
        row[0]: row[1]
        for row in await session.execute(text("SELECT id, xmin::text FROM recommendations"))
    }
    await importer.import_file(sessionmaker, json_export)
    after = {
        row[0]: row[1]
        for row in await session.execute(text("SELECT id, xmin::text FROM recommendations"))
    }
    assert after == xmin


async def test_unchanged_annotation_whose_recommendation_was_deleted_is_created_again(
    sessionmaker: Maker, session: AsyncSession, json_export: Path
) -> None:
    # Same content hash, but its recommendation is gone (uhri_records.recommendation_id was
    # set NULL): not "unchanged", so the batch's fast path must leave it to staging.
    await importer.import_file(sessionmaker, json_export)
    await session.execute(
        text(
            "DELETE FROM position_changes WHERE recommendation_id = "
            "(SELECT recommendation_id FROM uhri_records WHERE uhri_id = :id)"
        ),
        {"id": PERU_ID},
    )
    await session.execute(
        text(
            "DELETE FROM recommendations WHERE id = "
            "(SELECT recommendation_id FROM uhri_records WHERE uhri_id = :id)"
        ),
        {"id": PERU_ID},
    )
    await session.commit()

    result = await importer.import_file(sessionmaker, json_export)

    assert (result.created, result.updated, result.unchanged) == (1, 0, 21)
    state = await session.get(UhriRecordState, PERU_ID, populate_existing=True)
    assert state is not None
    assert state.recommendation_id is not None
    assert await count(session, "SELECT count(*) FROM recommendations") == 22
