"""dealer users: a staff member of role dealer belongs to one dealer

Revision ID: 737a6c0e9343
Revises: ea69e1b9bef3
Create Date: 2026-11-23 22:27:54.404834
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '737a6c0e9343'
down_revision: str | None = 'ea69e1b9bef3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dealer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_dealer_id_dealers'), 'dealers', ['dealer_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_dealer_id_dealers'), type_='foreignkey')
        batch_op.drop_column('dealer_id')

