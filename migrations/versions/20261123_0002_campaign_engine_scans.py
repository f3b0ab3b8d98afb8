"""campaign engine and scan records

Existing campaigns become drafts with no budget and an empty prize table (server defaults).

Revision ID: eef27390a385
Revises: e35246da52a9
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'eef27390a385'
down_revision: str | None = 'e35246da52a9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('awards',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=32), nullable=False),
    sa.Column('beneficiary', sa.String(length=64), nullable=False),
    sa.Column('tier', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, server_default='draft'),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_awards_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards'))
    )
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_awards_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_awards_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('scans',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.BigInteger(), nullable=True),
    sa.Column('serial', sa.BigInteger(), nullable=True),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.String(length=128), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('region_code', sa.String(length=32), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('tier', sa.String(length=32), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_scans_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index('ix_scans_brand_at', ['brand_id', 'at'], unique=False)

    op.create_table('campaign_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_campaign_changes_brand_id_brands')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_changes_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_changes'))
    )
    with op.batch_alter_table('campaign_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_changes_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_changes_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('campaign_regions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=32), nullable=False),
    sa.Column('total_budget_fen', sa.BigInteger(), nullable=True),
    sa.Column('daily_budget_fen', sa.BigInteger(), nullable=True),
    sa.Column('prize_table', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_campaign_regions_brand_id_brands')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_regions_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_regions')),
    sa.UniqueConstraint('campaign_id', 'region_code', name=op.f('uq_campaign_regions_campaign_id_region_code'))
    )
    with op.batch_alter_table('campaign_regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_regions_brand_id'), ['brand_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='draft'))
        batch_op.add_column(sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=40), nullable=False, server_default='Asia/Shanghai'))
        batch_op.add_column(sa.Column('total_budget_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('daily_budget_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('wins_per_consumer_per_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('wins_per_consumer', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prize_table', sa.JSON(), nullable=False, server_default='{"tiers": []}'))
        batch_op.add_column(sa.Column('regions', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()))



def downgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('version')
        batch_op.drop_column('regions')
        batch_op.drop_column('prize_table')
        batch_op.drop_column('wins_per_consumer')
        batch_op.drop_column('wins_per_consumer_per_day')
        batch_op.drop_column('daily_budget_fen')
        batch_op.drop_column('total_budget_fen')
        batch_op.drop_column('timezone')
        batch_op.drop_column('ends_at')
        batch_op.drop_column('starts_at')
        batch_op.drop_column('status')

    with op.batch_alter_table('campaign_regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_regions_brand_id'))

    op.drop_table('campaign_regions')
    with op.batch_alter_table('campaign_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_changes_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_changes_brand_id'))

    op.drop_table('campaign_changes')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('ix_scans_brand_at')

    op.drop_table('scans')
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_awards_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_awards_brand_id'))

    op.drop_table('awards')
