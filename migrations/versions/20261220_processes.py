"""more than one process: the process registry, who claimed a delivery or a fan-out, and Slack's once-only
memory of events and forms offered by a button, shared by the processes

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'bot_process',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platforms', sa.String(length=64), nullable=False),
        sa.Column('shards', sa.String(length=200), nullable=True),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_process')),
    )
    op.create_table(
        'slack_event',
        sa.Column('key', sa.String(length=250), nullable=False),
        sa.Column('seen_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_slack_event')),
    )
    op.create_index(op.f('ix_slack_event_seen_at'), 'slack_event', ['seen_at'], unique=False)
    op.create_table(
        'slack_form',
        sa.Column('team_id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('form_id', sa.String(length=100), nullable=False),
        sa.Column('form', sa.JSON(), nullable=False),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'user_id', 'form_id', name=op.f('pk_slack_form')),
    )
    op.create_index(op.f('ix_slack_form_created_at'), 'slack_form', ['created_at'], unique=False)
    with op.batch_alter_table('delivery') as batch:
        batch.add_column(sa.Column('claimed_by', sa.Integer(), nullable=True))
    with op.batch_alter_table('reminder') as batch:
        batch.add_column(sa.Column('claimed_by', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reminder') as batch:
        batch.drop_column('claimed_by')
    with op.batch_alter_table('delivery') as batch:
        batch.drop_column('claimed_by')
    op.drop_index(op.f('ix_slack_form_created_at'), table_name='slack_form')
    op.drop_table('slack_form')
    op.drop_index(op.f('ix_slack_event_seen_at'), table_name='slack_event')
    op.drop_table('slack_event')
    op.drop_table('bot_process')
