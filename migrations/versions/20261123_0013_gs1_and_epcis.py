"""gs1 and epcis: SSCC ranges on case and pallet batches, imported EPCIS events, partners' links

Revision ID: 41fdf578e7cb
Revises: 737a6c0e9343
Create Date: 2026-12-04 14:47:41.285737
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '41fdf578e7cb'
down_revision: str | None = '737a6c0e9343'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('epcis_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=300), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_epcis_events_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_events')),
    sa.UniqueConstraint('brand_id', 'event_id', name=op.f('uq_epcis_events_brand_id_event_id'))
    )
    with op.batch_alter_table('epcis_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_epcis_events_brand_id'), ['brand_id'], unique=False)

    op.create_table('epcis_links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('child', sa.String(length=300), nullable=False),
    sa.Column('parent', sa.String(length=300), nullable=True),
    sa.Column('event_id', sa.String(length=300), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_epcis_links_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_links'))
    )
    with op.batch_alter_table('epcis_links', schema=None) as batch_op:
        batch_op.create_index('ix_epcis_links_child', ['brand_id', 'child'], unique=False)

    with op.batch_alter_table('code_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sscc_first', sa.BigInteger(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('code_batches', schema=None) as batch_op:
        batch_op.drop_column('sscc_first')

    with op.batch_alter_table('epcis_links', schema=None) as batch_op:
        batch_op.drop_index('ix_epcis_links_child')

    op.drop_table('epcis_links')
    with op.batch_alter_table('epcis_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_epcis_events_brand_id'))

    op.drop_table('epcis_events')
