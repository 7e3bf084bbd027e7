"""a story about an issue: the decision's public page shows the stories about it

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('story') as batch:
        batch.add_column(sa.Column('issue_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_story_issue_id'), ['issue_id'])
        batch.create_foreign_key(batch.f('fk_story_issue_id_issue'), 'issue', ['issue_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('story') as batch:
        batch.drop_constraint(batch.f('fk_story_issue_id_issue'), type_='foreignkey')
        batch.drop_index(batch.f('ix_story_issue_id'))
        batch.drop_column('issue_id')
