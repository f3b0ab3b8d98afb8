"""The claim: one Lua script call that claims a code and draws its prize (rewards/claim.lua).

Redis runs a script alone, so two scans of one code cannot both claim it, and two draws cannot
both spend the last fen of a budget. The script also appends the outcome to the brand's event
stream in the same step: with Redis persistence on (docs/scan-path.md), a prize the API
announces is on disk before the answer leaves.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import redis

from infra.redis import brand_key, config_version_key, run_script
from rewards.prizes import Tier

_SCRIPT = (Path(__file__).parent / "claim.lua").read_text()
DAY_KEY_TTL = 3 * 86_400  # daily counters outlive their day by enough to be read in reports
# A consumer's wins in a campaign are kept this long after their last win, not for good: one
# counter an account and campaign would otherwise outlive every campaign (seen in the soak).
# The awards table keeps every win; only a limit on wins over a campaign longer than this
# could forget a consumer silent for that long.
WINS_KEY_TTL = 400 * 86_400


def campaign_day(now: datetime, tz: ZoneInfo) -> str:
    """The campaign's calendar day: daily budgets and limits reset at its local midnight."""
    return now.astimezone(tz).strftime("%Y%m%d")


def spent_key(
    brand_id: int, campaign_id: int, *, region: str | None = None, day: str | None = None
) -> str:
    """The one name of each budget counter, for the claim script and every other spender."""
    parts: list[str | int] = ["spent", campaign_id]
    if region is not None:
        parts += ["region", region or "-"]
    if day is not None:
        parts += ["day", day]
    return brand_key(brand_id, *parts)


def events_key(brand_id: int) -> str:
    return brand_key(brand_id, "events")


def voucher_key(brand_id: int, voucher_id: str) -> str:
    """A won voucher's terms: `campaign|region|held|won-at ms|terms JSON`, until it expires."""
    return brand_key(brand_id, "voucher", voucher_id)


@dataclass(frozen=True)
class ClaimRequest:
    brand_id: int
    batch_id: int
    offset: int  # serial - batch.first_serial
    version: str
    campaign_id: int
    region_code: str  # the campaign region whose budgets apply ("" for none)
    day: str  # the campaign's local calendar day, YYYYMMDD
    openid: str
    draw: Draw
    total_budget_fen: int | None
    daily_budget_fen: int | None
    region_total_fen: int | None
    region_daily_fen: int | None
    wins_per_day: int | None
    wins_total: int | None
    now_ms: int
    scan_json: str  # the scan record, written behind by the recorder
    scan_id: str
    held: bool = False  # risk said hold: a voucher won now waits for review


@dataclass(frozen=True)
class ClaimResult:
    status: str  # won | thanks | claimed | limit | stale
    tier: str = ""
    # For "claimed": who claimed it first, what they got, when, and that scan's id.
    first_openid: str = ""
    first_at_ms: int = 0
    first_scan_id: str = ""
    first_held: bool = False


def _limit(value: int | None) -> int:
    return -1 if value is None else value


@dataclass(frozen=True)
class Draw:
    """A prize table as the claim script takes it: the tiers, their JSON argument and their
    counters' keys, prepared once (the snapshot holds one per campaign and region rule), since
    encoding them for every scan was the largest Python cost of a claim."""

    tiers: tuple[Tier, ...]
    arg: str
    counters: tuple[str, ...]


def draw(brand_id: int, campaign_id: int, tiers: tuple[Tier, ...]) -> Draw:
    arg = json.dumps(
        [
            {
                "key": t.key,
                "cost": t.cost_fen,
                "p": t.probability,
                "max": _limit(t.max_count),
                "kind": t.kind,
                "points": t.points,
                "extra": t.voucher.model_dump_json() if t.voucher else "",
            }
            for t in tiers
        ]
    )
    counters = tuple(brand_key(brand_id, "tier", campaign_id, t.key) for t in tiers)
    return Draw(tiers, arg, counters)


def _claimed(record: str) -> ClaimResult:
    """A code's claim record: `openid|tier|at ms|scan id|held`. An openid may hold "|", so it
    is read from the right; records written before `held` existed end at the scan id."""
    held = record[-2:] in ("|0", "|1")
    body = record[:-2] if held else record
    openid, tier, at, scan_id = body.rsplit("|", 3)
    return ClaimResult("claimed", tier, openid, int(at), scan_id, held and record[-1] == "1")


@lru_cache(maxsize=4096)
def _fixed_keys(b: int, c: int, batch_id: int, region: str, day: str) -> tuple[str, ...]:
    """The keys a claim names that do not depend on the consumer: built once per batch,
    region and day rather than for every scan (they were a tenth of a claim's CPU)."""
    return (
        config_version_key(b),
        brand_key(b, "claims", batch_id),
        spent_key(b, c),
        spent_key(b, c, day=day),
        spent_key(b, c, region=region),
        spent_key(b, c, region=region, day=day),
    )


def wins_key(brand_id: int, campaign_id: int, openid: str) -> str:
    """The consumer's wins in the campaign (the claim script counts them; risk reads them)."""
    return brand_key(brand_id, "wins", campaign_id, openid)


def claim(client: redis.Redis, req: ClaimRequest) -> ClaimResult:
    b, c = req.brand_id, req.campaign_id
    keys = [
        *_fixed_keys(b, c, req.batch_id, req.region_code, req.day),
        brand_key(b, "wins", c, req.openid, "day", req.day),
        wins_key(b, c, req.openid),
        events_key(b),
        *req.draw.counters,
        voucher_key(b, req.scan_id),
    ]
    args: list[str | int | float] = [
        req.version,
        req.offset,
        req.openid,
        secrets.randbelow(1 << 52) / (1 << 52),  # uniform in [0, 1)
        req.now_ms,
        _limit(req.total_budget_fen),
        _limit(req.daily_budget_fen),
        _limit(req.region_total_fen),
        _limit(req.region_daily_fen),
        _limit(req.wins_per_day),
        _limit(req.wins_total),
        DAY_KEY_TTL,
        req.scan_json,
        req.draw.arg,
        req.scan_id,
        f"{c}|{req.region_code}|{int(req.held)}",  # a voucher's campaign, region, held
        int(req.held),  # kept in the claim record, for repeat answers
        WINS_KEY_TTL,
    ]
    reply: list[bytes] = run_script(client, _SCRIPT, keys, args)
    status = reply[0].decode()
    if status == "claimed":
        return _claimed(reply[1].decode())
    return ClaimResult(status, reply[1].decode() if len(reply) > 1 else "")
