"""Every write of ``shared/recommendations/writes.py``, the one writer of recommendations
(tests/platform/test_table_owners.py), stamps the same clock."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations.writes import RecommendationWrites
from tests.recommendations.conftest import Corpus


async def test_every_write_bumps_the_version_and_the_transaction_stamp(
    session: AsyncSession, corpus: Corpus
) -> None:
    rec = corpus.recs["p1"]
    writes = RecommendationWrites(session)

    async def state() -> tuple[int, int, object]:
        row = (
            await session.execute(
                text("SELECT version, sync_xid, updated_at FROM recommendations WHERE id = :id"),
                {"id": rec.id},
            )
        ).one()
        return int(row[0]), int(row[1]), row[2]

    xid = int((await session.execute(text("SELECT pg_current_xact_id()::text"))).scalar_one())
    v0, _, t0 = await state()
    assert await writes.update(rec.id, {"themes": ["D51"]}, version=v0) == v0 + 1
    assert await writes.update(rec.id, {"themes": []}, version=v0) is None  # stale
    _, previous_status_version = await writes.set_status(rec.id, "in_progress")
    renamed = await writes.rename_institution(uuid.uuid4(), "Ministry of Justice", "MoJ")
    assert renamed == 0  # no institution owns it
    assert await writes.soft_delete(rec.id)
    assert not await writes.soft_delete(rec.id)
    version, sync_xid, updated_at = await state()
    assert version == v0 + 3 == previous_status_version + 1
    assert sync_xid == xid  # the trigger: this transaction wrote it last
    assert str(updated_at) > str(t0)  # same zone and format: text order is time order
