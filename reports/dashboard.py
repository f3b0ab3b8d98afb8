"""The dashboard's panels, each one query on a rollup (rewards.rollups, payouts' tallies) or on a
small table, so that they answer at the same speed with ten thousand scans or ten million
(docs/benchmarks.md).

Days are the market's days (settings.report_timezone); periods include both ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brands.models import Product, Region
from payouts.models import PayoutTally
from rewards.consumer_scan import spent_fen
from rewards.models import Campaign, ScanDay, ScanMinute, ScanPlaceDay
from rewards.rollups import report_zone
from risk.models import DiversionAlert
from risk.regions import city_of, divisions, province_of

GroupBy = Literal["day", "campaign", "product", "region", "province"]


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
    """What happened to scans in one cell of the dashboard (rewards.models._ScanCounts)."""

    scans: int = 0
    claims: int = 0  # consumer scans that drew: won or "thanks"
    wins: int = 0
    awarded_fen: int = 0
    stopped: int = 0  # refused by risk before the draw (block or challenge)
    held: int = 0  # won, but held for review
    held_fen: int = 0
    already_claimed: int = 0  # caps someone else had claimed: collected or leaked codes
    redemptions: int = 0
    case_openings: int = 0
    guide_sales: int = 0


MEASURES = [f.name for f in fields(Measures)]


@dataclass
class Row(Measures):
    key: str = ""
    label: str = ""


M = TypeVar("M", bound=Measures)


def _add(target: M, sums: Iterable[Any]) -> M:
    """Add a query's sums (in MEASURES order) to `target`; no sums add nothing."""
    for name, value in zip(MEASURES, sums, strict=False):
        setattr(target, name, getattr(target, name) + int(value))
    return target


def _sums(table: Any) -> list[Any]:
    return [func.coalesce(func.sum(getattr(table, m)), 0) for m in MEASURES]


def _where(table: Any, brand_id: int, period: Period) -> list[Any]:
    where = [table.brand_id == brand_id, table.day >= period.since, table.day <= period.until]
    if period.campaign_id is not None:
        where.append(table.campaign_id == period.campaign_id)
    return where


def totals(session: Session, brand_id: int, period: Period) -> Measures:
    row = session.execute(select(*_sums(ScanDay)).where(*_where(ScanDay, brand_id, period))).one()
    return _add(Measures(), row)


def breakdown(session: Session, brand_id: int, period: Period, by: GroupBy) -> list[Row]:
    """The period's measures by day, campaign, product, region (city) or province."""
    table: Any = ScanPlaceDay if by in ("region", "province") else ScanDay
    column = {"day": table.day, "campaign": table.campaign_id, "product": ScanDay.product_id}
    group = column.get(by, ScanPlaceDay.region_code)
    query = select(group, *_sums(table)).where(*_where(table, brand_id, period)).group_by(group)
    provinces = Provinces.load(session, brand_id) if by in ("region", "province") else None
    rows: dict[str, Row] = {}
    for key, *sums in session.execute(query):
        k = provinces.of(str(key)) if provinces is not None and by == "province" else str(key)
        _add(rows.setdefault(k, Row(key=k)), sums)
    _label(session, brand_id, by, rows, provinces)
    return sorted(rows.values(), key=lambda r: r.key if by == "day" else -r.scans)


def _label(
    session: Session,
    brand_id: int,
    by: GroupBy,
    rows: dict[str, Row],
    provinces: Provinces | None,
) -> None:
    names: dict[str, str] = {}
    named: dict[str, tuple[Any, str]] = {
        "campaign": (Campaign, "(no campaign)"),
        "product": (Product, "(unknown product)"),
    }
    if by in named:
        model, nothing = named[by]
        query = select(model.id, model.name).where(model.brand_id == brand_id)
        names = {str(i): n for i, n in session.execute(query)} | {"0": nothing}
    for k, row in rows.items():
        if provinces is not None:
            row.label = provinces.name(k) if k else "(no region)"
        else:
            row.label = names.get(k, k)


@dataclass
class Minute(Measures):
    minute: datetime | None = None


def live(
    session: Session, brand_id: int, *, now: datetime, minutes: int = 60, campaign_id: int | None
) -> list[Minute]:
    """The measures a minute over the last `minutes` minutes, oldest first, every minute
    present."""
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=minutes - 1)
    query = (
        select(ScanMinute.minute, *_sums(ScanMinute))
        .where(ScanMinute.brand_id == brand_id, ScanMinute.minute >= start)
        .group_by(ScanMinute.minute)
    )
    if campaign_id is not None:
        query = query.where(ScanMinute.campaign_id == campaign_id)
    seen = {m: sums for m, *sums in session.execute(query)}
    out = []
    for i in range(minutes):
        at = start + timedelta(minutes=i)
        out.append(_add(Minute(minute=at), seen.get(at, ())))
    return out


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
    administrative code's first two digits (GB/T 2260: 440106 is in 440000); and its name."""

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

    def name(self, code: str) -> str:
        """The brand's name for a region, else the administrative division's, else the code."""
        if code in self.names:
            return self.names[code]
        division = divisions().centre(code)
        return division.name if division is not None else code

    def of(self, code: str) -> str:
        return self.root.get(code) or province_of(code)


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
    places: list[Place] = field(default_factory=list)  # cities, at their located scans' centre


def china_map(session: Session, brand_id: int, period: Period) -> MapData:
    """Scans and open diversion alerts by province (the map's colours) and by city (its points,
    placed at the mean position of the city's located scans); scans without a region are in
    the totals only."""
    provinces = Provinces.load(session, brand_id)
    query = (
        select(
            ScanPlaceDay.region_code,
            func.sum(ScanPlaceDay.scans),
            func.sum(ScanPlaceDay.wins),
            func.sum(ScanPlaceDay.awarded_fen),
            func.sum(ScanPlaceDay.located),
            func.sum(ScanPlaceDay.lat_sum),
            func.sum(ScanPlaceDay.lon_sum),
        )
        .where(*_where(ScanPlaceDay, brand_id, period))
        .group_by(ScanPlaceDay.region_code)
    )
    places: dict[str, Place] = {}
    for code, scans, wins, fen, located, lat, lon in session.execute(query):
        place = places[code] = Place(code, provinces.name(code))
        place.scans, place.wins, place.awarded_fen = int(scans or 0), int(wins or 0), int(fen or 0)
        if located:  # PostgreSQL sums integers as numeric (Decimal)
            place.latitude = float(lat) / int(located)
            place.longitude = float(lon) / int(located)
        elif (centre := divisions().centre(code)) is not None:
            place.latitude, place.longitude = centre.latitude, centre.longitude
    for alert_regions in _alert_regions(session, brand_id, period):
        for code in {city_of(r) for r in alert_regions}:
            places.setdefault(code, Place(code, provinces.name(code))).alerts += 1
    by_province: dict[str, Place] = {}
    for p in places.values():
        if not p.code:  # scans without a region (field scans, consumers who gave none)
            continue
        code = provinces.of(p.code)
        prov = by_province.setdefault(code, Place(code, provinces.name(code)))
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
