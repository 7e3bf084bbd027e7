"""activity streaks and scores: each member's latest run of active weeks, and their points on the leaderboard
per week and month, kept where activity is written (counted once here from history); the actions indexed by
member and time, and by workspace and time with the member

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections import defaultdict
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What counted for streaks at this revision: (table, its time column).
SOURCES = (("action", "created_at"), ("coaching_progress", "done_at"), ("story", "created_at"))
# What counted on the leaderboard: actions and stories.
BOARD = ("action", "story")


def _latest_run(weeks: set[int]) -> tuple[int, int]:
    """As bot.services.streaks.latest_run (a migration does not import what may change after it)."""
    ordered = sorted(weeks, reverse=True)
    first = ordered[0]
    for week in ordered[1:]:
        if week != first - 1:
            break
        first = week
    return first, ordered[0]


def upgrade() -> None:
    # Not in a batch: on SQLite a batch that copies a table drops the old one, and with foreign keys on that
    # deletes every row referring to it. Tables and indexes are created and dropped in place.
    streak = op.create_table(
        'activity_streak',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('first_week', sa.Integer(), nullable=False),
        sa.Column('last_week', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'],
                                name=op.f('fk_activity_streak_member_id_member'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_activity_streak_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_activity_streak')),
    )
    op.create_index('ix_activity_streak_workspace_id_last_week', 'activity_streak',
                    ['workspace_id', 'last_week'], unique=False)
    score = op.create_table(
        'activity_score',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('start', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('actions', sa.Integer(), nullable=False),
        sa.Column('stories', sa.Integer(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('shown', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'],
                                name=op.f('fk_activity_score_member_id_member'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'],
                                name=op.f('fk_activity_score_workspace_id_workspace'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', 'period', 'start', name=op.f('pk_activity_score')),
    )
    op.create_index('ix_activity_score_board', 'activity_score',
                    ['workspace_id', 'period', 'start', 'shown', 'points'], unique=False)
    op.drop_index('ix_action_member_id', table_name='action')
    op.drop_index('ix_action_workspace_id_created_at', table_name='action')
    op.create_index('ix_action_member_id_created_at', 'action', ['member_id', 'created_at'], unique=False)
    op.create_index('ix_action_workspace_id_created_at_member_id', 'action',
                    ['workspace_id', 'created_at', 'member_id', 'kind', 'status'], unique=False)

    # Every member's latest run and points, counted once from history in the workspace's zone.
    connection = op.get_bind()
    for workspace_id, zone in connection.execute(sa.text("SELECT id, timezone FROM workspace")).all():
        tz = ZoneInfo(zone)
        weeks: dict[int, set[int]] = defaultdict(set)
        tally: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0])
        for table, column in SOURCES:
            rows = connection.execute(
                sa.select(sa.column('member_id'), sa.column(column, bot.db.UTCDateTime(timezone=True)))
                .select_from(sa.table(table)).where(sa.column('workspace_id') == workspace_id))
            for member_id, at in rows:
                day = at.astimezone(tz).date()
                week = (day.toordinal() - 1) // 7
                weeks[member_id].add(week)
                if table in BOARD:
                    tally[member_id, 'week', week][BOARD.index(table)] += 1
                    tally[member_id, 'month', day.year * 12 + day.month - 1][BOARD.index(table)] += 1
        runs = [{"member_id": member_id, "workspace_id": workspace_id, "first_week": first, "last_week": last}
                for member_id, member_weeks in weeks.items() for first, last in (_latest_run(member_weeks),)]
        for start in range(0, len(runs), 1000):
            op.bulk_insert(streak, runs[start:start + 1000])
        shown = {member_id for (member_id,) in connection.execute(sa.text(
            "SELECT activity_member.member_id FROM activity_member JOIN member "
            "ON member.id = activity_member.member_id WHERE activity_member.workspace_id = :workspace "
            "AND activity_member.leaderboard AND member.onboarded_at IS NOT NULL"),
            {"workspace": workspace_id})}
        scores = [{"member_id": member_id, "period": period, "start": start, "workspace_id": workspace_id,
                   "actions": actions, "stories": stories, "points": actions + stories,
                   "shown": member_id in shown}
                  for (member_id, period, start), (actions, stories) in tally.items()]
        for first in range(0, len(scores), 1000):
            op.bulk_insert(score, scores[first:first + 1000])


def downgrade() -> None:
    op.drop_index('ix_action_workspace_id_created_at_member_id', table_name='action')
    op.drop_index('ix_action_member_id_created_at', table_name='action')
    op.create_index('ix_action_workspace_id_created_at', 'action', ['workspace_id', 'created_at'],
                    unique=False)
    op.create_index('ix_action_member_id', 'action', ['member_id'], unique=False)
    op.drop_index('ix_activity_score_board', table_name='activity_score')
    op.drop_table('activity_score')
    op.drop_index('ix_activity_streak_workspace_id_last_week', table_name='activity_streak')
    op.drop_table('activity_streak')
