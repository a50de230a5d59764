"""Concurrent writers on committed data: no lost update, no lost history."""

from __future__ import annotations

import asyncio
import datetime as dt

from shared.auth import service as keys
from shared.db import unit_of_work
from tests.fault.conftest import Stack
from tests.recommendations import factory


async def _setup(stack: Stack) -> tuple[str, dict[str, str]]:
    async with unit_of_work(stack.db.sessionmaker, None) as session:
        doc = await factory.document(session, "A/HRC/48/9", "PRY", dt.date(2021, 7, 1))
        rec = await factory.recommendation(session, doc, "115.1", "Ratify the OP-CAT")
        key = await keys.create_key(session, "editor", ["recommendations:write"], ["PRY"])
    return str(rec.id), {"Authorization": f"Bearer {key.key}"}


async def test_two_editors_one_gets_412(stack: Stack) -> None:
    rec_id, headers = await _setup(stack)
    etag = (await stack.client.get(f"/v1/recommendations/{rec_id}")).headers["etag"]
    responses = await asyncio.gather(
        *(
            stack.client.patch(
                f"/v1/recommendations/{rec_id}",
                json={"themes": [theme]},
                headers={**headers, "If-Match": etag},
            )
            for theme in ("A12", "D51")
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    winner = next(r for r in responses if r.status_code == 200).json()["themes"]
    assert (await stack.client.get(f"/v1/recommendations/{rec_id}")).json()["themes"] == winner


async def test_fifty_concurrent_updates_are_all_kept(stack: Stack) -> None:
    rec_id, headers = await _setup(stack)
    statuses = ["in_progress", "partially_implemented"]
    responses = await asyncio.gather(
        *(
            stack.client.post(
                f"/v1/recommendations/{rec_id}/updates",
                json={"status": statuses[i % 2], "narrative": f"report {i}", "source": "nhri"},
                headers=headers,
            )
            for i in range(50)
        )
    )
    assert [r.status_code for r in responses] == [201] * 50
    history = (await stack.client.get(f"/v1/recommendations/{rec_id}/updates")).json()
    assert sorted(u["narrative"] for u in history) == sorted(f"report {i}" for i in range(50))
    detail = (await stack.client.get(f"/v1/recommendations/{rec_id}")).json()
    assert detail["version"] == 51
    assert detail["status"] == history[-1]["status"]
