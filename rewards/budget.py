"""Spending campaign budget outside the consumer's claim: store rewards and guide bonuses.

The same counters as the claim script, checked and spent in one script, so these rewards and
consumer prizes together never exceed the budget. If the database write that follows fails,
the money stays counted as spent: the budget can be under-used, never overspent.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from infra.redis import get_redis, run_script
from rewards.claims import DAY_KEY_TTL, campaign_day, spent_key
from rewards.models import Campaign

_SCRIPT = (Path(__file__).parent / "spend.lua").read_text()


def spend(campaign: Campaign, amount_fen: int, *, now: datetime) -> bool:
    """Spend if the budget allows; False if it does not (nothing is spent then)."""
    day = campaign_day(now, ZoneInfo(campaign.timezone))
    b, c = campaign.brand_id, campaign.id
    keys = [spent_key(b, c), spent_key(b, c, day=day)]
    daily = -1 if campaign.daily_budget_fen is None else campaign.daily_budget_fen
    args = [amount_fen, campaign.total_budget_fen, daily, DAY_KEY_TTL]
    return bool(run_script(get_redis(), _SCRIPT, keys, args))
