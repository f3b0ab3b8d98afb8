"""Campaign configuration and what scans leave behind: scan records and awards."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from infra.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("brand_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # draft -> active <-> paused; a campaign runs while active and inside its window.
    status: Mapped[str] = mapped_column(String(16), default="draft")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    total_budget_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    daily_budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    wins_per_consumer_per_day: Mapped[int | None] = mapped_column(Integer)
    wins_per_consumer: Mapped[int | None] = mapped_column(Integer)
    prize_table: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda: {"tiers": []})
    # Region codes the campaign runs in (with their sub-regions); empty means everywhere.
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Double rewards (一码双奖): what a store gets per redeemed voucher, and a guide per sale.
    store_reward: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    guide_bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    open_case_reward_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 开箱有礼
    # Cash prizes under this wait until together they reach it, then go as one transfer.
    payout_min_fen: Mapped[int] = mapped_column(Integer, default=0)
    risk_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # risk.Policy; None: default
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CampaignRegion(Base):
    """一地一策: a region's own budgets and, optionally, its own prize table."""

    __tablename__ = "campaign_regions"
    __table_args__ = (UniqueConstraint("campaign_id", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    region_code: Mapped[str] = mapped_column(String(32))
    total_budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    daily_budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    prize_table: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CampaignChange(Base):
    """Who changed a campaign, when, from what to what."""

    __tablename__ = "campaign_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class ScanRecord(Base):
    """Every scan, with its signals and outcome; written behind the hot path."""

    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_brand_at", "brand_id", "at"),
        Index("ix_scans_brand_code", "brand_id", "code"),  # a code's scans, for its lookup
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # assigned on the hot path
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    role: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(40))
    batch_id: Mapped[int | None] = mapped_column(BigInteger)
    serial: Mapped[int | None] = mapped_column(BigInteger)
    openid: Mapped[str] = mapped_column(String(64), default="")
    device_id: Mapped[str] = mapped_column(String(128), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    region_code: Mapped[str] = mapped_column(String(32), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(32), default="")
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Won, then held for review.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The risk decision and the features it was made on (risk.Decision.record): training data.
    risk: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Award(Base):
    """A prize the API announced. Append-only; payouts (issue 4) settle it.

    A consumer's prize names the cap it was won with, and the pair is unique: even if Redis
    forgot a claim (a crash inside its fsync window), the ledger cannot pay one code twice.
    """

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("code_batch_id", "code_serial"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the scan id that won it
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    campaign_id: Mapped[int] = mapped_column(Integer, index=True)
    region_code: Mapped[str] = mapped_column(String(32), default="")
    beneficiary: Mapped[str] = mapped_column(String(64))  # consumer openid
    tier: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    code_batch_id: Mapped[int | None] = mapped_column(BigInteger)
    code_serial: Mapped[int | None] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # cash, or voucher subsidy
    points: Mapped[int] = mapped_column(Integer, default=0)
    # A voucher's terms (product, pay, subsidy, valid days), as they were when it was won.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")


class Redemption(Base):
    """An exchange voucher redeemed at a store (核销). One row per voucher, ever: the voucher id
    (the id of the scan that won it, and of its award) is the key."""

    __tablename__ = "redemptions"

    voucher_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("field_accounts.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    store_reward_award_id: Mapped[str | None] = mapped_column(String(40))


class GuideSale(Base):
    """A shopping guide scanned a bottle's outer code at the sale (一码双奖: the guide is paid
    when a consumer claims that bottle's cap). The first guide to scan a bottle keeps it."""

    __tablename__ = "guide_sales"
    __table_args__ = (UniqueConstraint("bottle_batch_id", "bottle_serial"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    bottle_batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    bottle_serial: Mapped[int] = mapped_column(BigInteger)
    guide_id: Mapped[int] = mapped_column(ForeignKey("field_accounts.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    bonus_award_id: Mapped[str | None] = mapped_column(String(32))


class CaseOpening(Base):
    """A store opened a case and put it on the shelf (开箱, 终端动销): once per case."""

    __tablename__ = "case_openings"
    __table_args__ = (UniqueConstraint("case_batch_id", "case_serial"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    case_batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    case_serial: Mapped[int] = mapped_column(BigInteger)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reward_award_id: Mapped[str | None] = mapped_column(String(32))


class _ScanCounts:
    """What the dashboard counts of scans, in every rollup of them."""

    scans: Mapped[int] = mapped_column(BigInteger, default=0)
    claims: Mapped[int] = mapped_column(BigInteger, default=0)  # consumer scans that drew
    wins: Mapped[int] = mapped_column(BigInteger, default=0)
    awarded_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # prize money won
    stopped: Mapped[int] = mapped_column(BigInteger, default=0)  # blocked or challenged by risk
    held: Mapped[int] = mapped_column(BigInteger, default=0)  # won, held for review
    held_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    already_claimed: Mapped[int] = mapped_column(BigInteger, default=0)  # someone else's cap
    redemptions: Mapped[int] = mapped_column(BigInteger, default=0)
    case_openings: Mapped[int] = mapped_column(BigInteger, default=0)
    guide_sales: Mapped[int] = mapped_column(BigInteger, default=0)


class ScanDay(_ScanCounts, Base):
    """Scans of a day (market time) by campaign and product: the dashboard's totals and its
    breakdowns by day, campaign and product. Kept by the recorder in the transaction that
    writes the scans (infra/tallies.py); `onecode reports rebuild` recounts it from `scans`."""

    __tablename__ = "scan_days"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: none
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: unknown


class ScanPlaceDay(_ScanCounts, Base):
    """Scans of a day by campaign and city (a scanned district counts in its city, so that a
    month of a national campaign is tens of thousands of rows, not millions): the map and the
    breakdowns by region and province. Kept like ScanDay."""

    __tablename__ = "scan_place_days"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(32), primary_key=True)  # "": none
    # Scans with a position, and their coordinates summed: the place's centre on the map.
    located: Mapped[int] = mapped_column(BigInteger, default=0)
    lat_sum: Mapped[float] = mapped_column(Float, default=0.0)
    lon_sum: Mapped[float] = mapped_column(Float, default=0.0)


class ScanMinute(_ScanCounts, Base):
    """Scans a minute by campaign: the dashboard's live line. Kept like ScanDay."""

    __tablename__ = "scan_minutes"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: none
