"""dashboard rollups: scans by day, by place and day, by minute; payouts by state; a code's scans

Scans recorded before this revision are counted by `onecode reports rebuild`.

Revision ID: ea69e1b9bef3
Revises: 8cce1fa65304
Create Date: 2026-11-23 21:21:15.782451
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'ea69e1b9bef3'
down_revision: str | None = '8cce1fa65304'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('payout_tallies',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('payouts', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_payout_tallies_brand_id_brands')),
    sa.PrimaryKeyConstraint('brand_id', 'campaign_id', 'state', name=op.f('pk_payout_tallies'))
    )
    op.create_table('scan_days',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('scans', sa.BigInteger(), nullable=False),
    sa.Column('claims', sa.BigInteger(), nullable=False),
    sa.Column('wins', sa.BigInteger(), nullable=False),
    sa.Column('awarded_fen', sa.BigInteger(), nullable=False),
    sa.Column('stopped', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('held_fen', sa.BigInteger(), nullable=False),
    sa.Column('already_claimed', sa.BigInteger(), nullable=False),
    sa.Column('redemptions', sa.BigInteger(), nullable=False),
    sa.Column('case_openings', sa.BigInteger(), nullable=False),
    sa.Column('guide_sales', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_scan_days_brand_id_brands')),
    sa.PrimaryKeyConstraint('brand_id', 'day', 'campaign_id', 'product_id', name=op.f('pk_scan_days'))
    )
    op.create_table('scan_minutes',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.DateTime(timezone=True), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('scans', sa.BigInteger(), nullable=False),
    sa.Column('claims', sa.BigInteger(), nullable=False),
    sa.Column('wins', sa.BigInteger(), nullable=False),
    sa.Column('awarded_fen', sa.BigInteger(), nullable=False),
    sa.Column('stopped', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('held_fen', sa.BigInteger(), nullable=False),
    sa.Column('already_claimed', sa.BigInteger(), nullable=False),
    sa.Column('redemptions', sa.BigInteger(), nullable=False),
    sa.Column('case_openings', sa.BigInteger(), nullable=False),
    sa.Column('guide_sales', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_scan_minutes_brand_id_brands')),
    sa.PrimaryKeyConstraint('brand_id', 'minute', 'campaign_id', name=op.f('pk_scan_minutes'))
    )
    op.create_table('scan_place_days',
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=32), nullable=False),
    sa.Column('located', sa.BigInteger(), nullable=False),
    sa.Column('lat_sum', sa.Float(), nullable=False),
    sa.Column('lon_sum', sa.Float(), nullable=False),
    sa.Column('scans', sa.BigInteger(), nullable=False),
    sa.Column('claims', sa.BigInteger(), nullable=False),
    sa.Column('wins', sa.BigInteger(), nullable=False),
    sa.Column('awarded_fen', sa.BigInteger(), nullable=False),
    sa.Column('stopped', sa.BigInteger(), nullable=False),
    sa.Column('held', sa.BigInteger(), nullable=False),
    sa.Column('held_fen', sa.BigInteger(), nullable=False),
    sa.Column('already_claimed', sa.BigInteger(), nullable=False),
    sa.Column('redemptions', sa.BigInteger(), nullable=False),
    sa.Column('case_openings', sa.BigInteger(), nullable=False),
    sa.Column('guide_sales', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_scan_place_days_brand_id_brands')),
    sa.PrimaryKeyConstraint('brand_id', 'day', 'campaign_id', 'region_code', name=op.f('pk_scan_place_days'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('held', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_scans_brand_code', ['brand_id', 'code'], unique=False)
    # Payouts already made, by state; scans already recorded: `onecode reports rebuild`.
    op.execute(
        "INSERT INTO payout_tallies (brand_id, campaign_id, state, payouts, amount_fen) "
        "SELECT brand_id, COALESCE(campaign_id, 0), state, COUNT(*), SUM(amount_fen) "
        "FROM payouts GROUP BY brand_id, COALESCE(campaign_id, 0), state"
    )


def downgrade() -> None:
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('ix_scans_brand_code')
        batch_op.drop_column('held')
        batch_op.drop_column('product_id')

    op.drop_table('scan_place_days')
    op.drop_table('scan_minutes')
    op.drop_table('scan_days')
    op.drop_table('payout_tallies')
