"""recommendations: an index for the common filter, in list order

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["state_under_review", "cycle", "position", "document_date", "paragraph_key", "id"]


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database. The build
    # blocks writes to recommendations while it runs (about 1 s for 300,000 rows here).
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_index("ix_recommendations_filter_order", "recommendations", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_recommendations_filter_order", table_name="recommendations")
