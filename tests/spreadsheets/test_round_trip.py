"""The spreadsheet round trip: export, edit with openpyxl, import, and the errors."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.spreadsheets.columns import KEYS
from shared.spreadsheets.export import MEDIA_TYPE
from tests.conftest import KeyFactory
from tests.recommendations import factory
from tests.reports.world import build_world, update

EXPORT = "/v1/recommendations/export.xlsx"
IMPORT = "/v1/recommendations/import.xlsx"


def _column(name: str) -> int:
    return KEYS.index(name) + 1


def _save(wb: Any) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


async def _count(session: AsyncSession, sql: str) -> int:
    return int((await session.execute(text(sql))).scalar_one())


UPDATES = "SELECT count(*) FROM implementation_updates"
DRAFTS = "SELECT count(*) FROM progress_reports"


async def _writes(session: AsyncSession) -> int:
    """Implementation updates plus progress reports: what an import may add."""
    return await _count(session, UPDATES) + await _count(session, DRAFTS)


async def _export(client: httpx.AsyncClient, query: str = "country=PRY") -> Any:
    response = await client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    return load_workbook(io.BytesIO(response.content))


async def test_export_edit_import(
    client: httpx.AsyncClient, session: AsyncSession, api_keys: KeyFactory
) -> None:
    world = await build_world(session)
    await session.commit()
    wb = await _export(client)
    # One sheet per cycle: the UPR cycle and the treaty body's (cycle 3 too here) share one.
    assert wb.sheetnames == ["Cycle 3"]
    ws = wb["Cycle 3"]
    assert [c.value for c in ws[1]] == list(KEYS)
    assert ws.freeze_panes == "A2"
    lists = {str(v.sqref).split(":")[0][0]: v.formula1 for v in ws.data_validations.dataValidation}
    status_letter = ws.cell(1, _column("status")).column_letter
    position_letter = ws.cell(1, _column("position")).column_letter
    assert "in_progress" in lists[status_letter]
    assert "partially_supported" in lists[position_letter]
    total = await _count(
        session, "SELECT count(*) FROM recommendations WHERE state_under_review = 'PRY'"
    )
    assert ws.max_row - 1 == total == len(world.recs) + len(world.tb_recs)
    by_id = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    r110_2 = by_id[str(world.recs["110.2"].id)]
    assert ws.cell(r110_2, _column("status")).value == "implemented"
    assert ws.cell(r110_2, _column("narrative")).value == "Progress on 110.2."
    assert ws.cell(r110_2, _column("owner")).value == "Ministry of Justice"
    assert ws.cell(r110_2, _column("recommending_states")).value == "France; Chile"

    # Two rows edited, the rest as exported.
    r110_3 = by_id[str(world.recs["110.3"].id)]
    ws.cell(r110_3, _column("status")).value = "in_progress"
    ws.cell(r110_3, _column("narrative")).value = "A bill is before parliament."
    ws.cell(
        r110_3, _column("evidence_links")
    ).value = "https://example.org/bill\nhttps://example.org/debate"
    ws.cell(r110_2, _column("narrative")).value = "The law is in force."
    blob = _save(wb)

    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    before = await _count(session, UPDATES)
    response = await client.post(
        IMPORT, content=blob, headers={**headers, "content-type": MEDIA_TYPE}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == total
    assert body["created"] == 2
    assert body["unchanged"] == total - 2
    # Drafts of the review workflow: nothing is published until a coordinator validates.
    assert await _count(session, UPDATES) == before
    new = (
        await session.execute(
            text(
                "SELECT r.ref, p.state, p.status, p.narrative, p.evidence_links, r.status"
                " FROM progress_reports p JOIN recommendations r"
                " ON r.id = p.recommendation_id WHERE p.id = ANY(:ids) ORDER BY r.ref"
            ),
            {"ids": body["draft_ids"]},
        )
    ).all()
    assert [tuple(r) for r in new] == [
        (
            world.recs["110.2"].ref,
            "draft",
            "implemented",
            "The law is in force.",
            ["https://example.org/evidence/110.2"],
            "implemented",
        ),
        (
            world.recs["110.3"].ref,
            "draft",
            "in_progress",
            "A bill is before parliament.",
            ["https://example.org/bill", "https://example.org/debate"],
            "no_information",
        ),
    ]
    # The same file again: the drafts already say it, every row is unchanged.
    again = await client.post(IMPORT, content=blob, headers=headers)
    assert again.status_code == 200
    assert again.json()["created"] == 0
    assert await _count(session, DRAFTS) == 2

    # A coordinator submits and validates one draft: it is published as the government's
    # latest update, and the next export shows it.
    draft = body["draft_ids"][1]
    submitted = await client.post(f"/v1/progress-reports/{draft}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    validated = await client.post(f"/v1/progress-reports/{draft}/validate", headers=headers)
    assert validated.status_code == 200, validated.text
    assert await _count(session, UPDATES) == before + 1
    ws = (await _export(client))["Cycle 3"]
    assert ws.cell(r110_3, _column("status")).value == "in_progress"
    assert ws.cell(r110_3, _column("narrative")).value == "A bill is before parliament."


async def test_bad_cells_are_listed_and_nothing_is_imported(
    client: httpx.AsyncClient, session: AsyncSession, api_keys: KeyFactory
) -> None:
    world = await build_world(session)
    await session.commit()
    wb = await _export(client)
    ws = wb.active
    by_id = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    good = by_id[str(world.recs["110.1"].id)]
    ws.cell(good, _column("narrative")).value = "A real change."
    bad_status = by_id[str(world.recs["110.3"].id)]
    ws.cell(bad_status, _column("status")).value = "done"
    formula = by_id[str(world.recs["110.4"].id)]
    ws.cell(formula, _column("narrative")).value = '=CONCAT("a", "b")'
    bad_link = by_id[str(world.recs["110.5"].id)]
    ws.cell(bad_link, _column("evidence_links")).value = "ftp://example.org/x"
    position = by_id[str(world.recs["110.10"].id)]
    ws.cell(position, _column("position")).value = "noted"
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    before = await _writes(session)
    response = await client.post(IMPORT, content=_save(wb), headers=headers)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "spreadsheet_errors"
    got = sorted((e["row"], e["column"]) for e in problem["errors"])
    assert got == sorted(
        [
            (bad_status, "status"),
            (formula, "narrative"),
            (bad_link, "evidence_links"),
            (position, "position"),
        ]
    )
    assert all(e["sheet"] == "Cycle 3" and e["message"] for e in problem["errors"])
    assert await _writes(session) == before

    # A key of another State: the whole file is refused, nothing written.
    other = await api_keys.headers("recommendations:write", countries=["URY"])
    ws.cell(bad_status, _column("status")).value = "in_progress"
    ws.cell(formula, _column("narrative")).value = "fine"
    ws.cell(bad_link, _column("evidence_links")).value = None
    ws.cell(position, _column("position")).value = "supported"
    refused = await client.post(IMPORT, content=_save(wb), headers=other)
    assert refused.status_code == 403
    assert refused.json()["code"] == "country_not_allowed"
    assert await _writes(session) == before


async def test_bad_files(
    client: httpx.AsyncClient, session: AsyncSession, api_keys: KeyFactory
) -> None:
    world = await build_world(session)
    await session.commit()
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    before = await _writes(session)

    not_xlsx = await client.post(IMPORT, content=b"id,status\n1,x\n", headers=headers)
    assert not_xlsx.status_code == 422
    assert not_xlsx.json()["code"] == "not_xlsx"
    broken = await client.post(IMPORT, content=b"PK\x03\x04broken", headers=headers)
    assert broken.status_code == 422
    assert broken.json()["code"] == "not_xlsx"

    wb = Workbook(write_only=True)
    wb.create_sheet("Cycle 3").append(["id", "status", "narrative", "colour"])
    unknown = await client.post(IMPORT, content=_save(wb), headers=headers)
    assert unknown.status_code == 422
    assert "colour" in unknown.json()["detail"]

    big = Workbook(write_only=True)
    ws = big.create_sheet("Cycle 3")
    ws.append(["id", "status", "narrative"])
    rec_id = str(world.recs["110.1"].id)
    for _ in range(50_001):
        ws.append([rec_id, "in_progress", "x"])
    too_many = await client.post(IMPORT, content=_save(big), headers=headers)
    assert too_many.status_code == 422, too_many.text
    assert too_many.json()["code"] == "too_many_rows"
    assert await _writes(session) == before


async def test_export_names_what_is_missing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await build_world(session)
    await session.commit()
    for query, words in [
        ("", "add ?country="),
        ("country=URY", "Uruguay (URY) has no recommendations"),
        ("country=PRY&cycle=2", "has no recommendations of cycle 2"),
    ]:
        response = await client.get(f"{EXPORT}?{query}")
        assert response.status_code == 422, (query, response.text)
        assert words in response.json()["detail"]
    # Other filters that match nothing give an empty sheet, not an error.
    empty = await _export(client, "country=PRY&status=implemented&position=pending")
    assert [c.value for c in empty.active[1]] == list(KEYS)
    assert empty.active.max_row == 1


async def test_one_sheet_per_cycle_and_text_stays_text(
    client: httpx.AsyncClient, session: AsyncSession, api_keys: KeyFactory
) -> None:
    world = await build_world(session)
    older = await factory.document(
        session, "A/HRC/32/9", "PRY", dt.date(2016, 4, 1), cycle=2, session_no=24
    )
    rec = await factory.recommendation(session, older, "102.1", "Older recommendation")
    # A narrative that looks like a formula must leave as text and come back unchanged.
    session.add(update(rec, "in_progress", "=1+1 is what the ministry wrote"))
    await session.commit()
    wb = await _export(client)
    assert wb.sheetnames == ["Cycle 2", "Cycle 3"]
    assert wb["Cycle 2"].max_row == 2
    assert wb["Cycle 3"].max_row - 1 == len(world.recs) + len(world.tb_recs)
    cell = wb["Cycle 2"].cell(2, _column("narrative"))
    assert cell.value == "=1+1 is what the ministry wrote"
    assert cell.data_type == "s"
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    response = await client.post(IMPORT, content=_save(wb), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 0
    only_cycle_2 = await _export(client, "country=PRY&cycle=2")
    assert only_cycle_2.sheetnames == ["Cycle 2"]
