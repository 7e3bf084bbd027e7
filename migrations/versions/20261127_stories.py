"""stories: the action log, stories and their applause, the leaderboard opt-in, the digest, the stories
channel

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot add a column to a table with constraints in place: batch mode copies the table.
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stories_channel_id', sa.String(length=64), nullable=True))

    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_action_issue_id_issue"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_action_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_action_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(
            "ix_action_workspace_id_created_at", ["workspace_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f('ix_action_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_issue_id'), ['issue_id'], unique=False)

    op.create_table(
        "activity_member",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("leaderboard", sa.Boolean(), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_activity_member_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_activity_member_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_activity_member")),
    )
    with op.batch_alter_table('activity_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_member_workspace_id'), ['workspace_id'], unique=False)

    op.create_table(
        "story",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("credit", sa.String(length=16), nullable=False),
        sa.Column("featured_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_story_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_story_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story")),
    )
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.create_index(
            "ix_story_workspace_id_created_at", ["workspace_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f('ix_story_member_id'), ['member_id'], unique=False)

    op.create_table(
        "story_applause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_story_applause_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["story_id"], ["story.id"], name=op.f("fk_story_applause_story_id_story"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_story_applause_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_applause")),
        sa.UniqueConstraint("story_id", "member_id", name=op.f("uq_story_applause_story_id_member_id")),
    )
    with op.batch_alter_table('story_applause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_applause_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_story_applause_workspace_id'), ['workspace_id'], unique=False)

    op.create_table(
        "digest_config",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("to_announcements", sa.Boolean(), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_digest_config_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_digest_config")),
    )


def downgrade() -> None:
    op.drop_table('digest_config')
    with op.batch_alter_table('story_applause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_applause_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_story_applause_member_id'))

    op.drop_table('story_applause')
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_member_id'))
        batch_op.drop_index('ix_story_workspace_id_created_at')

    op.drop_table('story')
    with op.batch_alter_table('activity_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_member_workspace_id'))

    op.drop_table('activity_member')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_issue_id'))
        batch_op.drop_index(batch_op.f('ix_action_member_id'))
        batch_op.drop_index('ix_action_workspace_id_created_at')

    op.drop_table('action')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('stories_channel_id')
