"""pda devices and shipments

Revision ID: 8409b1a9002e
Revises: 631423c2d29d
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '8409b1a9002e'
down_revision: str | None = '631423c2d29d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pda_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_pda_devices_brand_id_brands')),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealers.id'], name=op.f('fk_pda_devices_dealer_id_dealers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pda_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pda_devices_token_hash'))
    )
    with op.batch_alter_table('pda_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pda_devices_brand_id'), ['brand_id'], unique=False)

    op.create_table('shipments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('serial', sa.BigInteger(), nullable=False),
    sa.Column('to_store_id', sa.Integer(), nullable=True),
    sa.Column('to_dealer_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'], name=op.f('fk_shipments_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_shipments_brand_id_brands')),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealers.id'], name=op.f('fk_shipments_dealer_id_dealers')),
    sa.ForeignKeyConstraint(['device_id'], ['pda_devices.id'], name=op.f('fk_shipments_device_id_pda_devices')),
    sa.ForeignKeyConstraint(['to_dealer_id'], ['dealers.id'], name=op.f('fk_shipments_to_dealer_id_dealers')),
    sa.ForeignKeyConstraint(['to_store_id'], ['stores.id'], name=op.f('fk_shipments_to_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('brand_id', 'upload_id', 'batch_id', 'serial', name=op.f('uq_shipments_brand_id_upload_id_batch_id_serial'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_brand_id'), ['brand_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_brand_id'))

    op.drop_table('shipments')
    with op.batch_alter_table('pda_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pda_devices_brand_id'))

    op.drop_table('pda_devices')
