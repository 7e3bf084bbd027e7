"""consent: before consent a member row holds no name; a declined consent is marked, and the last use of the
bot before consent is kept (to the day) so that a row without consent can be purged after a stated period

Members who have not consented lose the display name stored so far (it is taken from the platform when the bot
answers them, and stored when they consent).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_declined_at', bot.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', bot.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE member SET display_name = '' WHERE consented_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('consent_declined_at')
