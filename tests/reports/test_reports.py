"""Report drafts: the API, the job and the Word document read back with python-docx."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from collections import Counter
from collections.abc import Mapping

import httpx
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth.schemas import OPERATOR
from shared.queue import pending_jobs
from shared.recommendations.models import Recommendation
from shared.reports import service
from shared.reports.content import theme_cluster
from shared.reports.repository import ReportRepository
from shared.reports.schemas import ReportIn
from tests.conftest import KeyFactory
from tests.reports.docx_reading import has_toc_field, headings, open_docx, outline, table_rows
from tests.reports.world import build_world

TODAY = dt.date(2026, 12, 5)
POSITIONS = ["supported", "partially_supported", "noted", "pending", "no_position"]


async def _writer(api_keys: KeyFactory, country: str = "PRY") -> dict[str, str]:
    return await api_keys.headers("recommendations:write", countries=[country])


async def _generate(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    headers: dict[str, str],
    body: Mapping[str, object],
) -> tuple[dict[str, object], bytes]:
    created = await client.post("/v1/reports", json=body, headers=headers)
    assert created.status_code == 202, created.text
    assert created.json()["status"] == "queued"
    report_id = uuid.UUID(created.json()["id"])
    outcome = await service.generate(sessionmaker, report_id, TODAY)
    assert outcome.status == "ready", outcome.error
    status = await client.get(created.headers["location"], headers=headers)
    assert status.status_code == 200
    assert status.json()["status"] == "ready"
    download = await client.get(f"/v1/reports/{report_id}/file", headers=headers)
    assert download.status_code == 200
    assert download.headers["content-type"] == service.MEDIA_TYPE
    return status.json(), download.content


async def _db_counts(session: AsyncSession, sql: str, **params: object) -> list[tuple[str, ...]]:
    return [tuple(r) for r in (await session.execute(text(sql), params)).all()]


async def test_midterm_document_matches_the_database(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    api_keys: KeyFactory,
) -> None:
    world = await build_world(session)
    await session.commit()
    headers = await _writer(api_keys)
    body = {"kind": "upr_midterm", "country": "PRY", "cycle": 3, "language": "en"}
    report, blob = await _generate(client, sessionmaker, headers, body)
    doc = open_docx(blob)

    rows = await _db_counts(
        session,
        "SELECT r.paragraph, r.position, array_to_string(r.themes, '|') FROM recommendations r"
        " WHERE r.state_under_review = 'PRY' AND r.mechanism = 'UPR' AND r.cycle = 3"
        " AND r.deleted_at IS NULL",
    )
    assert report["recommendations"] == len(rows) == len(world.recs)
    assert headings(doc, 1) == [
        "Introduction",
        "Summary",
        "Recommendations by cluster",
        "Annex: assessments by the national human rights institution and civil society",
    ]
    assert has_toc_field(doc)
    # One block per recommendation, in document order (110.2 before 110.10).
    blocks = [t for level, t in outline(doc) if level == 3]
    assert sorted(blocks) == sorted(f"Recommendation {p}" for p, _, _ in rows)
    # Clusters: UHRI theme groups present in the data, in taxonomy order.
    clusters = Counter(theme_cluster([t for t in themes.split("|") if t]) for _, _, themes in rows)
    names = {
        "A": "General framework of implementation",
        "D": "Civil & political rights",
        "E": "Economic, social and cultural rights",
        "F": "Specific persons or groups",
        "other": "Other themes",
    }
    cluster_headings = [t for level, t in outline(doc) if level == 2 and t in names.values()]
    assert cluster_headings == [names[k] for k in ("A", "D", "E", "F", "other") if clusters[k]]

    positions, statuses, annex = doc.tables
    # The positions table: one row per cluster, then the total, counts as in the database.
    assert table_rows(positions)[0] == [
        "Cluster",
        "Supported",
        "Partially supported",
        "Noted",
        "Pending",
        "No position",
        "Total",
    ]
    by_cluster: dict[str, Counter[str]] = {}
    for _, position, themes in rows:
        key = theme_cluster([t for t in themes.split("|") if t])
        by_cluster.setdefault(names[key], Counter())[position] += 1
    for row in table_rows(positions)[1:-1]:
        counts = by_cluster[row[0]]
        assert row[1:] == [str(counts[p]) for p in POSITIONS] + [str(sum(counts.values()))]
    assert table_rows(positions)[-1][-1] == str(len(rows))
    # The status table counts the government's latest status.
    latest = await _db_counts(
        session,
        "SELECT DISTINCT ON (u.recommendation_id) u.status FROM implementation_updates u"
        " JOIN recommendations r ON r.id = u.recommendation_id"
        " WHERE r.state_under_review = 'PRY' AND r.mechanism = 'UPR' AND u.source = 'government'"
        " ORDER BY u.recommendation_id, u.created_at DESC",
    )
    header, *_, last = table_rows(statuses)
    status_total = dict(zip(header, last, strict=True))
    assert status_total["Cluster"] == "Total"
    assert status_total["Implemented"] == str(sum(1 for (s,) in latest if s == "implemented"))
    # Those without a government update yet.
    assert status_total["No information"] == str(len(rows) - len(latest))
    # The annex: every NHRI and civil-society assessment, attributed.
    assessed = await _db_counts(
        session,
        "SELECT a.organisation || ' (' || a.author || ')', a.narrative || E'\\n'"
        " || array_to_string(a.evidence_links, E'\\n') FROM assessments a"
        " WHERE a.country = 'PRY' AND a.source IN ('nhri', 'civil_society')"
        " UNION ALL SELECT u.author, u.narrative FROM implementation_updates u"
        " JOIN recommendations r ON r.id = u.recommendation_id"
        " WHERE r.state_under_review = 'PRY' AND u.source IN ('nhri', 'civil_society')",
    )
    annex_rows = table_rows(annex)
    assert annex_rows[0][:3] == ["Recommendation", "Source", "Organisation"]
    assert len(assessed) == 3
    assert sorted((r[2], r[5]) for r in annex_rows[1:]) == sorted(assessed)
    # The block of 110.2: newest narrative, evidence, institutions, both linked actions.
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("Recommendation 110.2")
    block = texts[start : start + 12]
    assert "Narrative: Progress on 110.2." in block
    assert "Evidence: https://example.org/evidence/110.2" in block
    assert "Recommending States: France, Chile" in block
    assert "Responsible institutions: Ministry of Justice" in block
    actions = next(t for t in block if t.startswith("Linked actions: "))
    assert "Reform the courts" in actions
    assert "Train the police" in actions
    assert world.recs["110.2"].ref in block[2]


async def test_spanish_headings_and_action_plan_clusters(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    api_keys: KeyFactory,
) -> None:
    world = await build_world(session)
    await session.commit()
    headers = await _writer(api_keys)
    body = {
        "kind": "upr_midterm",
        "country": "PRY",
        "cycle": 3,
        "language": "es",
        "clusters": "action_plan",
    }
    report, blob = await _generate(client, sessionmaker, headers, body)
    assert report["action_plan_id"] == str(world.plan.id)
    doc = open_docx(blob)
    assert headings(doc, 1)[:3] == ["Introducción", "Resumen", "Recomendaciones por grupo temático"]
    level2 = [t for level, t in outline(doc) if level == 2]
    # Each recommendation under the first action that covers it, the rest last.
    assert level2[-3:] == [
        "Reform the courts",
        "Train the police",
        "No cubiertas por el plan de acción",
    ]
    positions = table_rows(doc.tables[0])
    assert positions[1][0] == "Reform the courts"
    assert positions[1][-1] == "2"
    assert positions[2][0] == "Train the police"
    assert positions[2][-1] == "1"
    assert positions[-1] == ["Total", "4", "1", "2", "0", "0", "7"]


async def test_treaty_body_followup_covers_the_selected_paragraphs(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    api_keys: KeyFactory,
) -> None:
    world = await build_world(session)
    await session.commit()
    headers = await _writer(api_keys)
    body = {"kind": "treaty_body_followup", "country": "PRY", "mechanism": "CCPR", "language": "fr"}
    report, blob = await _generate(client, sessionmaker, headers, body)
    doc = open_docx(blob)
    assert report["recommendations"] == 2
    blocks = [t for level, t in outline(doc) if level == 3]
    assert blocks == ["Recommandation 12", "Recommandation 30"]
    assert any(p.text == "Échéance du suivi: 20 août 2021" for p in doc.paragraphs)
    assert world.tb_recs[1].paragraph == "14"


async def test_bad_requests_name_what_is_missing(
    client: httpx.AsyncClient, session: AsyncSession, api_keys: KeyFactory
) -> None:
    await build_world(session)
    await session.commit()
    headers = await api_keys.headers("recommendations:write")
    cases = [
        (
            {"kind": "upr_midterm", "country": "URY", "cycle": 3},
            "Uruguay (URY) has no recommendations",
        ),
        (
            {"kind": "upr_midterm", "country": "PRY", "cycle": 4},
            "no UPR recommendations of cycle 4",
        ),
        ({"kind": "upr_midterm", "country": "PRY"}, "cycle"),
        ({"kind": "treaty_body_followup", "country": "PRY"}, "treaty body"),
        ({"kind": "treaty_body_followup", "country": "PRY", "mechanism": "CRC"}, "no CRC"),
        ({"kind": "upr_midterm", "country": "XXX", "cycle": 3}, "unknown State"),
        ({"kind": "upr_midterm", "country": "PRY", "cycle": 3, "language": "de"}, ""),
    ]
    for body, words in cases:
        response = await client.post("/v1/reports", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert words in response.json()["detail"], response.json()
    assert (await session.execute(text("SELECT count(*) FROM reports"))).scalar_one() == 0


async def test_only_writers_of_the_state(
    client: httpx.AsyncClient, session: AsyncSession, api_keys: KeyFactory
) -> None:
    await build_world(session)
    await session.commit()
    body = {"kind": "upr_midterm", "country": "PRY", "cycle": 3}
    assert (await client.post("/v1/reports", json=body)).status_code == 401
    other = await _writer(api_keys, "URY")
    assert (await client.post("/v1/reports", json=body, headers=other)).status_code == 403
    mine = await _writer(api_keys)
    created = await client.post("/v1/reports", json=body, headers=mine)
    assert created.status_code == 202
    location = created.headers["location"]
    assert (await client.get(location, headers=other)).status_code == 403
    assert (await client.get(location)).status_code == 401
    not_ready = await client.get(location + "/file", headers=mine)
    assert not_ready.status_code == 409
    assert not_ready.json()["code"] == "report_not_ready"


async def test_a_failure_is_recorded_and_retried(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    api_keys: KeyFactory,
) -> None:
    await build_world(session)
    await session.commit()
    headers = await _writer(api_keys)
    body = {"kind": "upr_midterm", "country": "PRY", "cycle": 3}
    created = await client.post("/v1/reports", json=body, headers=headers)
    report_id = uuid.UUID(created.json()["id"])
    # The recommendations disappear between the request and the job.
    await session.execute(
        update(Recommendation)
        .where(Recommendation.state_under_review == "PRY", Recommendation.mechanism == "UPR")
        .values(deleted_at=dt.datetime.now(dt.UTC))
    )
    await session.commit()
    failed = await service.generate(sessionmaker, report_id, TODAY)
    assert failed.status == "failed"
    status = (await client.get(f"/v1/reports/{report_id}", headers=headers)).json()
    assert status["status"] == "failed"
    assert status["error"] == "Paraguay (PRY) has no UPR recommendations of cycle 3 any more"
    assert status["attempts"] == 1
    # Running the same job again changes nothing: only a retry queues it.
    assert (await service.generate(sessionmaker, report_id, TODAY)).status == "skipped"

    await session.execute(
        update(Recommendation)
        .where(Recommendation.state_under_review == "PRY")
        .values(deleted_at=None)
    )
    await session.commit()
    retried = await client.post(f"/v1/reports/{report_id}/retry", headers=headers)
    assert retried.status_code == 202
    assert retried.json()["status"] == "queued"
    assert retried.json()["error"] is None
    again = await client.post(f"/v1/reports/{report_id}/retry", headers=headers)
    assert again.status_code == 409
    assert (await service.generate(sessionmaker, report_id, TODAY)).status == "ready"
    status = (await client.get(f"/v1/reports/{report_id}", headers=headers)).json()
    assert status["status"] == "ready"
    assert status["attempts"] == 2
    assert status["file_url"].endswith(f"/v1/reports/{report_id}/file")


async def test_draft_link_gets_or_creates(
    client: httpx.AsyncClient, session: AsyncSession, api_keys: KeyFactory
) -> None:
    await build_world(session)
    await session.commit()
    headers = await _writer(api_keys)
    url = "/v1/reports/draft?kind=upr_midterm&country=PRY&cycle=3"
    first = await client.get(url, headers=headers)
    assert first.status_code == 303
    second = await client.get(url, headers=headers)
    assert second.headers["location"] == first.headers["location"]
    assert (await session.execute(text("SELECT count(*) FROM reports"))).scalar_one() == 1


async def test_same_data_same_document(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Two builds of one report over unchanged data give the same Word XML."""
    await build_world(session)
    await session.commit()
    bodies = []
    for _ in range(2):
        async with sessionmaker.begin() as s:
            row = await service.create(
                s, OPERATOR, ReportIn(kind="upr_midterm", country="PRY", cycle=3, language="fr")
            )
        assert (await service.generate(sessionmaker, row.id, TODAY)).status == "ready"
        async with sessionmaker() as s:
            blob = await ReportRepository(s).file(row.id)
        assert blob is not None
        with zipfile.ZipFile(io.BytesIO(blob)) as docx:
            bodies.append({n: docx.read(n) for n in ("word/document.xml", "docProps/core.xml")})
    assert bodies[0] == bodies[1]


async def test_sweep_requeues_lost_jobs(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await build_world(session)
    await session.commit()
    async with sessionmaker.begin() as s:
        queued = await service.create(
            s, OPERATOR, ReportIn(kind="upr_midterm", country="PRY", cycle=3)
        )
        fresh = await service.create(
            s, OPERATOR, ReportIn(kind="upr_midterm", country="PRY", cycle=3)
        )
    # The first job never reached a worker (Redis lost it); the second was just asked for.
    await session.execute(
        text("UPDATE reports SET updated_at = now() - interval '1 hour' WHERE id = :id"),
        {"id": queued.id},
    )
    await session.commit()
    async with sessionmaker() as s:
        assert await service.sweep(s, dt.datetime.now(dt.UTC)) == 1
        jobs = [j.job_id for j in pending_jobs(s)]
        await s.commit()
    assert jobs == [f"report:{queued.id}:2"]
    async with sessionmaker() as s:
        assert (await ReportRepository(s).get(queued.id)).requests == 2  # type: ignore[union-attr]
        assert (await ReportRepository(s).get(fresh.id)).requests == 1  # type: ignore[union-attr]
