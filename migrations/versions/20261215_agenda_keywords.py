"""agenda keywords: the words of a workspace's own (besides the topics) that make an agenda item worth
proposing to its coordinators

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-13
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'agenda_settings',
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('keywords', sa.JSON(), nullable=False),
        sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_agenda_settings_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_agenda_settings')),
    )


def downgrade() -> None:
    op.drop_table('agenda_settings')
