"""Migration 0006 turns the free-text institution names of recommendations into linked
institutions, losing nothing; its downgrade leaves the names as they were."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.settings import Settings
from tests.conftest import downgrade, scratch_database, upgrade

SCRATCH = "followup_migration_0006"

RECOMMENDATIONS = [
    ("PRY", "A/HRC/48/9#1", ["Ministry of Justice", "Defensoría del Pueblo"]),
    ("PRY", "A/HRC/48/9#2", ["Ministry of Justice"]),
    ("PRY", "A/HRC/48/9#3", []),
    ("URY", "A/HRC/47/15#1", ["Ministry of Justice"]),
]


@pytest.fixture
async def scratch(settings: Settings) -> AsyncIterator[AsyncEngine]:
    async with scratch_database(settings, SCRATCH) as engine:
        yield engine


async def test_free_text_becomes_linked_institutions(scratch: AsyncEngine) -> None:
    async with scratch.begin() as conn:
        await conn.run_sync(upgrade, "0005")
        for i, (state, ref, names) in enumerate(RECOMMENDATIONS):
            await conn.execute(
                text(
                    "INSERT INTO recommendations (id, ref, kind, document_symbol, document_date,"
                    " paragraph, paragraph_key, text, state_under_review, mechanism, position,"
                    " themes, affected_persons, sdg_targets, sdg_goals, institutions, status,"
                    " version) VALUES (gen_random_uuid(), :ref, 'recommendation', 'A/HRC/1',"
                    " DATE '2021-01-01', :para, ARRAY[CAST(:n AS integer)], 'text', :state,"
                    " 'UPR', 'supported',"
                    " '{}', '{}', '{}', '{}', CAST(:names AS varchar[]), 'no_information', 1)"
                ),
                {"ref": ref, "para": str(i), "n": i, "state": state, "names": names},
            )
    async with scratch.begin() as conn:
        await conn.run_sync(upgrade, "0006")
        institutions = (
            await conn.execute(
                text("SELECT country, name, kind FROM institutions ORDER BY country, name")
            )
        ).all()
        assert [tuple(r) for r in institutions] == [
            ("PRY", "Defensoría del Pueblo", "other"),
            ("PRY", "Ministry of Justice", "other"),
            ("URY", "Ministry of Justice", "other"),
        ]
        links = (
            await conn.execute(
                text(
                    "SELECT r.ref, i.country, i.name FROM recommendation_institutions l"
                    " JOIN recommendations r ON r.id = l.recommendation_id"
                    " JOIN institutions i ON i.id = l.institution_id ORDER BY r.ref, i.name"
                )
            )
        ).all()
        assert [tuple(r) for r in links] == [
            ("A/HRC/47/15#1", "URY", "Ministry of Justice"),
            ("A/HRC/48/9#1", "PRY", "Defensoría del Pueblo"),
            ("A/HRC/48/9#1", "PRY", "Ministry of Justice"),
            ("A/HRC/48/9#2", "PRY", "Ministry of Justice"),
        ]
    async with scratch.begin() as conn:
        await conn.run_sync(downgrade, "0005")
        kept = (
            await conn.execute(text("SELECT ref, institutions FROM recommendations ORDER BY ref"))
        ).all()
        assert {r[0]: list(r[1]) for r in kept} == {ref: n for _, ref, n in RECOMMENDATIONS}
        gone = await conn.execute(text("SELECT to_regclass('institutions') IS NULL"))
        assert gone.scalar_one()
