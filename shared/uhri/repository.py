"""All SQL of the UHRI import: set-based, one batch of records per statement.

A batch first marks as seen, in one statement, the annotations whose content hash has not
changed (``mark_unchanged``; on a re-import that is nearly all of them, and they are never
copied at all). The rest is copied (``COPY``) into a temporary staging table, classified
there against ``uhri_records`` and ``recommendations`` (update, merge, new), then applied
with a handful of ``INSERT ... SELECT`` / ``UPDATE ... FROM`` statements: the cost per record
is a few microseconds of PostgreSQL work, never an ORM object or a round trip.

Where the time goes (bench/uhri_import_bench.py, 300,000 records): a first import is bound
by inserting recommendations (the generated ``to_tsvector`` column, six GIN and a
dozen B-tree indexes, three foreign keys), about 115 us of server CPU per row; everything
else is a fraction of that.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import driver_of
from shared.recommendations import related_writes, writes
from shared.uhri.models import UhriImport

# One key for every import: batches of two concurrent imports never interleave.
ADVISORY_LOCK_KEY = 0x0048_5249  # "UHRI"-ish, any constant bigint

STAGE = "uhri_stage"
# Columns copied from Python, in this order (see service.StageRow).
STAGE_COLUMNS = (
    "uhri_id",
    "content_hash",
    "new_id",
    "ref",
    "kind",
    "mechanism",
    "state",
    "document_symbol",
    "document_date",
    "paragraph",
    "paragraph_key",
    "text",
    "cycle",
    "session",
    "position",
    "position_raw",
    "position_source",
    "themes",
    "affected_persons",
    "sdg_targets",
    "sdg_goals",
    "rs_names",
    "rs_iso3",
)

_CREATE_STAGE = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    uhri_id text PRIMARY KEY,
    content_hash bytea NOT NULL,
    new_id uuid NOT NULL,
    ref text NOT NULL,
    kind text NOT NULL,
    mechanism text NOT NULL,
    state text NOT NULL,
    document_symbol text NOT NULL,
    document_date date NOT NULL,
    paragraph text NOT NULL,
    paragraph_key integer[] NOT NULL,
    text text NOT NULL,
    cycle smallint,
    session smallint,
    position text NOT NULL,
    position_raw text,
    position_source text,
    themes text[] NOT NULL,
    affected_persons text[] NOT NULL,
    sdg_targets text[] NOT NULL,
    sdg_goals smallint[] NOT NULL,
    rs_names text[] NOT NULL,
    rs_iso3 text[] NOT NULL,
    -- filled by classification
    rec_id uuid,
    old_hash bytea,
    was_tombstoned boolean NOT NULL DEFAULT false,
    action text,
    uhri_origin boolean NOT NULL DEFAULT false,
    old_position text,
    report_source text,
    document_id uuid
) ON COMMIT DELETE ROWS
"""

# One pass: what each annotation is (unchanged, update, merge, new), which recommendation it
# is, whether that one was created from UHRI (overwritten) or parsed from a report (merged).
_CLASSIFY = f"""
UPDATE {STAGE} s SET rec_id = p.rec_id, action = p.action, ref = p.ref,
    was_tombstoned = p.was_tombstoned, uhri_origin = p.uhri_origin,
    old_position = p.old_position, report_source = p.report_source, document_id = p.document_id
FROM (
    SELECT s2.uhri_id,
        CASE WHEN rk.id IS NOT NULL THEN rk.id
             WHEN rr.id IS NOT NULL AND rr.uhri_id IS NULL THEN rr.id
             ELSE s2.new_id END AS rec_id,
        CASE WHEN rk.id IS NOT NULL THEN
                CASE WHEN u.content_hash = s2.content_hash AND u.tombstoned_at IS NULL
                     THEN 'unchanged' ELSE 'update' END
             -- a recommendation parsed from a report with the same symbol#paragraph
             WHEN rr.id IS NOT NULL AND rr.uhri_id IS NULL THEN 'merge'
             ELSE 'new' END AS action,
        -- the ref belongs to another annotation (UHRI has duplicates): key by annotation id
        CASE WHEN rk.id IS NULL AND rr.uhri_id IS NOT NULL THEN 'uhri:' || s2.uhri_id
             ELSE s2.ref END AS ref,
        coalesce(u.tombstoned_at IS NOT NULL, false) AS was_tombstoned,
        coalesce(coalesce(rk.provenance, rr.provenance) -> 'text' ->> 0 LIKE 'uhri:%', false)
            AS uhri_origin,
        coalesce(rk.position, rr.position) AS old_position,
        CASE WHEN coalesce(rk.id, rr.id) IS NOT NULL THEN
            coalesce((SELECT d2.kind FROM documents d2
                      WHERE d2.id = coalesce(rk.document_id, rr.document_id)), 'document')
            || ':' || coalesce(rk.document_symbol, rr.document_symbol) END AS report_source,
        d.id AS document_id
    FROM {STAGE} s2
    -- LATERAL ... LIMIT 1: a primary-key probe per staged row. As a plain join the planner,
    -- blind to the unanalyzed staging table, hashed the whole of uhri_records every batch.
    LEFT JOIN LATERAL (
        SELECT u1.content_hash, u1.tombstoned_at, u1.recommendation_id FROM uhri_records u1
        WHERE u1.uhri_id = s2.uhri_id LIMIT 1
    ) u ON true
    LEFT JOIN recommendations rk ON rk.id = u.recommendation_id
    LEFT JOIN recommendations rr ON rk.id IS NULL AND rr.ref = s2.ref
    LEFT JOIN documents d ON d.symbol = s2.document_symbol
) p
WHERE p.uhri_id = s.uhri_id
"""

# Statements writing recommendations are built by the domain's one write path
# (shared/recommendations/writes.py), which adds the version and the clock.
_INSERT_NEW = writes.insert_select_sql(
    (
        "id, ref, kind, document_id, document_symbol, document_date, paragraph, paragraph_key",
        "text, state_under_review, mechanism, cycle, session, position, position_raw",
        "position_source, themes, affected_persons, sdg_targets, sdg_goals, institutions",
        "status, version, uhri_id, provenance",
    ),
    """new_id, ref, kind, document_id, document_symbol, document_date, paragraph,
    paragraph_key, text, state, mechanism, cycle, session, position, position_raw,
    position_source, themes, affected_persons, sdg_targets, sdg_goals, '{}',
    'no_information', 1, uhri_id, :provenance""",
    f"{STAGE} WHERE action = 'new'",
)

# recommending_states and position_changes belong to recommendations: their statements
# are built by shared/recommendations/related_writes.py from this import's own SELECT.
_INSERT_STATES = related_writes.insert_states_sql(
    f"""SELECT s.rec_id, t.ord, left(t.name, {related_writes.STATE_NAME_LENGTH}), t.iso3
FROM {STAGE} s CROSS JOIN LATERAL unnest(s.rs_names, s.rs_iso3) WITH ORDINALITY
    AS t(name, iso3, ord)
WHERE s.action = 'new' OR (s.action = 'update' AND s.uhri_origin)"""
)

_DELETE_STATES = related_writes.delete_states_sql(
    using=f"{STAGE} s",
    where="rs.recommendation_id = s.rec_id AND s.action = 'update' AND s.uhri_origin",
)

_INSERT_POSITIONS = related_writes.insert_positions_sql(
    f"""SELECT rec_id, position, position_raw, 'UHRI' FROM {STAGE}
WHERE position <> 'no_position' AND (
    action = 'new'
    OR (action = 'update' AND uhri_origin AND old_position IS DISTINCT FROM position))"""
)

# A recommendation created from UHRI follows its annotation; a tombstoned one comes back.
_UPDATE_UHRI_ORIGIN = writes.update_sql(
    """kind = s.kind, document_id = s.document_id, document_symbol = s.document_symbol,
    document_date = s.document_date, paragraph = s.paragraph, paragraph_key = s.paragraph_key,
    text = s.text, state_under_review = s.state, mechanism = s.mechanism, cycle = s.cycle,
    session = s.session, position = s.position, position_raw = s.position_raw,
    position_source = s.position_source, themes = s.themes,
    affected_persons = s.affected_persons, sdg_targets = s.sdg_targets,
    sdg_goals = s.sdg_goals, uhri_id = s.uhri_id,
    provenance = r.provenance || :provenance,
    deleted_at = CASE WHEN s.was_tombstoned THEN NULL ELSE r.deleted_at END""",
    from_=f"{STAGE} s",
    where="r.id = s.rec_id AND s.action = 'update' AND s.uhri_origin",
)


def _quote(value: str) -> str:
    """A SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1)."""
    return "'" + value.replace("'", "''") + "'"


def _union(column: str, cast: str) -> str:
    """The existing values of ``column`` then the annotation's new ones, each once, in order."""
    return (
        f"ARRAY(SELECT x FROM unnest(r.{column}::{cast}[] || s.{column}::{cast}[])"
        f" WITH ORDINALITY AS t(x, o) GROUP BY x ORDER BY min(o))"
    )


def _tag_provenance(column: str) -> str:
    """Sources of a merged tag field: its non-UHRI sources (else the report), plus UHRI."""
    kept = (
        f"(SELECT jsonb_agg(e) FROM jsonb_array_elements(r.provenance -> '{column}') e"
        f" WHERE e #>> '{{}}' NOT LIKE 'uhri:%')"
    )
    base = f"coalesce({kept}, jsonb_build_array(s.report_source))"
    return (
        f"'{column}', {base} || CASE WHEN cardinality(s.{column}) > 0"
        f" THEN jsonb_build_array(:source) ELSE '[]'::jsonb END"
    )


REPORT_FIELDS = (
    "ref",
    "kind",
    "text",
    "document_symbol",
    "document_date",
    "paragraph",
    "state_under_review",
    "mechanism",
    "cycle",
    "session",
    "position",
    "recommending_states",
)
TAG_FIELDS = ("themes", "affected_persons", "sdg_targets", "sdg_goals")

# A recommendation parsed from a report keeps its text, position and States; it gains the
# annotation id and the union of the tags. Provenance: the report for what was there (unless
# recorded already), the report and UHRI for the merged tags.
_UPDATE_MERGED = writes.update_sql(
    f"""uhri_id = s.uhri_id,
    themes = {_union("themes", "text")},
    affected_persons = {_union("affected_persons", "text")},
    sdg_targets = {_union("sdg_targets", "text")},
    sdg_goals = ARRAY(SELECT DISTINCT g FROM unnest(r.sdg_goals || s.sdg_goals) g ORDER BY g),
    provenance = jsonb_build_object(
            {", ".join(f"'{f}', jsonb_build_array(s.report_source)" for f in REPORT_FIELDS)})
        || r.provenance
        || jsonb_build_object('uhri_id', jsonb_build_array(:source),
            {", ".join(_tag_provenance(f) for f in TAG_FIELDS)})""",
    from_=f"{STAGE} s",
    where="r.id = s.rec_id AND (s.action = 'merge' OR (s.action = 'update' AND NOT s.uhri_origin))",
)

_TOMBSTONE = f"""
WITH gone AS (
    UPDATE uhri_records SET tombstoned_at = clock_timestamp(), updated_at = clock_timestamp()
    WHERE tombstoned_at IS NULL AND last_seen_at < :since
    RETURNING recommendation_id
), deleted AS ({
    writes.soft_delete_sql(
        from_="gone",
        where="r.id = gone.recommendation_id AND r.provenance -> 'text' ->> 0 LIKE 'uhri:%'",
        returning="r.id",
    )
})
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM deleted)
"""

# Every annotation of the batch is remembered (and marked seen); the hash changes only with
# its content.
_UPSERT_RECORDS = f"""
INSERT INTO uhri_records AS u (uhri_id, recommendation_id, content_hash, first_import_id,
    last_changed_import_id, last_seen_import_id, last_seen_at, tombstoned_at, created_at,
    updated_at)
SELECT uhri_id, rec_id, content_hash, :import_id, :import_id, :import_id, clock_timestamp(),
    NULL, clock_timestamp(), clock_timestamp()
FROM {STAGE}
ON CONFLICT (uhri_id) DO UPDATE SET
    last_seen_import_id = EXCLUDED.last_seen_import_id,
    last_seen_at = EXCLUDED.last_seen_at,
    recommendation_id = EXCLUDED.recommendation_id,
    content_hash = EXCLUDED.content_hash,
    tombstoned_at = NULL,
    last_changed_import_id = CASE
        WHEN u.content_hash = EXCLUDED.content_hash AND u.tombstoned_at IS NULL
            AND u.recommendation_id IS NOT DISTINCT FROM EXCLUDED.recommendation_id
        THEN u.last_changed_import_id ELSE EXCLUDED.last_changed_import_id END,
    updated_at = CASE
        WHEN u.content_hash = EXCLUDED.content_hash AND u.tombstoned_at IS NULL
            AND u.recommendation_id IS NOT DISTINCT FROM EXCLUDED.recommendation_id
        THEN u.updated_at ELSE EXCLUDED.updated_at END
"""

# Annotations whose content did not change (same hash, not tombstoned, recommendation still
# there): marked seen, nothing else written; the rest of the batch goes through staging.
# Exactly what _UPSERT_RECORDS would do to such a row (its other columns keep their values).
_MARK_UNCHANGED = """
UPDATE uhri_records u SET last_seen_import_id = $1, last_seen_at = clock_timestamp()
FROM unnest($2::text[], $3::bytea[]) AS t(uhri_id, content_hash)
WHERE u.uhri_id = t.uhri_id AND u.content_hash = t.content_hash
    AND u.tombstoned_at IS NULL AND u.recommendation_id IS NOT NULL
RETURNING u.uhri_id
"""


class UhriRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- import rows ------------------------------------------------------------------

    def add_import(self, row: UhriImport) -> None:
        self.session.add(row)

    async def get_import(self, import_id: uuid.UUID) -> UhriImport | None:
        return await self.session.get(UhriImport, import_id, populate_existing=True)

    async def update_import(self, import_id: uuid.UUID, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(UhriImport)
            .where(UhriImport.id == import_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def finish_import(self, import_id: uuid.UUID, values: dict[str, Any]) -> None:
        await self.session.execute(
            text("UPDATE uhri_imports SET finished_at = clock_timestamp() WHERE id = :id"),
            {"id": import_id},
        )
        await self.update_import(import_id, values)

    async def last_fetch(self, source: str) -> UhriImport | None:
        """The last import of ``source`` that read or confirmed its content (validators)."""
        result = await self.session.execute(
            select(UhriImport)
            .where(
                UhriImport.source == source,
                UhriImport.status.in_(("succeeded", "not_modified")),
            )
            .order_by(UhriImport.started_at.desc(), UhriImport.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def imports_page(
        self, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[UhriImport]:
        query = select(UhriImport).order_by(UhriImport.started_at.desc(), UhriImport.id.desc())
        if after is not None:
            from sqlalchemy import tuple_

            query = query.where(tuple_(UhriImport.started_at, UhriImport.id) < after)
        return (await self.session.execute(query.limit(limit))).scalars().all()

    # --- batches ----------------------------------------------------------------------

    async def lock(self) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        )

    async def begin_batch(self) -> None:
        """Take the import lock, and commit this batch asynchronously.

        ``synchronous_commit = off`` for this transaction only: its commit returns before
        its WAL is flushed. Safe here: a server crash can lose only the last few batches,
        whole (never a part of one), and then the import itself is gone with the crash; its
        lost batches left no "seen" mark, so the next import applies them again, and nothing
        is tombstoned, because tombstoning happens after the last batch, in a transaction
        that commits synchronously (and flushes every earlier batch's WAL with its own).
        """
        await self.session.execute(
            text(
                "SELECT pg_advisory_xact_lock(:key), set_config('synchronous_commit', 'off', true)"
            ),
            {"key": ADVISORY_LOCK_KEY},
        )

    async def _driver(self) -> Any:
        """The asyncpg connection under the session's transaction (COPY, SQL scripts)."""
        return await driver_of(await self.session.connection())

    async def mark_unchanged(
        self, import_id: uuid.UUID, uhri_ids: Sequence[str], hashes: Sequence[bytes]
    ) -> set[str]:
        """Mark seen the annotations whose content hash is unchanged; returns their ids."""
        driver = await self._driver()
        rows = await driver.fetch(_MARK_UNCHANGED, import_id, uhri_ids, hashes)
        return {row[0] for row in rows}

    async def stage(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Copy one batch into the staging table (per connection, emptied by each commit)."""
        driver = await self._driver()
        # Created once per connection and emptied by every commit (ON COMMIT DELETE ROWS):
        # creating and dropping it in every batch cost more catalog work than the COPY. The
        # DELETE (of nothing, after a real commit) covers a caller whose "commits" are only
        # savepoints of an outer transaction.
        await driver.execute(f"{_CREATE_STAGE}; DELETE FROM {STAGE}")
        await driver.copy_records_to_table(STAGE, records=rows, columns=STAGE_COLUMNS)

    async def apply(
        self, import_id: uuid.UUID, source: str, provenance: dict[str, list[str]]
    ) -> dict[str, int]:
        """Classify and write the staged batch; the number of records per action.

        One SQL script (simple query protocol, one round trip): the values it needs are
        ours (a UUID, a JSON object of our own strings), inlined as quoted literals.
        """
        literals = {
            ":provenance": f"{_quote(json.dumps(provenance))}::jsonb",
            ":source": f"{_quote(source)}::text",
            ":import_id": f"{_quote(str(import_id))}::uuid",
        }
        script = ";\n".join(
            (
                _CLASSIFY,
                _INSERT_NEW,
                _UPDATE_UHRI_ORIGIN,
                _UPDATE_MERGED,
                _DELETE_STATES,
                _INSERT_STATES,
                _INSERT_POSITIONS,
                _UPSERT_RECORDS,
            )
        )
        for token, literal in literals.items():
            script = script.replace(token, literal)
        driver = await self._driver()
        await driver.execute(script)
        rows = await driver.fetch(f"SELECT action, count(*) FROM {STAGE} GROUP BY action")
        return {str(row[0]): int(row[1]) for row in rows}

    async def mark_seen(self, import_id: uuid.UUID, uhri_ids: Sequence[str]) -> None:
        """Annotations the file holds but the import kept out: seen, so not tombstoned."""
        if uhri_ids:
            await self.session.execute(
                text(
                    "UPDATE uhri_records SET last_seen_import_id = :import_id,"
                    " last_seen_at = clock_timestamp() WHERE uhri_id = ANY(:ids)"
                ),
                {"import_id": import_id, "ids": list(uhri_ids)},
            )

    # --- tombstones -------------------------------------------------------------------

    async def tombstone_candidates(self, seen_since: dt.datetime) -> tuple[int, int]:
        """(annotations not seen since ``seen_since`` and not tombstoned, live annotations)."""
        result = await self.session.execute(
            text(
                "SELECT count(*) FILTER (WHERE last_seen_at < :since), count(*)"
                " FROM uhri_records WHERE tombstoned_at IS NULL"
            ),
            {"since": seen_since},
        )
        gone, live = result.one()
        return int(gone), int(live)

    async def tombstone(self, seen_since: dt.datetime) -> int:
        """Tombstone what a complete import did not see; recommendations created from UHRI
        get ``deleted_at`` (delta-sync clients see them with include_deleted), those parsed
        from a report stay. Returns the number of annotations tombstoned."""
        result = await self.session.execute(text(_TOMBSTONE), {"since": seen_since})
        gone, _deleted = result.one()
        return int(gone)
