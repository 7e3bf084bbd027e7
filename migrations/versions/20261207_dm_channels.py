"""dm channels: a member's DM channel id is stored, so a restart does not open every DM channel again; and
when their DMs were last found closed, so that they are tried again after a while

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dm_channel_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('dm_closed_at', bot.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('dm_closed_at')
        batch_op.drop_column('dm_channel_id')
