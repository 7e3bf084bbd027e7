"""rapid response: a link the coordinators want answered within hours (its ask, deadline and tally), the
members' presses, and each member's choice about urgent alerts in quiet hours

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-18
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rapid_response',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=True),
        sa.Column('municipality', sa.String(length=32), nullable=True),
        sa.Column('link', sa.String(length=300), nullable=False),
        sa.Column('ask', sa.String(length=300), nullable=False),
        sa.Column('urgent', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('deadline_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_member_id', sa.Integer(), nullable=True),
        sa.Column('alerted', sa.Integer(), nullable=False),
        sa.Column('refreshes', sa.Integer(), nullable=False),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('closed_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_member_id'], ['member.id'],
                                name=op.f('fk_rapid_response_created_by_member_id_member'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_rapid_response_issue_id_issue'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_rapid_response_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rapid_response')),
    )
    op.create_index(op.f('ix_rapid_response_issue_id'), 'rapid_response', ['issue_id'], unique=False)
    op.create_index('ix_rapid_response_workspace_id_status', 'rapid_response', ['workspace_id', 'status'],
                    unique=False)
    op.create_table(
        'rapid_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('rapid_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('link', sa.String(length=300), nullable=True),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_rapid_answer_member_id_member'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rapid_id'], ['rapid_response.id'],
                                name=op.f('fk_rapid_answer_rapid_id_rapid_response'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_rapid_answer_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rapid_answer')),
        sa.UniqueConstraint('rapid_id', 'member_id', name=op.f('uq_rapid_answer_rapid_id_member_id')),
    )
    op.create_index(op.f('ix_rapid_answer_member_id'), 'rapid_answer', ['member_id'], unique=False)
    op.create_index(op.f('ix_rapid_answer_workspace_id'), 'rapid_answer', ['workspace_id'], unique=False)
    op.create_table(
        'rapid_member',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('urgent', sa.Boolean(), nullable=False),
        sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_rapid_member_member_id_member'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_rapid_member_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_rapid_member')),
    )
    op.create_index(op.f('ix_rapid_member_workspace_id'), 'rapid_member', ['workspace_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_rapid_member_workspace_id'), table_name='rapid_member')
    op.drop_table('rapid_member')
    op.drop_index(op.f('ix_rapid_answer_workspace_id'), table_name='rapid_answer')
    op.drop_index(op.f('ix_rapid_answer_member_id'), table_name='rapid_answer')
    op.drop_table('rapid_answer')
    op.drop_index('ix_rapid_response_workspace_id_status', table_name='rapid_response')
    op.drop_index(op.f('ix_rapid_response_issue_id'), table_name='rapid_response')
    op.drop_table('rapid_response')
