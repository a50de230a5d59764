"""SQL for recommendation lists, facets and exports.

Lists are the hot path: each item's JSON (with its recommending States and document) is
stored in its row, and the API streams the texts through without decoding them, so a page
costs one statement whatever its size, and PostgreSQL builds nothing per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from shared.recommendations.schemas import TAG_FIELDS, RecommendationFilter
from shared.sync import UNSEEN_SQL, Snapshot

# Each item's JSON is stored in its row, rebuilt by triggers whenever the row, its
# recommending States or its document change (``recommendation_item()``, migration 0015):
# a page concatenates stored texts. To change what an item holds, write a migration that
# replaces that function and rebuilds the column (``followup rebuild-documents``).
ITEM_JSON = "r.item::text"
# The item as built from the row now: what the stored one must equal (consistency check).
FRESH_ITEM_JSON = "recommendation_item(r)::text"

# The detail item also shows the independent assessments (shared/assessments) by source,
# newest first; lists leave them out (GET /v1/assessments filters them).
ASSESSMENTS_JSON = """coalesce((
        SELECT json_object_agg(g.source, g.items) FROM (
            SELECT a.source, json_agg(json_build_object(
                'id', a.id, 'organisation', a.organisation, 'organisation_id', a.organisation_id,
                'status', a.status, 'narrative', a.narrative, 'evidence_links', a.evidence_links,
                'assessed_on', a.assessed_on
            ) ORDER BY a.assessed_on DESC, a.created_at DESC) AS items
            FROM assessments a WHERE a.recommendation_id = r.id GROUP BY a.source
        ) g
    ), json_build_object())"""
# The stored item with one more member (json_build_object ends every object with "}").
ITEM_DETAIL_JSON = (
    f"left({ITEM_JSON}, -1) || ', \"assessments\" : ' || ({ASSESSMENTS_JSON})::text || '}}'"
)

TOMBSTONE_JSON = """json_build_object(
    'id', r.id, 'ref', r.ref, 'deleted', true,
    'deleted_at', r.deleted_at, 'updated_at', r.updated_at
)::text"""

FROM = "recommendations r"


@dataclass
class Where:
    """WHERE clauses and their bound parameters, built from a filter."""

    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    uses_search: bool = False

    def add(self, clause: str, **params: Any) -> None:
        self.clauses.append(clause)
        self.params.update(params)

    def equals_any(self, column: str, name: str, values: tuple[Any, ...]) -> None:
        """``column`` is one of ``values``. One value is written ``=``, not ``= ANY``: then
        PostgreSQL knows the column is constant and reads a composite index already in
        list order (the common country + cycle + position filter stops after a page)."""
        if len(values) == 1:
            self.add(f"{column} = :{name}", **{name: values[0]})
        else:
            self.add(f"{column} = ANY(:{name})", **{name: list(values)})

    def overlaps(
        self, column: str, name: str, values: tuple[Any, ...], array_type: str = "varchar[]"
    ) -> None:
        """The array ``column`` holds one of ``values`` at least."""
        self.add(f"{column} && CAST(:{name} AS {array_type})", **{name: list(values)})

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "TRUE"


# Filters that match one column against their values: (filter field and parameter, column),
# in the order their clauses are written.
_EQUALS_ANY = (
    ("mechanisms", "r.mechanism"),
    ("cycles", "r.cycle"),
    ("sessions", "r.session"),
    ("documents", "r.document_symbol"),
    ("positions", "r.position"),
    ("statuses", "r.status"),
    ("kinds", "r.kind"),
)


def where(f: RecommendationFilter, *, include_deleted: bool = False) -> Where:
    w = Where()
    if not include_deleted:
        w.add("r.deleted_at IS NULL")
    if f.countries:
        w.equals_any("r.state_under_review", "countries", f.countries)
    if f.recommending_states:
        w.add(
            "EXISTS (SELECT 1 FROM recommending_states rs"
            " WHERE rs.recommendation_id = r.id AND rs.iso3 = ANY(:recommending_states))",
            recommending_states=list(f.recommending_states),
        )
    for name, column in _EQUALS_ANY:
        values = getattr(f, name)
        if values:
            w.equals_any(column, name, values)
    if f.themes:
        w.overlaps("r.themes", "themes", f.themes)
    if f.affected_persons:
        w.overlaps("r.affected_persons", "affected_persons", f.affected_persons)
    if f.sdg_goals and f.sdg_targets:
        w.add(
            "(r.sdg_goals && CAST(:sdg_goals AS smallint[])"
            " OR r.sdg_targets && CAST(:sdg_targets AS varchar[]))",
            sdg_goals=list(f.sdg_goals),
            sdg_targets=list(f.sdg_targets),
        )
    elif f.sdg_goals:
        w.overlaps("r.sdg_goals", "sdg_goals", f.sdg_goals, "smallint[]")
    elif f.sdg_targets:
        w.overlaps("r.sdg_targets", "sdg_targets", f.sdg_targets)
    if f.institutions:
        w.overlaps("r.institutions", "institutions", f.institutions)
    if f.q:
        w.uses_search = True
        w.add("r.search @@ query", q=f.q)
    if f.updated_since is not None:
        w.add("r.updated_at > :updated_since", updated_since=f.updated_since)
    if f.since is not None:
        w.add(UNSEEN_SQL, **f.since.unseen())
    return w


def search_from(w: Where) -> str:
    # The tsquery sits in FROM so PostgreSQL builds it once, not once per row.
    if w.uses_search:
        return f"{FROM}, websearch_to_tsquery('english', :q) query"
    return FROM


ORDER_NATURAL = "r.state_under_review, r.document_date, r.paragraph_key, r.id"
ORDER_UPDATED = "r.updated_at, r.id"
ORDER_RANK = "rank DESC, r.id"
# Delta sync through a sync token: in the order of the writing transactions' ids.
ORDER_SYNC = "r.sync_xid, r.id"
ORDERS = {
    "natural": ORDER_NATURAL,
    "updated": ORDER_UPDATED,
    "rank": ORDER_RANK,
    "sync": ORDER_SYNC,
}
# The snapshot the statement reads at (an InitPlan, computed once): the sync token of a
# first page. The same statement's snapshot, so it names exactly what the page saw.
SNAPSHOT = "(SELECT pg_current_snapshot()::text)"


def list_sql(
    w: Where,
    order: str,
    *,
    keyset: str | None,
    limit: int,
    tombstones: bool,
    with_snapshot: bool = False,
) -> str:
    item = f"CASE WHEN r.deleted_at IS NULL THEN {ITEM_JSON} ELSE {TOMBSTONE_JSON} END"
    rank = ", ts_rank(r.search, query)::float8 AS rank" if w.uses_search else ""
    snapshot = f", {SNAPSHOT} AS snapshot" if with_snapshot else ""
    clauses = w.sql() + (f" AND {keyset}" if keyset else "")
    body = item if tombstones else ITEM_JSON
    return (
        f"SELECT {body} AS item, r.id, r.state_under_review, r.document_date,"
        f" r.paragraph_key, r.updated_at, r.sync_xid{rank}{snapshot}"
        f" FROM {search_from(w)} WHERE {clauses} ORDER BY {order} LIMIT {int(limit)}"
    )


# Rows of the given States (or of all, without ``:states``) written by a transaction the
# snapshot did not see, or by the current transaction (a snapshot never lists its own
# transaction, whose writes it sees).
CHANGED_SINCE = (
    "SELECT EXISTS (SELECT 1 FROM recommendations r WHERE {states}"
    " r.sync_xid >= :sync_xmin AND (r.sync_xid >= :sync_xmax"
    " OR r.sync_xid = ANY(CAST(:sync_xip AS bigint[]))"
    " OR r.sync_xid = (pg_current_xact_id_if_assigned()::text)::bigint))"
)


def changed_since_statement(
    snapshot: Snapshot, countries: tuple[str, ...]
) -> tuple[str, list[Any]]:
    params: dict[str, Any] = snapshot.unseen()
    states = ""
    if countries:
        states = "r.state_under_review = ANY(:states) AND"
        params["states"] = list(countries)
    return positional(CHANGED_SINCE.format(states=states), params)


def empty_page_snapshot_sql(page_sql: str) -> str:
    """The snapshot of a statement that finds the page empty (``empty`` false when rows
    appeared meanwhile: then read the page again)."""
    return f"SELECT {SNAPSHOT} AS snapshot, NOT EXISTS ({page_sql}) AS empty"


def page_statement(
    f: RecommendationFilter,
    order: str,
    *,
    limit: int,
    keyset: str | None = None,
    keyset_params: dict[str, Any] | None = None,
    with_snapshot: bool = False,
) -> tuple[str, list[Any]]:
    """One page's statement in ``order`` (a key of ``ORDERS``), ready for the driver;
    ``with_snapshot`` adds the statement's snapshot to every row."""
    if keyset is None and not keyset_params:
        sql, values = _first_page_statement(f, order, limit, with_snapshot)
        return sql, list(values)
    return _page_statement(f, order, limit, keyset, keyset_params or {}, with_snapshot)


# First pages repeat: the same filters asked by the next visitor or the next poll.
@lru_cache(maxsize=512)
def _first_page_statement(
    f: RecommendationFilter, order: str, limit: int, with_snapshot: bool
) -> tuple[str, tuple[Any, ...]]:
    sql, values = _page_statement(f, order, limit, None, {}, with_snapshot)
    return sql, tuple(values)


def _page_statement(
    f: RecommendationFilter,
    order: str,
    limit: int,
    keyset: str | None,
    keyset_params: dict[str, Any],
    with_snapshot: bool,
) -> tuple[str, list[Any]]:
    w = where(f, include_deleted=f.include_deleted)
    sql = list_sql(
        w,
        ORDERS[order],
        keyset=keyset,
        limit=limit,
        tombstones=f.include_deleted,
        with_snapshot=with_snapshot,
    )
    return positional(sql, {**w.params, **keyset_params})


def empty_page_statement(
    f: RecommendationFilter, order: str, *, limit: int
) -> tuple[str, list[Any]]:
    """``empty_page_snapshot_sql`` of a first page."""
    w = where(f, include_deleted=f.include_deleted)
    sql = list_sql(w, ORDERS[order], keyset=None, limit=limit, tombstones=f.include_deleted)
    return positional(empty_page_snapshot_sql(sql), w.params)


KEYSET_NATURAL = (
    "(r.state_under_review, r.document_date, r.paragraph_key, r.id)"
    " > (:k_state, :k_date, CAST(:k_para AS integer[]), :k_id)"
)
KEYSET_UPDATED = "(r.updated_at, r.id) > (:k_updated, :k_id)"
KEYSET_SYNC = "(r.sync_xid, r.id) > (:k_xid, :k_id)"


def keyset_rank() -> str:
    # Descending rank, ascending id: rows after (rank0, id0) have rank < rank0, or the
    # same rank and a larger id.
    return (
        "(ts_rank(r.search, query)::float8 < :k_rank"
        " OR (ts_rank(r.search, query)::float8 = :k_rank AND r.id > :k_id))"
    )


def facets_sql(w: Where) -> str:
    return f"""
WITH f AS MATERIALIZED (
    SELECT r.id, r.position, r.status, r.themes, r.sdg_goals, r.cycle
    FROM {search_from(w)} WHERE {w.sql()}
)
SELECT 'total' AS facet, '' AS value, count(*) AS n FROM f
UNION ALL SELECT 'position', f.position, count(*) FROM f GROUP BY f.position
UNION ALL SELECT 'status', f.status, count(*) FROM f GROUP BY f.status
UNION ALL SELECT 'theme', t, count(*) FROM f, unnest(f.themes) t GROUP BY t
UNION ALL SELECT 'sdg_goal', g::text, count(*) FROM f, unnest(f.sdg_goals) g GROUP BY g
UNION ALL SELECT 'cycle', f.cycle::text, count(*) FROM f WHERE f.cycle IS NOT NULL GROUP BY f.cycle
UNION ALL SELECT 'recommending_state', s.iso3, count(DISTINCT f.id)
    FROM f JOIN recommending_states s ON s.recommendation_id = f.id
    WHERE s.iso3 IS NOT NULL GROUP BY s.iso3
"""


CSV_COLUMNS = (
    "id",
    "ref",
    "kind",
    "state_under_review",
    "document",
    "document_date",
    "paragraph",
    "text",
    "recommending_states",
    "mechanism",
    "cycle",
    "session",
    "position",
    "position_source",
    *TAG_FIELDS,
    "status",
    "updated_at",
)


def export_sql(w: Where) -> str:
    """Every matching item (stored JSON), in list order."""
    return f"SELECT {ITEM_JSON} FROM {search_from(w)} WHERE {w.sql()} ORDER BY {ORDER_NATURAL}"


def export_csv_sql(w: Where) -> str:
    """The CSV export's rows, for ``COPY ... TO STDOUT (FORMAT csv, HEADER)``: PostgreSQL
    writes the CSV. Empty values are NULL, so that they come out as empty cells."""
    cells = ", ".join(
        f"{expression} AS {name}"
        for name, expression in zip(
            CSV_COLUMNS,
            (
                "r.id",
                "r.ref",
                "r.kind",
                "r.state_under_review",
                "r.document_symbol",
                "(SELECT d.date FROM documents d WHERE d.id = r.document_id)",
                "r.paragraph",
                "r.text",
                "(SELECT string_agg(coalesce(s.iso3, s.name), '; ' ORDER BY s.ordinal)"
                " FROM recommending_states s WHERE s.recommendation_id = r.id)",
                "r.mechanism",
                "r.cycle",
                "r.session",
                "r.position",
                "r.position_source",
                *(f"nullif(array_to_string(r.{column}, '; '), '')" for column in TAG_FIELDS),
                "r.status",
                "r.updated_at",
            ),
            strict=True,
        )
    )
    return f"SELECT {cells} FROM {search_from(w)} WHERE {w.sql()} ORDER BY {ORDER_NATURAL}"


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_POSITIONAL: dict[str, tuple[str, tuple[str, ...]]] = {}


def positional(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """``:name`` parameters to asyncpg's ``$n``, and the values in that order.

    The hot reads run on the driver connection (no SQLAlchemy execution layer); the
    conversion is cached per statement text, and asyncpg caches the prepared statement.
    """
    hit = _POSITIONAL.get(sql)
    if hit is None:
        names: list[str] = []

        def number(m: re.Match[str]) -> str:
            if m.group(1) not in names:
                names.append(m.group(1))
            return f"${names.index(m.group(1)) + 1}"

        hit = (_NAMED.sub(number, sql), tuple(names))
        if len(_POSITIONAL) < 1000:
            _POSITIONAL[sql] = hit
    return hit[0], [params[name] for name in hit[1]]
