"""Writing scans and awards behind the hot path: from each brand's Redis event stream into the
`scans` and `awards` tables.

Read through a consumer group, so several processes can drain one stream; an entry is acked and
deleted only after its rows are committed, and entries a crashed drainer left pending are
claimed again after `reclaim_ms`. Rows are keyed by scan id, so a retried entry is skipped,
never written twice.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from brands.models import Brand
from infra.db import insert_new, insert_rows, session_scope
from infra.errors import OnecodeError
from infra.logging import get_logger
from infra.redis import get_redis
from rewards import guides, partitions, payables, rollups
from rewards.claims import events_key
from rewards.models import Award, Campaign, ScanRecord

log = get_logger(__name__)
GROUP = "recorder"
CONSUMER = f"{socket.gethostname()}-{os.getpid()}"
PARTITIONS_EVERY_S = 3600  # the scan table's coming months are made at start and hourly


def _ensure_group(client: redis.Redis, key: str) -> None:
    try:
        client.xgroup_create(key, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def scan_record(
    *,
    scan_id: str,
    at_ms: int,
    role: str,
    code: str,
    openid: str,
    device_id: str = "",
    ip: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    region_code: str = "",
    user_agent: str = "",
) -> dict[str, Any]:
    """A scan as the stream carries it: the one place of the format `_scan_row` reads."""
    return {
        "id": scan_id,
        "at_ms": at_ms,
        "role": role,
        "code": code[:40],
        "openid": openid,
        "device_id": device_id,
        "ip": ip,
        "lat": latitude,
        "lon": longitude,
        "region": region_code,
        "ua": user_agent[:300],
    }


def log_scan(brand_id: int, record: dict[str, Any], outcome: str) -> None:
    """Append a scan that claimed nothing to the brand's stream; the recorder writes it."""
    get_redis().xadd(events_key(brand_id), {"scan": json.dumps(record), "outcome": outcome})


@contextmanager
def logged(brand_id: int, record: dict[str, Any]) -> Iterator[None]:
    """Record a field scan with its outcome: "ok", or the error code it was refused with."""
    try:
        yield
    except OnecodeError as exc:
        log_scan(brand_id, record, exc.code)
        raise
    log_scan(brand_id, record, "ok")


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _record(fields: dict[bytes, bytes]) -> dict[str, Any]:
    """One stream entry: the scan record the API wrote, plus what the claim script added."""
    record: dict[str, Any] = json.loads(fields[b"scan"])
    record["outcome"] = fields[b"outcome"].decode()
    record["tier"] = fields.get(b"tier", b"").decode()
    record["kind"] = fields.get(b"kind", b"").decode()
    record["cost"] = int(fields.get(b"cost", b"0"))
    record["points"] = int(fields.get(b"points", b"0") or 0)
    extra = fields.get(b"extra", b"")
    record["details"] = json.loads(extra) if extra else None
    return record


def _scan_row(brand_id: int, r: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": r["id"],
        "brand_id": brand_id,
        "at": _at(r["at_ms"]),
        "role": r["role"],
        "code": r["code"],
        "batch_id": r.get("batch_id"),
        "serial": r.get("serial"),
        "openid": r.get("openid", ""),
        "device_id": r.get("device_id", ""),
        "ip": r.get("ip", ""),
        "latitude": r.get("lat"),
        "longitude": r.get("lon"),
        "region_code": r.get("region", ""),
        "user_agent": r.get("ua", "")[:300],
        "campaign_id": r.get("campaign_id"),
        "product_id": r.get("product_id"),
        "outcome": r["outcome"],
        "tier": r["tier"],
        "amount_fen": r["cost"] if r["outcome"] == "won" else 0,
        "held": bool(r.get("held")),
        "risk": r.get("risk"),
    }


def _new_awards(
    session: Session, brand_id: int, wins: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Award rows for these wins, but never a second one for a code.

    Redis forgetting a claim (a crash inside its fsync window) could award a code again; the
    ledger refuses it here, and the unique constraint on (batch, serial) refuses it even from
    a recorder racing this one.
    """
    pairs = [(r["batch_id"], r["serial"]) for r in wins]
    taken = set()
    if pairs:
        taken = {
            tuple(row)
            for row in session.execute(
                select(Award.code_batch_id, Award.code_serial).where(
                    Award.brand_id == brand_id,
                    tuple_(Award.code_batch_id, Award.code_serial).in_(pairs),
                )
            )
        }
    rows = []
    for r, pair in zip(wins, pairs, strict=True):
        if pair in taken:
            log.error("second_award_for_code_refused", scan_id=r["id"], code=r["code"])
            continue
        taken.add(pair)
        rows.append(
            {
                "id": r["id"],
                "brand_id": brand_id,
                "at": _at(r["at_ms"]),
                "campaign_id": r["campaign_id"],
                "region_code": r.get("award_region", ""),
                "beneficiary": r["openid"],
                "tier": r["tier"],
                "kind": r["kind"],
                "amount_fen": r["cost"],
                "points": r["points"],
                "details": r["details"],
                "code_batch_id": r["batch_id"],
                "code_serial": r["serial"],
                "status": "held" if r.get("held") else "pending",
            }
        )
    return rows


def drain(brand_id: int, *, count: int = 1000, reclaim_ms: int = 30_000) -> int:
    """Move up to `count` events of one brand into the database; returns how many."""
    client = get_redis()
    key = events_key(brand_id)
    _ensure_group(client, key)
    claimed: list[Any] = client.xautoclaim(key, GROUP, CONSUMER, reclaim_ms, "0-0", count=count)
    entries = list(claimed[1])
    fresh: list[Any] = client.xreadgroup(  # type: ignore[assignment]
        GROUP, CONSUMER, {key: ">"}, count=count
    )
    for _stream, items in fresh or []:
        entries += items
    if not entries:
        return 0
    records = {r["id"]: r for r in map(_record, (fields for _entry_id, fields in entries))}
    with session_scope() as session:
        # Bulk inserts (executemany): a row costs tens of microseconds, not a flush each.
        written = insert_new(
            session, ScanRecord, [_scan_row(brand_id, r) for r in records.values()]
        )
        for row in written:
            rollups.count(session, row)
        fresh = [records[row["id"]] for row in written]
        claims = [r for r in fresh if r["outcome"] in ("won", "thanks")]
        # The claims' campaigns, once a batch: their guide bonus and their payout minimum.
        campaigns = {
            c.id: c
            for c in session.scalars(
                select(Campaign).where(Campaign.id.in_({r["campaign_id"] for r in claims}))
            )
        }
        for r in claims:  # a claimed cap: the guide who sold its bottle earns the bonus
            campaign = campaigns.get(r["campaign_id"])
            if campaign is not None and campaign.guide_bonus_fen > 0:
                guides.bonus_for_claim(
                    session,
                    campaign=campaign,
                    cap_batch_id=r["batch_id"],
                    cap_serial=r["serial"],
                    claim_id=r["id"],
                    at=_at(r["at_ms"]),
                )
        awards = _new_awards(session, brand_id, [r for r in fresh if r["outcome"] == "won"])
        if awards:
            insert_rows(session, Award, awards)
            payables.consumer_cash_won(session, awards, campaigns)
    ids = [entry_id for entry_id, _ in entries]
    client.xack(key, GROUP, *ids)
    client.xdel(key, *ids)
    return len(entries)


def run(stop: threading.Event, *, interval: float = 0.5, gather: float = 0.3) -> None:
    """Drain every brand's stream until `stop` is set; errors are logged and retried.

    After a round that found little, wait `gather` seconds so that the next round writes a
    batch: a transaction's fixed cost (its commit, its queries for rows already written) spread
    over a few rows made the recorder cost more CPU per scan than the scan itself (a batch of
    25 scans cost about twice as much a scan as one of 200). Records and awards land in the
    database within about `gather` seconds; the claim in Redis is what the answer rests on.
    """
    ensured = 0.0
    while not stop.is_set():
        moved = 0
        try:
            if time.monotonic() - ensured > PARTITIONS_EVERY_S:
                with session_scope() as session:
                    if created := partitions.ensure(session):
                        log.info("scan_partitions_created", names=created)
                ensured = time.monotonic()
            with session_scope() as session:
                brand_ids = list(session.scalars(select(Brand.id)))
            for brand_id in brand_ids:
                moved += drain(brand_id)
        except Exception:
            log.exception("recorder_failed")
        if moved == 0:
            stop.wait(interval)
        elif moved < 500:
            stop.wait(gather)
