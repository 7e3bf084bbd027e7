"""relationships: the politicians a member knows or has met, in their own words, and whether the coordinators
may see it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-17
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'relationship',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('politician_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('how', sa.String(length=100), nullable=True),
        sa.Column('last_met_on', sa.Date(), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=True),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'],
                                name=op.f('fk_relationship_member_id_member'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['politician_id'], ['politician.id'],
                                name=op.f('fk_relationship_politician_id_politician'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_relationship_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_relationship')),
        sa.UniqueConstraint('member_id', 'politician_id',
                            name=op.f('uq_relationship_member_id_politician_id')),
    )
    op.create_index('ix_relationship_politician_id_shared', 'relationship', ['politician_id', 'shared'],
                    unique=False)
    op.create_index(op.f('ix_relationship_workspace_id'), 'relationship', ['workspace_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_relationship_workspace_id'), table_name='relationship')
    op.drop_index('ix_relationship_politician_id_shared', table_name='relationship')
    op.drop_table('relationship')
