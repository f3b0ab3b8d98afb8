"""The ledger and the payouts that settle it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from brands import models as _brands  # noqa: F401  (registers `brands`, the tenant every row names)
from infra.db import Base, UTCDateTime, utcnow


class LedgerEntry(Base):
    """One movement of money owed, in fen. Append-only: a correction is another entry.

    `amount_fen` is what the brand owes `account` because of this entry: an award adds, a
    payout or a void subtracts, so an account's balance is the sum of its entries. The id is
    derived from what caused the entry, so posting the same thing twice writes it once.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_brand_account", "brand_id", "account"),
        Index("ix_ledger_brand_campaign_at", "brand_id", "campaign_id", "at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # award (cash owed), subsidy (voucher subsidy owed to a store), coupon (restock coupon a
    # dealer honoured, reimbursed by the brand), payout (cash sent), void (award cancelled).
    kind: Mapped[str] = mapped_column(String(16))
    # Who is owed: consumer:<openid>, guide:<openid>, store:<id>, dealer:<id>.
    account: Mapped[str] = mapped_column(String(100))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(32), default="")
    award_id: Mapped[str | None] = mapped_column(String(32), index=True)
    scan_id: Mapped[str | None] = mapped_column(String(32))
    payout_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # Posted while risk asked for review: owed, but paid only after staff release it.
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    memo: Mapped[str] = mapped_column(String(200), default="")


class Payout(Base):
    """Cash on its way to one WeChat user: one transfer of `amount_fen`, one award's worth or
    several small ones' (its PayoutItems). Its state follows the provider's bill; every change
    is a PayoutEvent."""

    __tablename__ = "payouts"
    __table_args__ = (Index("ix_payouts_state_due", "state", "due_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    account: Mapped[str] = mapped_column(String(100))
    openid: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(32), default="")
    # pending -> sending -> accepted/processing/wait_user_confirm -> success | failed | cancelled
    state: Mapped[str] = mapped_column(String(20), default="pending")
    bill_no: Mapped[str] = mapped_column(String(32), unique=True)  # the current bill number
    bills: Mapped[int] = mapped_column(Integer, default=1)  # numbers used: 1 + explicit failures
    tries: Mapped[int] = mapped_column(Integer, default=0)  # sends and queries, for back-off
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # next look
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a worker has it
    # Since when every call about it ended in an unknown outcome (no answer, a 5xx).
    unknown_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PayoutItem(Base):
    """A cash award and the payout that carries it. The primary key is the award's id, so no
    award can ride in two payouts, whatever races above it. `payout_id` is empty while a small
    award waits for others to reach the payout minimum with it; it is set once, when they go.
    """

    __tablename__ = "payout_items"
    # Serves both "the items of payout P" and "the waiting items (payout_id IS NULL)".
    __table_args__ = (
        Index("ix_payout_items_payout", "payout_id", "brand_id", "account", "campaign_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the award's id
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    account: Mapped[str] = mapped_column(String(100))
    openid: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(32), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The campaign's payout minimum when this was won: waiting items go once they reach it.
    min_fen: Mapped[int] = mapped_column(Integer, default=0)
    payout_id: Mapped[str | None] = mapped_column(ForeignKey("payouts.id"))


class PayoutEvent(Base):
    """Every state a payout went through, with the bill number it concerned: the trace."""

    __tablename__ = "payout_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    payout_id: Mapped[str] = mapped_column(ForeignKey("payouts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    bill_no: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(300), default="")


class PayoutTally(Base):
    """Payouts and their money by campaign and state, moved with every state change
    (infra/tallies.py): the dashboard's paid / pending / failed without counting `payouts`."""

    __tablename__ = "payout_tallies"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: none
    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    payouts: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
