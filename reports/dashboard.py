"""The dashboard's panels, each one query on a rollup (rewards.rollups, payouts' tallies) or on a
small table, so that they answer at the same speed with ten thousand scans or ten million
(docs/benchmarks.md).

Days are the market's days (settings.report_timezone); periods include both ends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brands.models import Product, Region
from payouts.models import PayoutTally
from rewards.consumer_scan import spent_fen
from rewards.models import Campaign, ScanDay, ScanMinute
from rewards.rollups import STOPPED, report_zone
from risk.models import DiversionAlert

GroupBy = Literal["day", "campaign", "product", "region", "province"]
GROUPS: dict[str, Any] = {
    "day": ScanDay.day,
    "campaign": ScanDay.campaign_id,
    "product": ScanDay.product_id,
    "region": ScanDay.region_code,
    "province": ScanDay.region_code,  # folded into provinces after the query
}
# A field scan that went through, by what it did.
FIELD_DONE = {
    "store_redeem": "redemptions",
    "store_open_case": "case_openings",
    "guide_sale": "guide_sales",
}


@dataclass(frozen=True)
class Period:
    since: date
    until: date
    campaign_id: int | None = None

    @classmethod
    def last_days(cls, days: int, *, now: datetime, campaign_id: int | None = None) -> Period:
        today = now.astimezone(report_zone()).date()
        return cls(today - timedelta(days=days - 1), today, campaign_id)


@dataclass
class Measures:
    """What happened to scans in one cell of the dashboard."""

    scans: int = 0
    claims: int = 0  # consumer scans that drew: won or "thanks"
    wins: int = 0
    awarded_fen: int = 0
    redemptions: int = 0
    case_openings: int = 0
    guide_sales: int = 0
    blocked: int = 0  # refused by risk before the draw (block or challenge)
    held: int = 0  # won, but held for review
    held_fen: int = 0

    def add(self, role: str, outcome: str, scans: int, fen: int, held: int, held_fen: int) -> None:
        self.scans += scans
        if role == "consumer":
            if outcome in ("won", "thanks"):
                self.claims += scans
            if outcome == "won":
                self.wins += scans
                self.awarded_fen += fen
            if outcome in STOPPED:
                self.blocked += scans
        elif outcome == "ok" and role in FIELD_DONE:
            setattr(self, FIELD_DONE[role], getattr(self, FIELD_DONE[role]) + scans)
        self.held += held
        self.held_fen += held_fen


@dataclass
class Row(Measures):
    key: str = ""
    label: str = ""


def _where(brand_id: int, period: Period) -> list[Any]:
    where = [
        ScanDay.brand_id == brand_id,
        ScanDay.day >= period.since,
        ScanDay.day <= period.until,
    ]
    if period.campaign_id is not None:
        where.append(ScanDay.campaign_id == period.campaign_id)
    return where


def _sums(session: Session, brand_id: int, period: Period, *group: Any) -> Iterable[Any]:
    return session.execute(
        select(
            *group,
            ScanDay.role,
            ScanDay.outcome,
            func.sum(ScanDay.scans),
            func.sum(ScanDay.amount_fen),
            func.sum(ScanDay.held),
            func.sum(ScanDay.held_fen),
        )
        .where(*_where(brand_id, period))
        .group_by(*group, ScanDay.role, ScanDay.outcome)
    )


def totals(session: Session, brand_id: int, period: Period) -> Measures:
    total = Measures()
    for role, outcome, *sums in _sums(session, brand_id, period):
        total.add(role, outcome, *(int(s or 0) for s in sums))
    return total


def breakdown(session: Session, brand_id: int, period: Period, by: GroupBy) -> list[Row]:
    """The period's measures by day, campaign, product, region (as scanned) or province."""
    rows: dict[str, Row] = {}
    provinces = Provinces.load(session, brand_id) if by == "province" else None
    for key, role, outcome, *sums in _sums(session, brand_id, period, GROUPS[by]):
        k = str(key)
        if provinces is not None:
            k = provinces.of(k)
        row = rows.setdefault(k, Row(key=k))
        row.add(role, outcome, *(int(s or 0) for s in sums))
    _label(session, brand_id, by, rows)
    return sorted(rows.values(), key=lambda r: r.key if by == "day" else -r.scans)


def _label(session: Session, brand_id: int, by: GroupBy, rows: dict[str, Row]) -> None:
    names: dict[str, str] = {}
    if by == "campaign":
        names = {str(i): n for i, n in session.execute(select(Campaign.id, Campaign.name))}
        names["0"] = "(no campaign)"
    elif by == "product":
        names = {
            str(i): n
            for i, n in session.execute(
                select(Product.id, Product.name).where(Product.brand_id == brand_id)
            )
        }
        names["0"] = "(unknown product)"
    elif by in ("region", "province"):
        names = {
            c: n
            for c, n in session.execute(
                select(Region.code, Region.name).where(Region.brand_id == brand_id)
            )
        }
        names[""] = "(no region)"
    for k, row in rows.items():
        row.label = names.get(k, k)


@dataclass(frozen=True)
class Minute:
    minute: datetime
    scans: int
    claims: int
    wins: int
    awarded_fen: int
    stopped: int


def live(
    session: Session, brand_id: int, *, now: datetime, minutes: int = 60, campaign_id: int | None
) -> list[Minute]:
    """Scans a minute over the last `minutes` minutes, oldest first, every minute present."""
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=minutes - 1)
    query = (
        select(
            ScanMinute.minute,
            func.sum(ScanMinute.scans),
            func.sum(ScanMinute.claims),
            func.sum(ScanMinute.wins),
            func.sum(ScanMinute.amount_fen),
            func.sum(ScanMinute.stopped),
        )
        .where(ScanMinute.brand_id == brand_id, ScanMinute.minute >= start)
        .group_by(ScanMinute.minute)
    )
    if campaign_id is not None:
        query = query.where(ScanMinute.campaign_id == campaign_id)
    seen = {m: [int(v or 0) for v in vals] for m, *vals in session.execute(query)}
    return [
        Minute(m, *seen.get(m, [0, 0, 0, 0, 0]))
        for m in (start + timedelta(minutes=i) for i in range(minutes))
    ]


@dataclass(frozen=True)
class Budget:
    campaign_id: int
    slug: str
    name: str
    status: str
    budget_fen: int
    spent_fen: int  # the live counter the claim script spends against


def budgets(session: Session, brand_id: int, campaign_id: int | None = None) -> list[Budget]:
    query = select(Campaign).where(Campaign.brand_id == brand_id).order_by(Campaign.id)
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    return [
        Budget(c.id, c.slug, c.name, c.status, c.total_budget_fen, spent_fen(brand_id, c.id))
        for c in session.scalars(query)
    ]


@dataclass(frozen=True)
class PayoutState:
    state: str
    payouts: int
    amount_fen: int


def payouts(session: Session, brand_id: int, campaign_id: int | None = None) -> list[PayoutState]:
    """Payouts and their money by state (pending, sending, success, failed, …)."""
    query = (
        select(PayoutTally.state, func.sum(PayoutTally.payouts), func.sum(PayoutTally.amount_fen))
        .where(PayoutTally.brand_id == brand_id)
        .group_by(PayoutTally.state)
    )
    if campaign_id is not None:
        query = query.where(PayoutTally.campaign_id == campaign_id)
    return [
        PayoutState(state, int(n or 0), int(fen or 0))
        for state, n, fen in session.execute(query)
        if n
    ]


@dataclass
class Provinces:
    """Which province a region code is in: its root in the brand's region tree, else the
    administrative code's first two digits (GB/T 2260: 440106 is in 440000)."""

    root: dict[str, str]
    names: dict[str, str]

    @classmethod
    def load(cls, session: Session, brand_id: int) -> Provinces:
        regions = session.execute(
            select(Region.id, Region.code, Region.name, Region.parent_id).where(
                Region.brand_id == brand_id
            )
        ).all()
        by_id = {r.id: r for r in regions}
        root = {}
        for r in regions:
            top = r
            for _ in range(10):  # a tree is shallow; a cycle must not hang the dashboard
                if top.parent_id is None or top.parent_id not in by_id:
                    break
                top = by_id[top.parent_id]
            root[r.code] = top.code
        return cls(root, {r.code: r.name for r in regions})

    def of(self, code: str) -> str:
        if code in self.root:
            return self.root[code]
        if len(code) == 6 and code.isdigit():
            return code[:2] + "0000"
        return code


@dataclass
class Place:
    code: str
    name: str
    scans: int = 0
    wins: int = 0
    awarded_fen: int = 0
    alerts: int = 0  # open diversion alerts with scans here
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class MapData:
    provinces: list[Place] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)  # regions as scanned, at their scans' centre


def china_map(session: Session, brand_id: int, period: Period) -> MapData:
    """Scans and diversion alerts by province (for the map's colours) and by region as scanned
    (its points, placed at the mean position of the region's located scans)."""
    provinces = Provinces.load(session, brand_id)
    query = (
        select(
            ScanDay.region_code,
            ScanDay.outcome,
            func.sum(ScanDay.scans),
            func.sum(ScanDay.amount_fen),
            func.sum(ScanDay.located),
            func.sum(ScanDay.lat_sum),
            func.sum(ScanDay.lon_sum),
        )
        .where(*_where(brand_id, period), ScanDay.role == "consumer")
        .group_by(ScanDay.region_code, ScanDay.outcome)
    )
    places: dict[str, Place] = {}
    located: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for code, outcome, scans, fen, n, lat, lon in session.execute(query):
        place = places.setdefault(code, Place(code, provinces.names.get(code, code)))
        place.scans += int(scans or 0)
        if outcome == "won":
            place.wins += int(scans or 0)
            place.awarded_fen += int(fen or 0)
        acc = located[code]
        acc[0] += float(n or 0)
        acc[1] += float(lat or 0)
        acc[2] += float(lon or 0)
    for alert_regions in _alert_regions(session, brand_id, period):
        for code in alert_regions:
            places.setdefault(code, Place(code, provinces.names.get(code, code))).alerts += 1
    for code, (count, lat_sum, lon_sum) in located.items():
        if count:
            places[code].latitude = lat_sum / count
            places[code].longitude = lon_sum / count
    by_province: dict[str, Place] = {}
    for p in places.values():
        code = provinces.of(p.code)
        prov = by_province.setdefault(code, Place(code, provinces.names.get(code, code)))
        prov.scans += p.scans
        prov.wins += p.wins
        prov.awarded_fen += p.awarded_fen
        prov.alerts += p.alerts
    return MapData(
        sorted(by_province.values(), key=lambda p: -p.scans),
        sorted((p for p in places.values() if p.code), key=lambda p: -p.scans),
    )


def _alert_regions(session: Session, brand_id: int, period: Period) -> Iterable[set[str]]:
    """Each open alert of the period: the regions outside its dealer's where it was scanned."""
    zone = report_zone()
    since = datetime.combine(period.since, datetime.min.time(), zone)
    until = datetime.combine(period.until + timedelta(days=1), datetime.min.time(), zone)
    for (observed,) in session.execute(
        select(DiversionAlert.observed).where(
            DiversionAlert.brand_id == brand_id,
            DiversionAlert.status == "open",
            DiversionAlert.last_at >= since,
            DiversionAlert.first_at < until,
        )
    ):
        yield {o["region"] for o in observed or [] if o.get("region")}
