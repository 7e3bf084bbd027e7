"""politician roles: each politician's role in each body (chair, vice chair, member, substitute), and the day
a politician left; the roles start as "ledamot" in every body the politician sits in

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_politician = sa.table('politician', sa.column('id', sa.Integer()), sa.column('bodies', sa.JSON()),
                       sa.column('roles', sa.JSON()))


def upgrade() -> None:
    with op.batch_alter_table('politician', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roles', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
    # Every body a politician sits in, as a member: the roles were not known before.
    connection = op.get_bind()
    for politician_id, bodies in connection.execute(sa.select(_politician.c.id, _politician.c.bodies)).all():
        connection.execute(_politician.update().where(_politician.c.id == politician_id)
                           .values(roles={body: 'ledamot' for body in bodies or []}))
    with op.batch_alter_table('politician', schema=None) as batch_op:
        batch_op.alter_column('roles', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('politician', schema=None) as batch_op:
        batch_op.drop_column('left_on')
        batch_op.drop_column('roles')
