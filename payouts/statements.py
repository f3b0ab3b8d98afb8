"""Statements from the ledger: what a campaign owed and paid, by region and day; what the
brand owes each store (voucher subsidies, restock coupons); CSV for every one of them.

Every figure is a sum over ledger entries, so a statement can always be traced back to the
awards and payouts behind it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from payouts.models import LedgerEntry


@dataclass(frozen=True)
class CampaignLine:
    day: date
    region_code: str
    awarded_fen: int  # cash, subsidies and coupons owed because of the campaign
    paid_fen: int  # cash that reached its beneficiaries
    voided_fen: int
    entries: int


@dataclass(frozen=True)
class AccountLine:
    account: str  # store:<id>, consumer:<openid>, …
    subsidy_fen: int
    coupon_fen: int
    cash_owed_fen: int
    paid_fen: int
    balance_fen: int  # still owed


def _utc_day(session: Session) -> Any:
    """The entry's calendar day in UTC, as text, in the database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", LedgerEntry.at), "YYYY-MM-DD")
    return func.substr(LedgerEntry.at, 1, 10)  # SQLite keeps UTC ISO text


def campaign_statement(session: Session, brand_id: int, campaign_id: int) -> list[CampaignLine]:
    """Per day (UTC) and region: owed, paid and voided, for one campaign."""
    e = LedgerEntry
    day = _utc_day(session)
    owed = func.sum(case((e.kind.in_(("award", "subsidy", "coupon")), e.amount_fen), else_=0))
    paid = func.sum(case((e.kind == "payout", -e.amount_fen), else_=0))
    voided = func.sum(case((e.kind == "void", -e.amount_fen), else_=0))
    rows = session.execute(
        select(day, e.region_code, owed, paid, voided, func.count())
        .where(e.brand_id == brand_id, e.campaign_id == campaign_id)
        .group_by(day, e.region_code)
        .order_by(day, e.region_code)
    )
    return [
        CampaignLine(date.fromisoformat(d), region, int(o or 0), int(p or 0), int(v or 0), n)
        for d, region, o, p, v, n in rows
    ]


def account_statement(session: Session, brand_id: int, prefix: str = "store:") -> list[AccountLine]:
    """What the brand owes each account whose name starts with `prefix` (stores by default)."""
    e = LedgerEntry

    def total(*kinds: str) -> Any:
        return func.sum(case((e.kind.in_(kinds), e.amount_fen), else_=0))

    rows = session.execute(
        select(
            e.account,
            total("subsidy"),
            total("coupon"),
            total("award"),
            total("payout"),
            func.sum(e.amount_fen),
        )
        .where(e.brand_id == brand_id, e.account.startswith(prefix))
        .group_by(e.account)
        .order_by(e.account)
    )
    return [
        AccountLine(account, int(s or 0), int(c or 0), int(a or 0), -int(p or 0), int(b or 0))
        for account, s, c, a, p, b in rows
    ]


def to_csv(lines: Iterable[CampaignLine | AccountLine], kind: type) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(kind)])
    writer.writeheader()
    for line in lines:
        writer.writerow(asdict(line))
    return out.getvalue()
