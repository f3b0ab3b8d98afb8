"""What the consumer scan reads instead of the database: one brand's batches, activations,
voids, regions, running campaigns, packing ranges and served risk model, held in memory per
process.

A snapshot carries the brand's config version; the claim script compares it with Redis in the
same round trip as the claim, and a stale snapshot is reloaded and the scan retried. So a change
takes effect on the next scan, and a scan costs no database read.
"""

from __future__ import annotations

import bisect
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from brands.models import Region
from codegen.models import Activation, CodeBatch, CodeVoid
from codegen.packing import PackIndex, pack_index
from infra.db import get_sessionmaker
from infra.redis import config_version, get_redis
from rewards.claims import Draw, campaign_day, draw
from rewards.models import Campaign, CampaignRegion
from rewards.prizes import PrizeTable, Tier
from risk import registry
from risk.policy import Policy
from risk.registry import Served


@dataclass(frozen=True)
class BatchView:
    id: int
    kind: str
    first_serial: int
    count: int
    # Sorted, non-overlapping [start, end) runs with what they are bound to.
    activations: list[tuple[int, int, int, int | None]] = field(default_factory=list)
    voids: list[tuple[int, int]] = field(default_factory=list)

    def voided(self, serial: int) -> bool:
        i = bisect.bisect_right(self.voids, (serial, float("inf"))) - 1
        return i >= 0 and self.voids[i][0] <= serial < self.voids[i][1]

    def activation(self, serial: int) -> tuple[int, int | None] | None:
        """(product id, campaign id) of an activated serial."""
        i = bisect.bisect_right(self.activations, (serial, float("inf"), 0, 0)) - 1
        if i >= 0 and self.activations[i][0] <= serial < self.activations[i][1]:
            return self.activations[i][2], self.activations[i][3]
        return None


@dataclass(frozen=True)
class RegionRule:
    total_budget_fen: int | None
    daily_budget_fen: int | None
    draw: Draw | None  # the region's own prize table, if it has one


@dataclass(frozen=True)
class CampaignView:
    id: int
    slug: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    tz: ZoneInfo
    total_budget_fen: int
    daily_budget_fen: int | None
    wins_per_consumer_per_day: int | None
    wins_per_consumer: int | None
    draw: Draw
    regions: frozenset[str]
    region_rules: dict[str, RegionRule]
    risk_policy: Policy

    def running(self, now: datetime) -> bool:
        if self.status != "active":
            return False
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )

    def local_day(self, now: datetime) -> str:
        return campaign_day(now, self.tz)


@dataclass(frozen=True)
class Snapshot:
    brand_id: int
    version: str
    batches: dict[str, tuple[list[int], list[BatchView]]]  # key id -> (first serials, batches)
    campaigns: dict[int, CampaignView]
    region_parent: dict[str, str | None]
    # In-order packing only: links (out-of-order packing) can be millions of rows, too many for
    # every API process; a linked cap is then seen in its print neighbour's case, which is
    # almost always its own.
    packs: PackIndex
    risk_model: Served

    def batch(self, key_id: str, serial: int) -> BatchView | None:
        firsts, views = self.batches.get(key_id, ([], []))
        i = bisect.bisect_right(firsts, serial) - 1
        if i >= 0 and serial < views[i].first_serial + views[i].count:
            return views[i]
        return None

    def case_and_pallet(self, batch_id: int, serial: int) -> tuple[str, str]:
        """`<batch id>:<serial>` of the case and the pallet the code is packed in ("": none),
        walking up the packing once."""
        case = self.packs.container(batch_id, serial, "case")
        pallet = self.packs.container(*case, "pallet") if case else None
        return (
            f"{case[0]}:{case[1]}" if case else "",
            f"{pallet[0]}:{pallet[1]}" if pallet else "",
        )

    def lineage(self, region_code: str) -> list[str]:
        """The region and its ancestors, nearest first. Unknown 6-digit administrative codes
        fall back to their city and province by the national code structure."""
        chain: list[str] = []
        code: str | None = region_code
        while code and code not in chain:
            chain.append(code)
            code = self.region_parent.get(code)
        if len(chain) == 1 and len(region_code) == 6 and region_code.isdigit():
            city, province = region_code[:4] + "00", region_code[:2] + "0000"
            chain += [c for c in (city, province) if c not in chain]
        return chain


def _tiers(prize_table: dict[str, Any]) -> tuple[Tier, ...]:
    return tuple(PrizeTable.model_validate(prize_table).tiers)


def load(brand_id: int, *, session: Session | None = None) -> Snapshot:
    """The brand's configuration as the scan path needs it, read in its own session, or in
    `session` (a back-test reads a proposed change there, never committed)."""
    version = config_version(get_redis(), brand_id)
    with nullcontext(session) if session is not None else get_sessionmaker()() as s:
        acts: dict[int, list[tuple[int, int, int, int | None]]] = {}
        for a in s.scalars(select(Activation).where(Activation.brand_id == brand_id)):
            acts.setdefault(a.batch_id, []).append((a.start, a.end, a.product_id, a.campaign_id))
        voids: dict[int, list[tuple[int, int]]] = {}
        for v in s.scalars(select(CodeVoid).where(CodeVoid.brand_id == brand_id)):
            voids.setdefault(v.batch_id, []).append((v.start, v.end))
        by_key: dict[str, list[BatchView]] = {}
        rows = s.scalars(
            select(CodeBatch).where(CodeBatch.brand_id == brand_id).order_by(CodeBatch.first_serial)
        )
        for b in rows:
            by_key.setdefault(b.key_id, []).append(
                BatchView(
                    b.id,
                    b.kind,
                    b.first_serial,
                    b.count,
                    sorted(acts.get(b.id, [])),
                    sorted(voids.get(b.id, [])),
                )
            )
        regions = {r.id: r for r in s.scalars(select(Region).where(Region.brand_id == brand_id))}
        parent = {
            r.code: (regions[r.parent_id].code if r.parent_id in regions else None)
            for r in regions.values()
        }
        rules: dict[int, dict[str, RegionRule]] = {}
        for cr in s.scalars(select(CampaignRegion).where(CampaignRegion.brand_id == brand_id)):
            own = draw(brand_id, cr.campaign_id, _tiers(cr.prize_table)) if cr.prize_table else None
            rules.setdefault(cr.campaign_id, {})[cr.region_code] = RegionRule(
                cr.total_budget_fen, cr.daily_budget_fen, own
            )
        campaigns = {
            c.id: CampaignView(
                c.id,
                c.slug,
                c.status,
                c.starts_at,
                c.ends_at,
                ZoneInfo(c.timezone),
                c.total_budget_fen,
                c.daily_budget_fen,
                c.wins_per_consumer_per_day,
                c.wins_per_consumer,
                draw(brand_id, c.id, _tiers(c.prize_table)),
                frozenset(c.regions or []),
                rules.get(c.id, {}),
                Policy.model_validate(c.risk_policy or {}),
            )
            for c in s.scalars(select(Campaign).where(Campaign.brand_id == brand_id))
        }
        packs = pack_index(s, brand_id=brand_id, with_links=False)
        risk_model = registry.active(s, brand_id=brand_id)
    batches = {k: ([v.first_serial for v in vs], vs) for k, vs in by_key.items()}
    return Snapshot(brand_id, version, batches, campaigns, parent, packs, risk_model)


class SnapshotCache:
    def __init__(self) -> None:
        self._snapshots: dict[int, Snapshot] = {}
        self._lock = threading.Lock()

    def get(self, brand_id: int, *, stale: Snapshot | None = None) -> Snapshot:
        """The cached snapshot; pass the one found `stale` to force a reload (once per version)."""
        current = self._snapshots.get(brand_id)
        if current is not None and current is not stale:
            return current
        with self._lock:
            current = self._snapshots.get(brand_id)
            if current is None or current is stale:
                current = self._snapshots[brand_id] = load(brand_id)
            return current

    def forget(self) -> None:
        self._snapshots = {}

    def pin(self, snapshot: Snapshot) -> None:
        """Serve this snapshot for its brand until `forget`: for a back-test's process only,
        which replays scans under a proposed configuration that is not in the database."""
        self._snapshots[snapshot.brand_id] = snapshot


snapshots = SnapshotCache()
