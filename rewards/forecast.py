"""What a campaign will cost: expected prize money per 10,000 claimed scans, and when its budget
runs out at the rate it is being scanned now. The console shows it beside a prize table being
tuned, before the change is published.

Expected cost is exact for probability tiers; a tier with `max_count` counts as if it never ran
out, so the forecast errs towards spending sooner. The rate is the campaign's claimed scans over
the last day (or since it started, if later), from the minute rollup the recorder keeps, so it
lags the live counters by about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rewards.models import Campaign, ScanMinute
from rewards.prizes import PrizeTable

WINDOW = timedelta(days=1)
HORIZON = timedelta(days=3650)  # beyond it, "runs out" means nothing (and datetime overflows)


@dataclass(frozen=True)
class Forecast:
    cost_per_10k_scans_fen: int
    awards_per_10k_scans: int
    claims_per_hour: float
    spent_fen: int
    budget_fen: int
    runs_out_at: datetime | None  # None: no scans lately, no cost, or beyond ten years


def expected_cost_fen(table: PrizeTable) -> float:
    """Prize money (cash, or a voucher's store subsidy) one claimed scan costs on average."""
    return sum(t.probability * t.cost_fen for t in table.tiers)


def claims_per_hour(session: Session, campaign: Campaign, now: datetime) -> float:
    since = now - WINDOW
    if campaign.starts_at is not None and campaign.starts_at > since:
        since = campaign.starts_at
    hours = max((now - since).total_seconds() / 3600, 1 / 60)
    n = session.scalar(  # from the minute rollup: a day is 1,440 rows, however busy
        select(func.sum(ScanMinute.claims)).where(
            ScanMinute.brand_id == campaign.brand_id,
            ScanMinute.minute >= since.replace(second=0, microsecond=0),
            ScanMinute.campaign_id == campaign.id,
        )
    )
    return int(n or 0) / hours  # PostgreSQL sums integers as numeric (Decimal)


def forecast(
    *,
    table: PrizeTable,
    budget_fen: int,
    spent_fen: int,
    rate_per_hour: float,
    now: datetime,
) -> Forecast:
    per_scan = expected_cost_fen(table)
    per_hour = per_scan * rate_per_hour
    left = max(0, budget_fen - spent_fen)
    runs_out = None
    if per_hour > 0 and left / per_hour < HORIZON.total_seconds() / 3600:
        runs_out = now + timedelta(hours=left / per_hour)
    return Forecast(
        cost_per_10k_scans_fen=round(per_scan * 10_000),
        awards_per_10k_scans=round(sum(t.probability for t in table.tiers) * 10_000),
        claims_per_hour=round(rate_per_hour, 2),
        spent_fen=spent_fen,
        budget_fen=budget_fen,
        runs_out_at=runs_out,
    )
