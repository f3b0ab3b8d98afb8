"""Diversion (窜货): cases whose bottles are scanned outside the regions their dealer may sell in.

A case's dealer and authorized regions come from its newest PDA shipment; where its bottles went
comes from two kinds of evidence: a registered store opening the case (its registered region,
strong: weight 3) and consumers scanning its caps (their position placed in a district offline,
weak: weight 1, since positions are fuzzy and travellers exist). A consumer counts as outside
only if placed outside the territory and more than BORDER_KM from every district centre in it:
a district is placed by its nearest centre, which near a border is often the neighbour's, and
a mini-program's position may be off by kilometres. A case is alerted when the evidence outside
weighs a store scan or three consumers (or two friends with several caps in one city), and is
most of the evidence: one tourist's scan never is.

Diversion is a dealer's habit, and most cases leave one or two located scans, so each dealer is
scored too: the share of its evidence that lies outside its territory, against the brand's usual
share (the lower quartile of its dealers': travellers and border noise; not the median, since in
some markets most dealers divert). A dealer far above it is diverting, and
its cases are alerted on lighter evidence: any outside scan that is most of the case's evidence.
Consumer accounts that ever looked like cap collectors or fraud are not evidence anywhere. The
verdict flags the dealer; it never touches a consumer's prize.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brands.models import Dealer, Region, Store, dealer_regions
from codegen.batches import code_at
from codegen.models import CodeBatch
from codegen.packing import pack_index
from logistics.models import Shipment
from rewards.models import CaseOpening, ScanRecord
from risk.features import INDEX, padded
from risk.models import DiversionAlert
from risk.regions import divisions

STORE_WEIGHT = 3.0
CONSUMER_WEIGHT = 1.0
MIN_OUTSIDE = 3.0  # weight outside: one store, or three consumers
MIN_SHARE = 0.6  # of all located evidence
BORDER_KM = 50.0  # a consumer nearer the territory than this is not evidence of diversion
UNTRUSTED = ("hold", "block", "challenge")
HEAVY = 5  # scans in a day by one account
COLLECTOR_CASES = 6  # cases one account's caps came from in a week: nobody drinks like that
PARTY_SCANS = 3  # scans by two accounts in one place outside: the case was sold there
DEALER_MIN_EVIDENCE = 10.0  # weight of evidence before a dealer's share means anything
DEALER_SHARE = 0.15  # of its evidence outside, and at least DEALER_TIMES the usual share
DEALER_TIMES = 3.0
_SCANS_24H, _RING, _CASES = INDEX["acct_scans_24h"], INDEX["ring_size"], INDEX["acct_cases"]


@dataclass
class Evidence:
    region: str  # district (consumer) or the store's registered region
    name: str
    weight: float
    kind: str  # store | consumer
    who: str
    at: datetime
    km_away: float = math.inf  # a consumer's distance from the territory's nearest district


@dataclass
class CaseView:
    batch_id: int
    serial: int
    dealer_id: int
    regions: frozenset[str]
    evidence: list[Evidence] = field(default_factory=list)

    def loose(self) -> frozenset[str]:
        """The territory consumer scans are judged on: a consumer's position is district-level
        at best, so a dealer authorized for a district is judged on its city (store scans are
        judged on the district itself)."""
        return self._loose

    @cached_property
    def _loose(self) -> frozenset[str]:  # asked for every scan and every verdict
        return self.regions | {c[:4] + "00" for c in self.regions if _is_district(c)}

    def outside(self) -> list[Evidence]:
        loose = self.loose()
        return [
            e
            for e in self.evidence
            if (e.kind == "store" and not _within(e.region, self.regions))
            or (e.kind != "store" and not _within(e.region, loose) and e.km_away > BORDER_KM)
        ]

    def verdict(self, diverting_dealer: bool = False) -> tuple[bool, float]:
        """(alert, score); the score is weight outside / (all weight + 1): near 1 for a case
        seen mostly outside, and smaller the less evidence there is."""
        total = sum(e.weight for e in self.evidence)
        out = self.outside()
        weight_out = sum(e.weight for e in out)
        accounts_out = {e.who for e in out if e.kind == "consumer"}
        # Two friends scanning several of one case's caps in one far city are a sale there;
        # two strangers in two places may be travellers.
        by_city: dict[str, list[Evidence]] = defaultdict(list)
        for e in out:
            if e.kind == "consumer":
                by_city[_city(e.region)].append(e)
        party = any(
            len({e.who for e in found}) >= 2 and len(found) >= PARTY_SCANS
            for found in by_city.values()
        )
        enough = any(e.kind == "store" for e in out) or len(accounts_out) >= 3 or party
        alert = enough and weight_out >= MIN_OUTSIDE and weight_out >= MIN_SHARE * total
        if diverting_dealer and out and weight_out >= MIN_SHARE * total:
            alert = True
        return alert, round(weight_out / (total + 1.0), 4)


def _untrusted(risk: dict[str, Any] | None) -> bool:
    """A scan whose account's positions nobody should believe: one risk stopped, or one by an
    account that scans far more, or caps of far more cases, than anyone drinks (cap collectors
    scan caps from everywhere, wherever they live), or one in a ring."""
    if not risk:
        return False
    x = padded(risk.get("x") or [])
    heavy = x is not None and (
        x[_SCANS_24H] >= HEAVY or x[_RING] > 0 or x[_CASES] >= COLLECTOR_CASES
    )
    return heavy or risk.get("action") in UNTRUSTED


def _city(code: str) -> str:
    return code[:4] + "00" if len(code) == 6 and code.isdigit() else code


def _is_district(code: str) -> bool:
    return len(code) == 6 and code.isdigit() and not code.endswith("00")


def _lineage(code: str) -> set[str]:
    if len(code) == 6 and code.isdigit():
        return {code, code[:4] + "00", code[:2] + "0000"}
    return {code}


def _within(region: str, allowed: frozenset[str]) -> bool:
    return bool(_lineage(region) & allowed)


def cases(session: Session, *, brand_id: int, since: datetime | None = None) -> list[CaseView]:
    """Every shipped case with the evidence of where its bottles went."""
    allowed: dict[int, set[str]] = defaultdict(set)
    for dealer_id, code in session.execute(
        select(dealer_regions.c.dealer_id, Region.code)
        .join(Region, Region.id == dealer_regions.c.region_id)
        .where(Region.brand_id == brand_id)
    ):
        allowed[dealer_id].add(code)
    latest: dict[tuple[int, int], Shipment] = {}
    for sh in session.scalars(
        select(Shipment).where(Shipment.brand_id == brand_id).order_by(Shipment.at, Shipment.id)
    ):
        latest[(sh.batch_id, sh.serial)] = sh
    packing = pack_index(session, brand_id=brand_id, with_links=True)
    views: dict[tuple[int, int], CaseView] = {}
    for key, sh in latest.items():
        case = packing.container(*key, "case")
        # A pallet's cases are placed by their own shipments, not the pallet's.
        if case is not None and packing.kinds.get(key[0]) != "pallet":
            dealer = sh.to_dealer_id or sh.dealer_id
            views[case] = CaseView(case[0], case[1], dealer, frozenset(allowed[dealer]))
    table = divisions()
    scans = select(
        ScanRecord.batch_id,
        ScanRecord.serial,
        ScanRecord.latitude,
        ScanRecord.longitude,
        ScanRecord.openid,
        ScanRecord.at,
        ScanRecord.risk,
    ).where(
        ScanRecord.brand_id == brand_id,
        ScanRecord.role == "consumer",
        ScanRecord.latitude.is_not(None),
        ScanRecord.batch_id.is_not(None),
    )
    if since is not None:
        scans = scans.where(ScanRecord.at >= since)
    rows = session.execute(scans).all()
    # An account that ever looked like a collector or a fraudster is not believed anywhere:
    # its earlier scans, before the windows filled, carry the same false positions.
    suspects = {r.openid for r in rows if _untrusted(r.risk)}
    for batch_id, serial, lat, lon, openid, at, _ in rows:
        if openid in suspects:
            continue
        case = packing.container(int(batch_id or 0), int(serial or 0), "case")
        view = views.get(case) if case else None
        place = table.locate(lat or 0.0, lon or 0.0) if view is not None else None
        if view is not None and place is not None:
            near = table.area(view.loose()).query(lat or 0.0, lon or 0.0)
            away = near[0] if near is not None else math.inf
            view.evidence.append(
                Evidence(place.code, place.name, CONSUMER_WEIGHT, "consumer", openid, at, away)
            )
    stores = {s.id: s for s in session.scalars(select(Store).where(Store.brand_id == brand_id))}
    region_code = {
        r.id: (r.code, r.name)
        for r in session.scalars(select(Region).where(Region.brand_id == brand_id))
    }
    for o in session.scalars(select(CaseOpening).where(CaseOpening.brand_id == brand_id)):
        view = views.get((o.case_batch_id, o.case_serial))
        store = stores.get(o.store_id)
        if view is None or store is None or store.region_id not in region_code:
            continue
        code, name = region_code[store.region_id]
        view.evidence.append(Evidence(code, name, STORE_WEIGHT, "store", store.code, o.at))
    return list(views.values())


def dealer_shares(views: list[CaseView]) -> dict[int, tuple[float, float]]:
    """Per dealer: (weight of evidence, share of it outside the dealer's territory)."""
    total: dict[int, float] = defaultdict(float)
    out: dict[int, float] = defaultdict(float)
    for v in views:
        total[v.dealer_id] += sum(e.weight for e in v.evidence)
        out[v.dealer_id] += sum(e.weight for e in v.outside())
    return {d: (w, out[d] / w) for d, w in total.items() if w > 0}


def diverting_dealers(views: list[CaseView]) -> set[int]:
    """Dealers whose goods turn up outside their territory far more often than the usual
    dealer's: the lower quartile of the shares (travellers and border noise), which holds when
    half the dealers divert, as the median would not."""
    return _diverting(dealer_shares(views))


def _diverting(all_shares: dict[int, tuple[float, float]]) -> set[int]:
    shares = {d: s for d, (w, s) in all_shares.items() if w >= DEALER_MIN_EVIDENCE}
    if not shares:
        return set()
    values = sorted(shares.values())
    usual = (
        statistics.quantiles(values, n=4, method="inclusive")[0] if len(values) > 1 else values[0]
    )
    return {d for d, s in shares.items() if s >= max(DEALER_SHARE, DEALER_TIMES * usual)}


def run(
    session: Session, *, brand_id: int, now: datetime, views: list[CaseView] | None = None
) -> list[DiversionAlert]:
    """Score every case; store an alert (or refresh it) for each diverted one. An open alert
    whose case no longer qualifies (its evidence was discounted since, say, as a collector's)
    is marked `cleared`, and reopened if it qualifies again; staff verdicts stay."""
    existing = {
        (a.case_batch_id, a.case_serial): a
        for a in session.scalars(select(DiversionAlert).where(DiversionAlert.brand_id == brand_id))
    }
    batches = {
        b.id: b for b in session.scalars(select(CodeBatch).where(CodeBatch.brand_id == brand_id))
    }
    alerts = []
    views = cases(session, brand_id=brand_id) if views is None else views
    diverting = diverting_dealers(views)
    for view in views:
        alert, score = view.verdict(view.dealer_id in diverting)
        if not alert:
            continue
        out = view.outside()
        where = Counter((e.region, e.name) for e in out)
        kinds: dict[str, Counter[str]] = defaultdict(Counter)
        for e in out:
            kinds[e.region][e.kind] += 1
        row = existing.pop((view.batch_id, view.serial), None)
        if row is None:
            row = DiversionAlert(
                brand_id=brand_id,
                case_batch_id=view.batch_id,
                case_serial=view.serial,
                case_code=code_at(
                    session,
                    batches[view.batch_id],
                    view.serial - batches[view.batch_id].first_serial,
                ),
                found_at=now,
            )
            session.add(row)
        if row.status == "cleared":
            row.status = "open"
        row.dealer_id = view.dealer_id
        row.expected_regions = sorted(view.regions)
        row.observed = [
            {"region": r, "name": n, "scans": c, "kinds": dict(kinds[r])}
            for (r, n), c in where.most_common()
        ]
        row.scans_outside = len(out)
        row.scans_located = len(view.evidence)
        row.score = score
        row.first_at = min(e.at for e in out)
        row.last_at = max(e.at for e in out)
        alerts.append(row)
    for stale in existing.values():
        if stale.status == "open":
            stale.status = "cleared"
    session.flush()
    return alerts


def dealer_report(
    session: Session, *, brand_id: int, views: list[CaseView] | None = None
) -> list[dict[str, object]]:
    """Per dealer: cases shipped, cases with evidence, cases alerted, the share of its evidence
    found outside its territory (its diversion score) and whether that marks it as diverting,
    where they went."""
    views = cases(session, brand_id=brand_id) if views is None else views
    shares = dealer_shares(views)
    diverting = _diverting(shares)
    alerts = list(
        session.scalars(
            select(DiversionAlert).where(
                DiversionAlert.brand_id == brand_id,
                DiversionAlert.status.in_(("open", "confirmed")),
            )
        )
    )
    dealers = {d.id: d for d in session.scalars(select(Dealer).where(Dealer.brand_id == brand_id))}
    shipped: Counter[int] = Counter(v.dealer_id for v in views)
    seen: Counter[int] = Counter(v.dealer_id for v in views if v.evidence)
    alerted: Counter[int] = Counter(a.dealer_id for a in alerts)
    places: dict[int, Counter[str]] = defaultdict(Counter)
    for a in alerts:
        for o in a.observed:
            places[a.dealer_id][f"{o['region']} {o['name']}"] += int(o["scans"])
    report = []
    for dealer_id in sorted(shipped, key=lambda d: (-alerted[d], dealers[d].code)):
        report.append(
            {
                "dealer": dealers[dealer_id].code,
                "name": dealers[dealer_id].name,
                "cases_shipped": shipped[dealer_id],
                "cases_with_scans": seen[dealer_id],
                "cases_alerted": alerted[dealer_id],
                "alert_rate": round(alerted[dealer_id] / max(1, seen[dealer_id]), 4),
                "outside_share": round(shares.get(dealer_id, (0.0, 0.0))[1], 4),
                "diverting": dealer_id in diverting,
                "scanned_in": [p for p, _ in places[dealer_id].most_common(5)],
            }
        )
    return report
