"""staff passwords: an Argon2id hash per staff member who signs in to the console

Revision ID: 8c3d2eecc297
Revises: ff18acc4f3b2
Create Date: 2026-11-23 19:13:49.190511
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '8c3d2eecc297'
down_revision: str | None = 'ff18acc4f3b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('password_hash')
