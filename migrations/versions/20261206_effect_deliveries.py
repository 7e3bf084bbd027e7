"""effect deliveries: a reply's posts, DMs and role grants are delivery rows too, with no reminder behind them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot change a column's nullability in place: batch mode copies the table.
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.alter_column('reminder_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Effects have no reminder to belong to; they are done once sent, and cannot be kept without one.
    op.execute("DELETE FROM delivery WHERE reminder_id IS NULL")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.alter_column('reminder_id', existing_type=sa.Integer(), nullable=False)
