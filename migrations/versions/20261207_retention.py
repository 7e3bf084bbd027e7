"""retention: settled deliveries are pruned daily (a retention reminder per workspace), and the indexes the
coordinators' views page and count on: members by (workspace, display name, id), deliveries by (workspace,
status, created_at) (a period's actions are counted from 0009's (workspace, created_at, member, kind, status))

Every existing workspace gets its first pruning run, due at once; it plans the next day's when it fires.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.services.retention's kinds (a migration does not import what may change after it).
DAILY_KIND = "retention.daily"
BATCH_KIND = "retention.batch"


def upgrade() -> None:
    op.create_index('ix_member_workspace_id_display_name', 'member', ['workspace_id', 'display_name', 'id'],
                    unique=False)
    op.create_index('ix_delivery_workspace_id_status_created_at', 'delivery',
                    ['workspace_id', 'status', 'created_at'], unique=False)
    reminder = sa.table('reminder', sa.column('workspace_id', sa.Integer()), sa.column('kind', sa.String()),
                        sa.column('key', sa.String()), sa.column('due_at', bot.db.UTCDateTime(timezone=True)),
                        sa.column('grace_seconds', sa.Integer()), sa.column('payload', sa.JSON()),
                        sa.column('status', sa.String()),
                        sa.column('created_at', bot.db.UTCDateTime(timezone=True)))
    now = datetime.now(UTC)
    workspaces = op.get_bind().execute(sa.text("SELECT id FROM workspace")).scalars().all()
    if workspaces:
        op.bulk_insert(reminder, [
            {"workspace_id": workspace_id, "kind": DAILY_KIND, "key": f"{DAILY_KIND}:{workspace_id}:first",
             "due_at": now, "grace_seconds": None, "payload": {}, "status": "pending", "created_at": now}
            for workspace_id in workspaces])


def downgrade() -> None:
    op.execute(f"DELETE FROM reminder WHERE kind IN ('{DAILY_KIND}', '{BATCH_KIND}')")
    op.drop_index('ix_delivery_workspace_id_status_created_at', table_name='delivery')
    op.drop_index('ix_member_workspace_id_display_name', table_name='member')
