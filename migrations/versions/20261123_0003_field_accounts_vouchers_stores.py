"""field accounts vouchers guide sales case openings

Revision ID: 631423c2d29d
Revises: eef27390a385
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '631423c2d29d'
down_revision: str | None = 'eef27390a385'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('field_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('dealer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_field_accounts_brand_id_brands')),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealers.id'], name=op.f('fk_field_accounts_dealer_id_dealers')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_field_accounts_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_accounts')),
    sa.UniqueConstraint('brand_id', 'role', 'openid', name=op.f('uq_field_accounts_brand_id_role_openid'))
    )
    with op.batch_alter_table('field_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_accounts_brand_id'), ['brand_id'], unique=False)

    op.create_table('invite_codes',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('salesperson_id', sa.Integer(), nullable=True),
    sa.Column('dealer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_invite_codes_brand_id_brands')),
    sa.ForeignKeyConstraint(['dealer_id'], ['dealers.id'], name=op.f('fk_invite_codes_dealer_id_dealers')),
    sa.ForeignKeyConstraint(['salesperson_id'], ['field_accounts.id'], name=op.f('fk_invite_codes_salesperson_id_field_accounts')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_invite_codes'))
    )
    with op.batch_alter_table('invite_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invite_codes_brand_id'), ['brand_id'], unique=False)

    op.create_table('case_openings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('case_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_serial', sa.BigInteger(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reward_award_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_case_openings_brand_id_brands')),
    sa.ForeignKeyConstraint(['case_batch_id'], ['code_batches.id'], name=op.f('fk_case_openings_case_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_case_openings_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_openings')),
    sa.UniqueConstraint('case_batch_id', 'case_serial', name=op.f('uq_case_openings_case_batch_id_case_serial'))
    )
    with op.batch_alter_table('case_openings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_openings_brand_id'), ['brand_id'], unique=False)

    op.create_table('guide_sales',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('bottle_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bottle_serial', sa.BigInteger(), nullable=False),
    sa.Column('guide_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bonus_award_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['bottle_batch_id'], ['code_batches.id'], name=op.f('fk_guide_sales_bottle_batch_id_code_batches')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_guide_sales_brand_id_brands')),
    sa.ForeignKeyConstraint(['guide_id'], ['field_accounts.id'], name=op.f('fk_guide_sales_guide_id_field_accounts')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_guide_sales_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guide_sales')),
    sa.UniqueConstraint('bottle_batch_id', 'bottle_serial', name=op.f('uq_guide_sales_bottle_batch_id_bottle_serial'))
    )
    with op.batch_alter_table('guide_sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guide_sales_brand_id'), ['brand_id'], unique=False)

    op.create_table('redemptions',
    sa.Column('voucher_id', sa.String(length=32), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_reward_award_id', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['field_accounts.id'], name=op.f('fk_redemptions_account_id_field_accounts')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_redemptions_brand_id_brands')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_redemptions_store_id_stores')),
    sa.PrimaryKeyConstraint('voucher_id', name=op.f('pk_redemptions'))
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemptions_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemptions_store_id'), ['store_id'], unique=False)

    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('store_reward', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('guide_bonus_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('open_case_reward_fen', sa.BigInteger(), nullable=False, server_default='0'))

    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('salesperson_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_stores_salesperson_id_field_accounts'), 'field_accounts', ['salesperson_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stores_salesperson_id_field_accounts'), type_='foreignkey')
        batch_op.drop_column('salesperson_id')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('open_case_reward_fen')
        batch_op.drop_column('guide_bonus_fen')
        batch_op.drop_column('store_reward')

    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_column('details')

    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemptions_store_id'))
        batch_op.drop_index(batch_op.f('ix_redemptions_brand_id'))

    op.drop_table('redemptions')
    with op.batch_alter_table('guide_sales', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guide_sales_brand_id'))

    op.drop_table('guide_sales')
    with op.batch_alter_table('case_openings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_openings_brand_id'))

    op.drop_table('case_openings')
    with op.batch_alter_table('invite_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invite_codes_brand_id'))

    op.drop_table('invite_codes')
    with op.batch_alter_table('field_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_accounts_brand_id'))

    op.drop_table('field_accounts')
