"""codes, brands and campaigns

Revision ID: e35246da52a9
Revises: 
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e35246da52a9'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('brands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scan_base_url', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brands')),
    sa.UniqueConstraint('slug', name=op.f('uq_brands_slug'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_campaigns_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('brand_id', 'slug', name=op.f('uq_campaigns_brand_id_slug'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_brand_id'), ['brand_id'], unique=False)

    op.create_table('code_keys',
    sa.Column('key_id', sa.String(length=3), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('next_serial', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_code_keys_brand_id_brands')),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_code_keys'))
    )
    with op.batch_alter_table('code_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_keys_brand_id'), ['brand_id'], unique=False)

    op.create_table('dealers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_dealers_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dealers')),
    sa.UniqueConstraint('brand_id', 'code', name=op.f('uq_dealers_brand_id_code'))
    )
    with op.batch_alter_table('dealers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dealers_brand_id'), ['brand_id'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_products_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('brand_id', 'sku', name=op.f('uq_products_brand_id_sku'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_brand_id'), ['brand_id'], unique=False)

    op.create_table('regions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_regions_brand_id_brands')),
    sa.ForeignKeyConstraint(['parent_id'], ['regions.id'], name=op.f('fk_regions_parent_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regions')),
    sa.UniqueConstraint('brand_id', 'code', name=op.f('uq_regions_brand_id_code'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regions_brand_id'), ['brand_id'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_staff_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('brand_id', 'username', name=op.f('uq_staff_brand_id_username'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_brand_id'), ['brand_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_api_tokens_brand_id_brands')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_api_tokens_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_brand_id'), ['brand_id'], unique=False)

    op.create_table('code_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('first_serial', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint('count > 0', name=op.f('ck_code_batches_count_positive')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_code_batches_brand_id_brands')),
    sa.ForeignKeyConstraint(['key_id'], ['code_keys.key_id'], name=op.f('fk_code_batches_key_id_code_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_batches')),
    sa.UniqueConstraint('key_id', 'first_serial', name=op.f('uq_code_batches_key_id_first_serial'))
    )
    with op.batch_alter_table('code_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_batches_brand_id'), ['brand_id'], unique=False)

    op.create_table('dealer_regions',
    sa.Column('dealer_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealers.id'], name=op.f('fk_dealer_regions_dealer_id_dealers')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_dealer_regions_region_id_regions')),
    sa.PrimaryKeyConstraint('dealer_id', 'region_id', name=op.f('pk_dealer_regions'))
    )
    op.create_table('stores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dealer_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_stores_brand_id_brands')),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealers.id'], name=op.f('fk_stores_dealer_id_dealers')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_stores_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stores')),
    sa.UniqueConstraint('brand_id', 'code', name=op.f('uq_stores_brand_id_code'))
    )
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stores_brand_id'), ['brand_id'], unique=False)

    op.create_table('code_activations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('start', sa.BigInteger(), nullable=False),
    sa.Column('end', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot', sa.String(length=64), nullable=False),
    sa.Column('production_date', sa.Date(), nullable=True),
    sa.Column('factory', sa.String(length=100), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'], name=op.f('fk_code_activations_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_code_activations_brand_id_brands')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_code_activations_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_code_activations_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_activations'))
    )
    with op.batch_alter_table('code_activations', schema=None) as batch_op:
        batch_op.create_index('ix_code_activations_batch_start', ['batch_id', 'start'], unique=False)
        batch_op.create_index(batch_op.f('ix_code_activations_brand_id'), ['brand_id'], unique=False)

    op.create_table('code_voids',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('start', sa.BigInteger(), nullable=False),
    sa.Column('end', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'], name=op.f('fk_code_voids_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_code_voids_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_voids'))
    )
    with op.batch_alter_table('code_voids', schema=None) as batch_op:
        batch_op.create_index('ix_code_voids_batch_start', ['batch_id', 'start'], unique=False)
        batch_op.create_index(batch_op.f('ix_code_voids_brand_id'), ['brand_id'], unique=False)

    op.create_table('pack_links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('child_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('child_serial', sa.BigInteger(), nullable=False),
    sa.Column('parent_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('parent_serial', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_pack_links_brand_id_brands')),
    sa.ForeignKeyConstraint(['child_batch_id'], ['code_batches.id'], name=op.f('fk_pack_links_child_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['parent_batch_id'], ['code_batches.id'], name=op.f('fk_pack_links_parent_batch_id_code_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_links'))
    )
    with op.batch_alter_table('pack_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pack_links_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index('ix_pack_links_child', ['child_batch_id', 'child_serial'], unique=False)
        batch_op.create_index('ix_pack_links_parent', ['parent_batch_id', 'parent_serial'], unique=False)

    op.create_table('pack_ranges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('child_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('child_start', sa.BigInteger(), nullable=False),
    sa.Column('child_count', sa.BigInteger(), nullable=False),
    sa.Column('parent_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('parent_start', sa.BigInteger(), nullable=False),
    sa.Column('parent_count', sa.BigInteger(), nullable=False),
    sa.Column('per_parent', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_pack_ranges_brand_id_brands')),
    sa.ForeignKeyConstraint(['child_batch_id'], ['code_batches.id'], name=op.f('fk_pack_ranges_child_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['parent_batch_id'], ['code_batches.id'], name=op.f('fk_pack_ranges_parent_batch_id_code_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_ranges'))
    )
    with op.batch_alter_table('pack_ranges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pack_ranges_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index('ix_pack_ranges_child', ['child_batch_id', 'child_start'], unique=False)
        batch_op.create_index('ix_pack_ranges_parent', ['parent_batch_id', 'parent_start'], unique=False)

    op.create_table('print_exports',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('codes_per_file', sa.BigInteger(), nullable=False),
    sa.Column('with_children', sa.Boolean(), nullable=False),
    sa.Column('manifest', sa.JSON(), nullable=True),
    sa.Column('max_downloads', sa.Integer(), nullable=False),
    sa.Column('downloads', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batches.id'], name=op.f('fk_print_exports_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_print_exports_brand_id_brands')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_exports'))
    )
    with op.batch_alter_table('print_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_exports_brand_id'), ['brand_id'], unique=False)

    op.create_table('export_downloads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=100), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('client_ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_export_downloads_brand_id_brands')),
    sa.ForeignKeyConstraint(['export_id'], ['print_exports.id'], name=op.f('fk_export_downloads_export_id_print_exports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_downloads'))
    )
    with op.batch_alter_table('export_downloads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_downloads_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_downloads_export_id'), ['export_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('export_downloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_downloads_export_id'))
        batch_op.drop_index(batch_op.f('ix_export_downloads_brand_id'))

    op.drop_table('export_downloads')
    with op.batch_alter_table('print_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_exports_brand_id'))

    op.drop_table('print_exports')
    with op.batch_alter_table('pack_ranges', schema=None) as batch_op:
        batch_op.drop_index('ix_pack_ranges_parent')
        batch_op.drop_index('ix_pack_ranges_child')
        batch_op.drop_index(batch_op.f('ix_pack_ranges_brand_id'))

    op.drop_table('pack_ranges')
    with op.batch_alter_table('pack_links', schema=None) as batch_op:
        batch_op.drop_index('ix_pack_links_parent')
        batch_op.drop_index('ix_pack_links_child')
        batch_op.drop_index(batch_op.f('ix_pack_links_brand_id'))

    op.drop_table('pack_links')
    with op.batch_alter_table('code_voids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_voids_brand_id'))
        batch_op.drop_index('ix_code_voids_batch_start')

    op.drop_table('code_voids')
    with op.batch_alter_table('code_activations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_activations_brand_id'))
        batch_op.drop_index('ix_code_activations_batch_start')

    op.drop_table('code_activations')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stores_brand_id'))

    op.drop_table('stores')
    op.drop_table('dealer_regions')
    with op.batch_alter_table('code_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_batches_brand_id'))

    op.drop_table('code_batches')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_brand_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_brand_id'))

    op.drop_table('staff')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_brand_id'))

    op.drop_table('regions')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_brand_id'))

    op.drop_table('products')
    with op.batch_alter_table('dealers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dealers_brand_id'))

    op.drop_table('dealers')
    with op.batch_alter_table('code_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_keys_brand_id'))

    op.drop_table('code_keys')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_brand_id'))

    op.drop_table('campaigns')
    op.drop_table('brands')
