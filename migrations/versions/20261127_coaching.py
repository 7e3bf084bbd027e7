"""coaching: the ladder, members' progress and pauses, the workspace's coaching settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coaching_config",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("hashtag", sa.String(length=101), nullable=False),
        sa.Column("nudge_weekday", sa.Integer(), nullable=False),
        sa.Column("nudge_hour", sa.Integer(), nullable=False),
        sa.Column("nudges_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_coaching_config_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_coaching_config")),
    )
    op.create_table(
        "coaching_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("why", sa.String(length=500), nullable=True),
        sa.Column("example", sa.String(length=500), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_coaching_step_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_step")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_coaching_step_workspace_id_key")),
    )
    with op.batch_alter_table('coaching_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_step_workspace_id'), ['workspace_id'], unique=False)

    op.create_table(
        "coaching_member",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_coaching_member_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_coaching_member_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_coaching_member")),
    )
    with op.batch_alter_table('coaching_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_member_workspace_id'), ['workspace_id'], unique=False)

    op.create_table(
        "coaching_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("evidence_url", sa.String(length=300), nullable=True),
        sa.Column("done_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_coaching_progress_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["coaching_step.id"],
            name=op.f("fk_coaching_progress_step_id_coaching_step"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_coaching_progress_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_progress")),
        sa.UniqueConstraint("member_id", "step_id", name=op.f("uq_coaching_progress_member_id_step_id")),
    )
    with op.batch_alter_table('coaching_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_progress_step_id'), ['step_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coaching_progress_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('coaching_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coaching_progress_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_coaching_progress_step_id'))

    op.drop_table('coaching_progress')
    with op.batch_alter_table('coaching_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coaching_member_workspace_id'))

    op.drop_table('coaching_member')
    with op.batch_alter_table('coaching_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coaching_step_workspace_id'))

    op.drop_table('coaching_step')
    op.drop_table('coaching_config')
