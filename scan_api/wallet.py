"""GET /v1/consumer/wallet: what a consumer has won in cash, what reached them, what is on
its way."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from brands import service as brands
from brands.errors import BrandNotFound
from infra.web import SessionDep, error_responses
from payouts import ledger, owing
from payouts.models import Payout

router = APIRouter(tags=["scan"])


class PayoutOut(BaseModel):
    amount_fen: int = Field(description="The red packet, in fen (several small prizes' worth).")
    state: str = Field(
        description="pending, sending, accepted, processing, wait_user_confirm (open WeChat "
        "to accept it), success, failed or cancelled."
    )
    created_at: datetime = Field(description="When it was won (UTC).")
    paid_at: datetime | None = Field(None, description="When it reached the consumer.")


class WalletOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "owed_fen": 318,
                    "waiting_fen": 30,
                    "paid_fen": 188,
                    "payouts": [
                        {
                            "amount_fen": 288,
                            "state": "processing",
                            "created_at": "2026-11-23T04:05:00Z",
                            "paid_at": None,
                        },
                        {
                            "amount_fen": 188,
                            "state": "success",
                            "created_at": "2026-11-23T04:00:00Z",
                            "paid_at": "2026-11-23T04:00:02Z",
                        },
                    ],
                }
            ]
        }
    )

    owed_fen: int = Field(description="Won and not yet paid, in fen (held prizes included).")
    waiting_fen: int = Field(
        description="Part of `owed_fen`: small prizes waiting until together they reach the "
        "campaign's payout minimum; they then go out as one red packet."
    )
    paid_fen: int = Field(description="Paid out to the consumer's WeChat balance, in fen.")
    payouts: list[PayoutOut] = Field(description="The latest 50 payouts, newest first.")


@router.get("/v1/consumer/wallet", responses=error_responses(BrandNotFound))
def wallet(
    session: SessionDep,
    brand: str = Query(max_length=40, description="The brand's slug.", examples=["demo-beer"]),
    openid: str = Query(min_length=1, max_length=64, description="The consumer's openid."),
) -> WalletOut:
    """The consumer's red packets with one brand: owed, paid, and each payout's state."""
    b = brands.get_brand(session, brand)
    account = ledger.consumer(openid)
    rows = session.scalars(
        select(Payout)
        .where(Payout.brand_id == b.id, Payout.account == account)
        .order_by(Payout.created_at.desc())
        .limit(50)
    )
    return WalletOut(
        owed_fen=ledger.balance(session, b.id, account),
        waiting_fen=owing.waiting_fen(session, b.id, account),
        paid_fen=ledger.paid(session, b.id, account),
        payouts=[
            PayoutOut(
                amount_fen=p.amount_fen, state=p.state, created_at=p.created_at, paid_at=p.paid_at
            )
            for p in rows
        ],
    )
