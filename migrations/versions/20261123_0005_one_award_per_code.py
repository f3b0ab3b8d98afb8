"""one award per code

Revision ID: 3a2bdb16fca6
Revises: 8409b1a9002e
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3a2bdb16fca6'
down_revision: str | None = '8409b1a9002e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_batch_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('code_serial', sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_awards_code_batch_id_code_serial'), ['code_batch_id', 'code_serial'])



def downgrade() -> None:
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_awards_code_batch_id_code_serial'), type_='unique')
        batch_op.drop_column('code_serial')
        batch_op.drop_column('code_batch_id')

