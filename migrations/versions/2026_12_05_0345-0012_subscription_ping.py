"""reminders: test events (subscription.ping) sent on request, with neither a deadline
nor an outbox event behind them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 03:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENTS = (
    "'deadline.reminder', 'recommendation.position_changed',"
    " 'recommendation.status_changed', 'programme.updated', 'mandate.updated'"
)
_SOURCE = (
    "(deadline_id IS NOT NULL AND window_days IS NOT NULL AND outbox_id IS NULL)"
    " OR (deadline_id IS NULL AND window_days IS NULL AND outbox_id IS NOT NULL)"
)
_PING_SOURCE = (
    " OR (event_type = 'subscription.ping' AND deadline_id IS NULL"
    " AND window_days IS NULL AND outbox_id IS NULL)"
)


def _constraints(events: str, source: str) -> None:
    op.drop_constraint(op.f("ck_reminders_event_type"), "reminders", type_="check")
    op.drop_constraint(op.f("ck_reminders_source"), "reminders", type_="check")
    op.create_check_constraint(
        op.f("ck_reminders_event_type"), "reminders", f"event_type IN ({events})"
    )
    op.create_check_constraint(op.f("ck_reminders_source"), "reminders", source)


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    _constraints(f"{_EVENTS}, 'subscription.ping'", _SOURCE + _PING_SOURCE)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("DELETE FROM reminders WHERE event_type = 'subscription.ping'")
    _constraints(_EVENTS, _SOURCE)
