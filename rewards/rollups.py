"""What a recorded scan adds to the dashboard's rollups (ScanDay, ScanMinute), and rebuilding
them from `scans` (after a migration, or to check them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from infra import tallies
from infra.settings import get_settings
from rewards.models import ScanDay, ScanMinute, ScanRecord

STOPPED = frozenset({"blocked", "challenge"})  # risk refused the scan before the draw


@lru_cache
def report_zone() -> ZoneInfo:
    """Days are counted in the brand's market's time (China has one zone, without DST)."""
    return ZoneInfo(get_settings().report_timezone)


def count(session: Session, scan: dict[str, Any]) -> None:
    """Add one scan (a `scans` row as a dict) to the rollups, at this session's commit."""
    at: datetime = scan["at"]
    outcome: str = scan["outcome"]
    won = outcome == "won"
    amount = scan["amount_fen"] if won else 0
    held = bool(scan.get("held")) and won
    lat, lon = scan.get("latitude"), scan.get("longitude")
    located = lat is not None and lon is not None
    campaign_id = scan.get("campaign_id") or 0
    tallies.add(
        session,
        ScanDay,
        {
            "brand_id": scan["brand_id"],
            "day": at.astimezone(report_zone()).date(),
            "campaign_id": campaign_id,
            "product_id": scan.get("product_id") or 0,
            "region_code": scan.get("region_code") or "",
            "role": scan["role"],
            "outcome": outcome,
        },
        scans=1,
        amount_fen=amount,
        held=held,
        held_fen=amount if held else 0,
        located=located,
        lat_sum=float(lat or 0.0),
        lon_sum=float(lon or 0.0),
    )
    tallies.add(
        session,
        ScanMinute,
        {
            "brand_id": scan["brand_id"],
            "minute": at.replace(second=0, microsecond=0),
            "campaign_id": campaign_id,
        },
        scans=1,
        claims=won or outcome == "thanks",
        wins=won,
        amount_fen=amount,
        stopped=outcome in STOPPED or held,
    )


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
    session.execute(delete(ScanDay).where(ScanDay.brand_id == brand_id))
    session.execute(delete(ScanMinute).where(ScanMinute.brand_id == brand_id))
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
