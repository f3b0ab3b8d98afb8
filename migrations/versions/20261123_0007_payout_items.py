"""payout items (several small awards in one payout), the campaign's payout minimum, and since
when a payout has had no answer

Revision ID: b3abc1a6a0f7
Revises: 4888c3ac13d6
Create Date: 2026-11-23 12:35:04.044697
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3abc1a6a0f7"
down_revision: str | None = "4888c3ac13d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payout_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_fen", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_payout_items_brand_id_brands")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"], ["payouts.id"], name=op.f("fk_payout_items_payout_id_payouts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_items")),
    )
    op.create_index(
        "ix_payout_items_payout",
        "payout_items",
        ["payout_id", "brand_id", "account", "campaign_id"],
        unique=False,
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payout_min_fen", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unknown_since", sa.DateTime(timezone=True), nullable=True))
    _items_for_existing_payouts()


def _items_for_existing_payouts() -> None:
    """Until now every payout carried one award, its id derived from `award/<award id>`
    (payouts.service.payout_id_for); give each its item, so that no award is paid again."""
    bind = op.get_bind()
    payouts = {
        row.id: row
        for row in bind.execute(sa.text("SELECT id, openid FROM payouts"))
    }
    if not payouts:
        return
    awards = bind.execute(
        sa.text(
            "SELECT award_id, brand_id, account, amount_fen, campaign_id, region_code, at "
            "FROM ledger_entries WHERE kind = 'award' AND award_id IS NOT NULL"
        )
    )
    rows = []
    for a in awards:
        payout_id = uuid.uuid5(uuid.NAMESPACE_URL, f"onecode-payout/award/{a.award_id}").hex
        if payout_id in payouts:
            rows.append(
                {
                    "id": a.award_id,
                    "brand_id": a.brand_id,
                    "account": a.account,
                    "openid": payouts[payout_id].openid,
                    "amount_fen": a.amount_fen,
                    "campaign_id": a.campaign_id,
                    "region_code": a.region_code,
                    "at": a.at,
                    "min_fen": 0,
                    "payout_id": payout_id,
                }
            )
    if rows:
        bind.execute(
            sa.text(
                "INSERT INTO payout_items (id, brand_id, account, openid, amount_fen, "
                "campaign_id, region_code, at, min_fen, payout_id) VALUES (:id, :brand_id, "
                ":account, :openid, :amount_fen, :campaign_id, :region_code, :at, :min_fen, "
                ":payout_id)"
            ),
            rows,
        )


def downgrade() -> None:
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_column("unknown_since")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("payout_min_fen")
    op.drop_index("ix_payout_items_payout", table_name="payout_items")
    op.drop_table("payout_items")
