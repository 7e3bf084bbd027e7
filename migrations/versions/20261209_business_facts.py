"""business facts: what a member's business offers, one or two facts they are proud of, and the platforms they
use, so that drafts speak of this business and are offered for the member's platforms

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('facts', sa.String(length=150), nullable=True))
        batch_op.add_column(sa.Column('platforms', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('platforms')
        batch_op.drop_column('facts')
        batch_op.drop_column('offer')
