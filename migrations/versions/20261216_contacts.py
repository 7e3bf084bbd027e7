"""contacts: a question to a politician asked by e-mail, phone, letter, at a meeting or a fika (the ask's
channel, the member's note and the politician's answer in words), whom and how an action was about (and the
member's note of it), and the action that kept a pledge

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-16
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ask = sa.table('ask', sa.column('channel', sa.String(16)))


def upgrade() -> None:
    with op.batch_alter_table('ask', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('answer_note', sa.String(length=500), nullable=True))
    # Every question reported so far was asked on X: a link to the post was required.
    op.get_bind().execute(_ask.update().values(channel='x'))
    with op.batch_alter_table('ask', schema=None) as batch_op:
        batch_op.alter_column('channel', existing_type=sa.String(length=16), nullable=False)

    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('politician_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_action_politician_id'), ['politician_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_action_politician_id_politician'), 'politician',
                                    ['politician_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_by_action_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_pledge_kept_by_action_id_action'), 'action',
                                    ['kept_by_action_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_pledge_kept_by_action_id_action'), type_='foreignkey')
        batch_op.drop_column('kept_by_action_id')

    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_action_politician_id_politician'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_action_politician_id'))
        batch_op.drop_column('note')
        batch_op.drop_column('channel')
        batch_op.drop_column('politician_id')

    with op.batch_alter_table('ask', schema=None) as batch_op:
        batch_op.drop_column('answer_note')
        batch_op.drop_column('note')
        batch_op.drop_column('channel')
