"""conversation: what the bot keeps of a member's conversation with it (an offer, the last questions, the
times of their messages) for a day after their last message

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'conversation',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('offer', sa.JSON(), nullable=True),
        sa.Column('turns', sa.JSON(), nullable=False),
        sa.Column('heard', sa.JSON(), nullable=False),
        sa.Column('model_asked', sa.JSON(), nullable=False),
        sa.Column('slowed_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_conversation_member_id_member'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_conversation_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_conversation')),
    )
    op.create_index('ix_conversation_workspace_id_updated_at', 'conversation', ['workspace_id', 'updated_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_workspace_id_updated_at', table_name='conversation')
    op.drop_table('conversation')
