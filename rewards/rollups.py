"""What a recorded scan adds to the dashboard's rollups (ScanDay, ScanPlaceDay, ScanMinute), and
rebuilding them from `scans` (after a migration, or to check them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from infra import tallies
from infra.settings import get_settings
from rewards.models import ScanDay, ScanMinute, ScanPlaceDay, ScanRecord
from risk.regions import city_of

STOPPED = frozenset({"blocked", "challenge"})  # risk refused the scan before the draw
# A field scan that went through, by what it did.
FIELD_DONE = {
    "store_redeem": "redemptions",
    "store_open_case": "case_openings",
    "guide_sale": "guide_sales",
}


@lru_cache
def report_zone() -> ZoneInfo:
    """Days are counted in the brand's market's time (China has one zone, without DST)."""
    return ZoneInfo(get_settings().report_timezone)


def counts(scan: dict[str, Any]) -> dict[str, float]:
    """What one scan adds to each of the counts (rewards.models._ScanCounts)."""
    role: str = scan["role"]
    outcome: str = scan["outcome"]
    won = outcome == "won"
    held = won and bool(scan.get("held"))
    amount = scan["amount_fen"] if won else 0
    out: dict[str, float] = {"scans": 1}
    if role == "consumer":
        out.update(
            claims=won or outcome == "thanks",
            wins=won,
            awarded_fen=amount,
            stopped=outcome in STOPPED,
            held=held,
            held_fen=amount if held else 0,
            already_claimed=outcome == "already_claimed",
        )
    elif outcome == "ok" and role in FIELD_DONE:
        out[FIELD_DONE[role]] = 1
    return out


def count(session: Session, scan: dict[str, Any]) -> None:
    """Add one scan (a `scans` row as a dict) to the rollups, at this session's commit."""
    at: datetime = scan["at"]
    brand_id, campaign_id = scan["brand_id"], scan.get("campaign_id") or 0
    day = at.astimezone(report_zone()).date()
    add = counts(scan)
    product_id = scan.get("product_id") or 0
    tallies.add(session, ScanDay, _key(brand_id, day, campaign_id, product_id=product_id), **add)
    minute = at.replace(second=0, microsecond=0)
    key = {"brand_id": brand_id, "minute": minute, "campaign_id": campaign_id}
    tallies.add(session, ScanMinute, key, **add)
    lat, lon = scan.get("latitude"), scan.get("longitude")
    if lat is not None and lon is not None:
        add.update(located=1, lat_sum=float(lat), lon_sum=float(lon))
    region = city_of(scan.get("region_code") or "")
    tallies.add(session, ScanPlaceDay, _key(brand_id, day, campaign_id, region_code=region), **add)


def _key(brand_id: int, day: date, campaign_id: int, **more: Any) -> dict[str, Any]:
    return {"brand_id": brand_id, "day": day, "campaign_id": campaign_id, **more}


_COLUMNS = (
    "brand_id",
    "at",
    "role",
    "outcome",
    "amount_fen",
    "held",
    "latitude",
    "longitude",
    "campaign_id",
    "product_id",
    "region_code",
)


def rebuild(
    session: Session, brand_id: int, *, progress: Callable[[int], None] | None = None
) -> int:
    """Recompute a brand's rollups from its scans, in the caller's transaction; returns the
    scans counted. `progress` is called with each chunk's size."""
    for table in (ScanDay, ScanPlaceDay, ScanMinute):
        session.execute(delete(table).where(table.brand_id == brand_id))
    columns = [getattr(ScanRecord, name) for name in _COLUMNS]
    rows = session.execute(
        select(*columns).where(ScanRecord.brand_id == brand_id).execution_options(yield_per=20_000)
    )
    counted = 0
    for chunk in rows.partitions():
        for row in chunk:
            count(session, dict(zip(_COLUMNS, row, strict=True)))
        counted += len(chunk)
        if progress is not None:
            progress(len(chunk))
    tallies.flush(session)
    return counted
