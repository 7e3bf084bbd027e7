"""issues: issues, follows, helpers, politicians, stances, asks, media contacts and council seats

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("body", sa.String(length=32), nullable=False),
        sa.Column("committee", sa.String(length=100), nullable=True),
        sa.Column("decision_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decision_has_time", sa.Boolean(), nullable=False),
        sa.Column("hashtag", sa.String(length=101), nullable=False),
        sa.Column("source_url", sa.String(length=300), nullable=True),
        sa.Column("position", sa.String(length=1000), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("ask_days", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_note", sa.String(length=300), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_member_id"],
            ["member.id"],
            name=op.f("fk_issue_created_by_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_issue_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue")),
    )
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.create_index('ix_issue_workspace_id_status', ['workspace_id', 'status'], unique=False)

    op.create_table(
        "issue_settings",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("ask_days", sa.JSON(), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_issue_settings_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_issue_settings")),
    )
    op.create_table(
        "follow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_follow_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_follow_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow")),
        sa.UniqueConstraint("member_id", "kind", "value", name=op.f("uq_follow_member_id_kind_value")),
    )
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.create_index(
            "ix_follow_workspace_id_kind_value", ["workspace_id", "kind", "value"], unique=False
        )

    op.create_table(
        "issue_helper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_issue_helper_issue_id_issue"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_issue_helper_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_issue_helper_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_helper")),
        sa.UniqueConstraint("issue_id", "member_id", name=op.f("uq_issue_helper_issue_id_member_id")),
    )
    with op.batch_alter_table('issue_helper', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issue_helper_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issue_helper_workspace_id'), ['workspace_id'], unique=False)

    op.create_table(
        "politician",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("party", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("bodies", sa.JSON(), nullable=False),
        sa.Column("committee", sa.String(length=100), nullable=True),
        sa.Column("x_handle", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_politician_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_politician")),
        sa.UniqueConstraint(
            "workspace_id",
            "name_key",
            "municipality",
            name=op.f("uq_politician_workspace_id_name_key_municipality"),
        ),
    )
    op.create_table(
        "stance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("politician_id", sa.Integer(), nullable=False),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("source_url", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reported_by_member_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_member_id"],
            ["member.id"],
            name=op.f("fk_stance_decided_by_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_stance_issue_id_issue"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["politician_id"],
            ["politician.id"],
            name=op.f("fk_stance_politician_id_politician"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_member_id"],
            ["member.id"],
            name=op.f("fk_stance_reported_by_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_stance_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stance")),
    )
    with op.batch_alter_table('stance', schema=None) as batch_op:
        batch_op.create_index('ix_stance_issue_id_politician_id', ['issue_id', 'politician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stance_politician_id'), ['politician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stance_workspace_id'), ['workspace_id'], unique=False)

    op.create_table(
        "ask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("politician_id", sa.Integer(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("assigned_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("asked_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("asked_url", sa.String(length=300), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_ask_issue_id_issue"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_ask_member_id_member"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["politician_id"],
            ["politician.id"],
            name=op.f("fk_ask_politician_id_politician"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspace.id"], name=op.f("fk_ask_workspace_id_workspace"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ask")),
        sa.UniqueConstraint("issue_id", "member_id", "round", name=op.f("uq_ask_issue_id_member_id_round")),
    )
    with op.batch_alter_table('ask', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ask_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ask_politician_id'), ['politician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ask_workspace_id'), ['workspace_id'], unique=False)

    op.create_table(
        "media_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outlet", sa.String(length=100), nullable=True),
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("x_handle", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_media_contact_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_contact")),
        sa.UniqueConstraint(
            "workspace_id",
            "name_key",
            "municipality",
            name=op.f("uq_media_contact_workspace_id_name_key_municipality"),
        ),
    )
    op.create_table(
        "council_seat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=32), nullable=False),
        sa.Column("body", sa.String(length=32), nullable=False),
        sa.Column("committee_key", sa.String(length=100), nullable=False),
        sa.Column("party", sa.String(length=40), nullable=False),
        sa.Column("party_key", sa.String(length=40), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("updated_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
            name=op.f("fk_council_seat_workspace_id_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_seat")),
        sa.UniqueConstraint(
            "workspace_id",
            "municipality",
            "body",
            "committee_key",
            "party_key",
            name="uq_council_seat_scope_party",
        ),
    )


def downgrade() -> None:
    op.drop_table('council_seat')
    op.drop_table('media_contact')
    with op.batch_alter_table('ask', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ask_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_ask_politician_id'))
        batch_op.drop_index(batch_op.f('ix_ask_member_id'))

    op.drop_table('ask')
    with op.batch_alter_table('stance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stance_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_stance_politician_id'))
        batch_op.drop_index('ix_stance_issue_id_politician_id')

    op.drop_table('stance')
    op.drop_table('politician')
    with op.batch_alter_table('issue_helper', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issue_helper_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_issue_helper_member_id'))

    op.drop_table('issue_helper')
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_workspace_id_kind_value')

    op.drop_table('follow')
    op.drop_table('issue_settings')
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.drop_index('ix_issue_workspace_id_status')

    op.drop_table('issue')
