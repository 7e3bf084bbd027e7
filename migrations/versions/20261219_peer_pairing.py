"""peer pairing: members who opt in to learn from or teach each other, the workspace's rhythm, the rounds and
their pairs with the check-in's answers

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-19
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'peer_settings',
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('rhythm', sa.String(length=16), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_peer_settings_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_peer_settings')),
    )
    op.create_table(
        'peer_member',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('joined_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_peer_member_member_id_member'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_peer_member_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_peer_member')),
    )
    op.create_index(op.f('ix_peer_member_workspace_id'), 'peer_member', ['workspace_id'], unique=False)
    op.create_table(
        'peer_round',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('started_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('checkin_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_peer_round_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_round')),
        sa.UniqueConstraint('workspace_id', 'key', name=op.f('uq_peer_round_workspace_id_key')),
    )
    op.create_table(
        'peer_pair',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('teacher_id', sa.Integer(), nullable=False),
        sa.Column('learner_answer', sa.String(length=8), nullable=True),
        sa.Column('teacher_answer', sa.String(length=8), nullable=True),
        sa.Column('answered_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['learner_id'], ['member.id'], name=op.f('fk_peer_pair_learner_id_member'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['round_id'], ['peer_round.id'],
                                name=op.f('fk_peer_pair_round_id_peer_round'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['teacher_id'], ['member.id'], name=op.f('fk_peer_pair_teacher_id_member'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_peer_pair_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_pair')),
        sa.UniqueConstraint('round_id', 'learner_id', name=op.f('uq_peer_pair_round_id_learner_id')),
    )
    op.create_index(op.f('ix_peer_pair_learner_id'), 'peer_pair', ['learner_id'], unique=False)
    op.create_index(op.f('ix_peer_pair_teacher_id'), 'peer_pair', ['teacher_id'], unique=False)
    op.create_index(op.f('ix_peer_pair_workspace_id'), 'peer_pair', ['workspace_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_peer_pair_workspace_id'), table_name='peer_pair')
    op.drop_index(op.f('ix_peer_pair_teacher_id'), table_name='peer_pair')
    op.drop_index(op.f('ix_peer_pair_learner_id'), table_name='peer_pair')
    op.drop_table('peer_pair')
    op.drop_table('peer_round')
    op.drop_index(op.f('ix_peer_member_workspace_id'), table_name='peer_member')
    op.drop_table('peer_member')
    op.drop_table('peer_settings')
