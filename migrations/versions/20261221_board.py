"""the campaign board: one-time login links, sessions, and the address of a group's public stories page

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'board_link',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('spent_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_board_link_member_id_member'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_board_link_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_board_link')),
    )
    op.create_index(op.f('ix_board_link_member_id'), 'board_link', ['member_id'], unique=False)
    op.create_index(op.f('ix_board_link_workspace_id'), 'board_link', ['workspace_id'], unique=False)
    op.create_table(
        'board_session',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('flash', sa.JSON(), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=False),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_board_session_member_id_member'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_board_session_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_board_session')),
    )
    op.create_index(op.f('ix_board_session_member_id'), 'board_session', ['member_id'], unique=False)
    op.create_index(op.f('ix_board_session_workspace_id'), 'board_session', ['workspace_id'], unique=False)
    with op.batch_alter_table('workspace') as batch:
        batch.add_column(sa.Column('public_slug', sa.String(length=40), nullable=True))
        batch.create_unique_constraint(batch.f('uq_workspace_public_slug'), ['public_slug'])


def downgrade() -> None:
    with op.batch_alter_table('workspace') as batch:
        batch.drop_constraint(batch.f('uq_workspace_public_slug'), type_='unique')
        batch.drop_column('public_slug')
    op.drop_index(op.f('ix_board_session_workspace_id'), table_name='board_session')
    op.drop_index(op.f('ix_board_session_member_id'), table_name='board_session')
    op.drop_table('board_session')
    op.drop_index(op.f('ix_board_link_workspace_id'), table_name='board_link')
    op.drop_index(op.f('ix_board_link_member_id'), table_name='board_link')
    op.drop_table('board_link')
