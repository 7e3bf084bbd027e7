"""fallbacks and slack here: channel fallbacks are deliveries, found by an index of the refused DMs they still
have to cover; and Slack workspaces without user groups can have a stage's post ping @here

A refused DM's sent_at now says when its fallback was stored. The fallbacks of the DMs refused before this
revision were posted (or lost) already: those DMs are marked as covered, so that none is mentioned again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.models.UNTOLD (a migration does not import what may change after it).
UNTOLD = "sent_at IS NULL AND status IN ('unreachable', 'failed')"


def upgrade() -> None:
    # Not in a batch: on SQLite a batch that copies a table drops the old one, and with foreign keys on that
    # deletes every row referring to it (a workspace's members, deliveries, ...). Both databases add a column
    # with a constant default, and drop one (SQLite since 3.35), in place.
    op.add_column('workspace', sa.Column('ping_here', sa.Boolean(), nullable=False, server_default='0'))
    op.execute("UPDATE delivery SET sent_at = not_before WHERE status = 'unreachable' AND sent_at IS NULL")
    op.create_index('ix_delivery_untold', 'delivery', ['status'], unique=False, sqlite_where=sa.text(UNTOLD),
                    postgresql_where=sa.text(UNTOLD))


def downgrade() -> None:
    op.drop_index('ix_delivery_untold', table_name='delivery', sqlite_where=sa.text(UNTOLD),
                  postgresql_where=sa.text(UNTOLD))
    # Before this revision a refused DM had no sent_at.
    op.execute("UPDATE delivery SET sent_at = NULL WHERE status = 'unreachable'")
    op.drop_column('workspace', 'ping_here')
