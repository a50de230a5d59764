"""recommendations: each item's public JSON stored in its row

``item`` holds the recommendation as lists, details, delta sync and exports send it (with
its recommending States and its document), built by ``recommendation_item()`` whenever the
row, its recommending States or its document's kind or date change: triggers, so that no
writer can leave it stale. Reads concatenate stored texts instead of building 51 JSON
objects per page.

An index on (State, sync_xid) answers "has anything of this State changed since that
snapshot?" from the few rows written since: cached facets and statistics, and list
ETags, are checked with it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 04:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The item exactly as the API sends it. Timestamps in UTC whatever the writer's session
# time zone, so that the same row always gives the same text.
ITEM_FUNCTION = """
CREATE FUNCTION recommendation_item(r recommendations) RETURNS json
LANGUAGE sql STABLE SET timezone = 'UTC' AS $$
SELECT json_build_object(
    'id', r.id,
    'ref', r.ref,
    'kind', r.kind,
    'paragraph', r.paragraph,
    'text', r.text,
    'state_under_review', r.state_under_review,
    'recommending_states', coalesce((
        SELECT json_agg(json_build_object('iso3', s.iso3, 'name', s.name) ORDER BY s.ordinal)
        FROM recommending_states s WHERE s.recommendation_id = r.id
    ), '[]'::json),
    'mechanism', r.mechanism,
    'cycle', r.cycle,
    'session', r.session,
    'document', json_build_object('symbol', r.document_symbol, 'kind', d.kind, 'date', d.date),
    'position', r.position,
    'position_source', r.position_source,
    'themes', r.themes,
    'affected_persons', r.affected_persons,
    'sdg_targets', r.sdg_targets,
    'institutions', r.institutions,
    'status', r.status,
    'version', r.version,
    'created_at', r.created_at,
    'updated_at', r.updated_at
)
FROM (VALUES (1)) one LEFT JOIN documents d ON d.id = r.document_id
$$
"""

TRIGGERS = [
    # The row itself.
    """
    CREATE FUNCTION recommendations_build_item() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.item := recommendation_item(NEW);
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER recommendations_item BEFORE INSERT OR UPDATE ON recommendations"
    " FOR EACH ROW EXECUTE FUNCTION recommendations_build_item()",
    # Its recommending States: one UPDATE per statement of the recommendations it touched
    # (the row trigger above rebuilds them).
    """
    CREATE FUNCTION recommending_states_rebuild_items() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE recommendations r SET item = r.item
            WHERE r.id IN (SELECT recommendation_id FROM new_rows);
        ELSIF TG_OP = 'UPDATE' THEN
            UPDATE recommendations r SET item = r.item
            WHERE r.id IN (SELECT recommendation_id FROM new_rows
                           UNION SELECT recommendation_id FROM old_rows);
        ELSE
            UPDATE recommendations r SET item = r.item
            WHERE r.id IN (SELECT recommendation_id FROM old_rows);
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER recommending_states_items_insert AFTER INSERT ON recommending_states"
    " REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION recommending_states_rebuild_items()",
    "CREATE TRIGGER recommending_states_items_update AFTER UPDATE ON recommending_states"
    " REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION recommending_states_rebuild_items()",
    "CREATE TRIGGER recommending_states_items_delete AFTER DELETE ON recommending_states"
    " REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION recommending_states_rebuild_items()",
    # Its document's kind and date.
    """
    CREATE FUNCTION documents_rebuild_items() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE recommendations r SET item = r.item WHERE r.document_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER documents_items AFTER UPDATE OF kind, date ON documents FOR EACH ROW"
    " WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.date IS DISTINCT FROM NEW.date)"
    " EXECUTE FUNCTION documents_rebuild_items()",
]


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column("recommendations", sa.Column("item", sa.JSON(), nullable=True))
    op.execute(ITEM_FUNCTION)
    # Filled without the sync stamp: storing the item changes nothing a client sees.
    op.execute("ALTER TABLE recommendations DISABLE TRIGGER recommendations_sync_xid")
    op.execute("UPDATE recommendations r SET item = recommendation_item(r)")
    op.execute("ALTER TABLE recommendations ENABLE TRIGGER recommendations_sync_xid")
    op.alter_column("recommendations", "item", nullable=False)
    op.create_index(
        "ix_recommendations_state_sync", "recommendations", ["state_under_review", "sync_xid"]
    )
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index("ix_recommendations_state_sync", table_name="recommendations")
    for trigger, table in (
        ("documents_items", "documents"),
        ("recommending_states_items_delete", "recommending_states"),
        ("recommending_states_items_update", "recommending_states"),
        ("recommending_states_items_insert", "recommending_states"),
        ("recommendations_item", "recommendations"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in (
        "documents_rebuild_items()",
        "recommending_states_rebuild_items()",
        "recommendations_build_item()",
        "recommendation_item(recommendations)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_column("recommendations", "item")
