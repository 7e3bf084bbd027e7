"""agenda watcher: the sources a workspace's coordinators registered (feeds, calendars, agenda PDFs) with
their polling state, the meetings read from them, and the agenda items stored once per workspace

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'agenda_source',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('municipality', sa.String(length=32), nullable=False),
        sa.Column('body', sa.String(length=32), nullable=False),
        sa.Column('committee', sa.String(length=100), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('url', sa.String(length=300), nullable=False),
        sa.Column('added_by_member_id', sa.Integer(), nullable=True),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('etag', sa.String(length=200), nullable=True),
        sa.Column('last_modified', sa.String(length=64), nullable=True),
        sa.Column('next_poll_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_polled_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_ok_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('failure_told_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['added_by_member_id'], ['member.id'],
                                name=op.f('fk_agenda_source_added_by_member_id_member'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_agenda_source_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_source')),
        sa.UniqueConstraint('workspace_id', 'url', name=op.f('uq_agenda_source_workspace_id_url')),
    )
    op.create_index('ix_agenda_source_next_poll_at', 'agenda_source', ['next_poll_at'], unique=False)
    op.create_table(
        'agenda_meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('municipality', sa.String(length=32), nullable=False),
        sa.Column('body', sa.String(length=32), nullable=False),
        sa.Column('committee', sa.String(length=100), nullable=True),
        sa.Column('starts_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('has_time', sa.Boolean(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('url', sa.String(length=300), nullable=True),
        sa.Column('uid', sa.String(length=300), nullable=False),
        sa.Column('created_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['source_id'], ['agenda_source.id'],
                                name=op.f('fk_agenda_meeting_source_id_agenda_source'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_agenda_meeting_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_meeting')),
        sa.UniqueConstraint('source_id', 'uid', name=op.f('uq_agenda_meeting_source_id_uid')),
    )
    op.create_index('ix_agenda_meeting_workspace_id_municipality_body', 'agenda_meeting',
                    ['workspace_id', 'municipality', 'body', 'starts_at'], unique=False)
    op.create_table(
        'agenda_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('municipality', sa.String(length=32), nullable=False),
        sa.Column('body', sa.String(length=32), nullable=False),
        sa.Column('committee', sa.String(length=100), nullable=True),
        sa.Column('meeting_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('meeting_has_time', sa.Boolean(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=True),
        sa.Column('link', sa.String(length=300), nullable=True),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('status_at', bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('council_meeting_id', sa.Integer(), nullable=True),
        sa.Column('issue_id', sa.Integer(), nullable=True),
        sa.Column('first_seen_at', bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['council_meeting_id'], ['agenda_meeting.id'],
                                name=op.f('fk_agenda_item_council_meeting_id_agenda_meeting'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_agenda_item_issue_id_issue'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['meeting_id'], ['agenda_meeting.id'],
                                name=op.f('fk_agenda_item_meeting_id_agenda_meeting'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['source_id'], ['agenda_source.id'],
                                name=op.f('fk_agenda_item_source_id_agenda_source'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_agenda_item_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item')),
        sa.UniqueConstraint('workspace_id', 'fingerprint',
                            name=op.f('uq_agenda_item_workspace_id_fingerprint')),
    )
    op.create_index('ix_agenda_item_workspace_id_status', 'agenda_item', ['workspace_id', 'status'],
                    unique=False)
    op.create_index(op.f('ix_agenda_item_source_id'), 'agenda_item', ['source_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_agenda_item_source_id'), table_name='agenda_item')
    op.drop_index('ix_agenda_item_workspace_id_status', table_name='agenda_item')
    op.drop_table('agenda_item')
    op.drop_index('ix_agenda_meeting_workspace_id_municipality_body', table_name='agenda_meeting')
    op.drop_table('agenda_meeting')
    op.drop_index('ix_agenda_source_next_poll_at', table_name='agenda_source')
    op.drop_table('agenda_source')
