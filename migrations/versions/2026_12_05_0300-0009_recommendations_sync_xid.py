"""recommendations: the writing transaction's id on every row, for sync tokens

Every INSERT or UPDATE of a recommendation stamps ``sync_xid`` with the 64-bit id of the
writing transaction (``pg_current_xact_id()``), whoever the writer is: a trigger, so no
write path can forget it. A sync token carries the snapshot its answer was read at; the
next delta returns the rows whose transaction that snapshot did not see (docs/sync.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMP = "(pg_current_xact_id()::text)::bigint"


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database. Adding
    # the column rewrites the table (a volatile default) and blocks its writes meanwhile.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.add_column(
        "recommendations",
        sa.Column("sync_xid", sa.BigInteger(), server_default=sa.text(STAMP), nullable=False),
    )
    op.execute(
        f"""
        CREATE FUNCTION recommendations_stamp_sync_xid() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.sync_xid := {STAMP};
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER recommendations_sync_xid BEFORE INSERT OR UPDATE ON recommendations"
        " FOR EACH ROW EXECUTE FUNCTION recommendations_stamp_sync_xid()"
    )
    op.create_index("ix_recommendations_sync", "recommendations", ["sync_xid", "id"])


def downgrade() -> None:
    op.drop_index("ix_recommendations_sync", table_name="recommendations")
    op.execute("DROP TRIGGER recommendations_sync_xid ON recommendations")
    op.execute("DROP FUNCTION recommendations_stamp_sync_xid()")
    op.drop_column("recommendations", "sync_xid")
