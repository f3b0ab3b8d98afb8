"""Diversion (窜货): cases whose bottles are scanned outside the regions their dealer may sell in.

A case's dealer and authorized regions come from its newest PDA shipment; where its bottles went
comes from two kinds of evidence: a registered store opening the case (its registered region,
strong: weight 3) and consumers scanning its caps (their position placed in a district offline,
weak: weight 1, since positions are fuzzy and travellers exist). A case is alerted when the
evidence outside weighs a store scan or three consumers, and is most of the evidence:
one tourist's scan never is. The verdict flags the dealer; it never touches a consumer's prize.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brands.models import Dealer, Region, Store, dealer_regions
from codegen.batches import code_at
from codegen.models import CodeBatch
from codegen.packing import pack_index
from logistics.models import Shipment
from rewards.models import CaseOpening, ScanRecord
from risk.features import FEATURES, INDEX
from risk.models import DiversionAlert
from risk.regions import divisions

STORE_WEIGHT = 3.0
CONSUMER_WEIGHT = 1.0
MIN_OUTSIDE = 3.0  # weight outside: one store, or three consumers
MIN_SHARE = 0.6  # of all located evidence
UNTRUSTED = ("hold", "block", "challenge")
HEAVY = 5  # scans in a day by one account
_SCANS_24H, _RING = INDEX["acct_scans_24h"], INDEX["ring_size"]


@dataclass
class Evidence:
    region: str  # district (consumer) or the store's registered region
    name: str
    weight: float
    kind: str  # store | consumer
    who: str
    at: datetime


@dataclass
class CaseView:
    batch_id: int
    serial: int
    dealer_id: int
    regions: frozenset[str]
    evidence: list[Evidence] = field(default_factory=list)

    def outside(self) -> list[Evidence]:
        # A consumer's position is district-level at best: a dealer authorized for a district is
        # judged on its city by consumer scans, on the district itself by store scans.
        loose = self.regions | {c[:4] + "00" for c in self.regions if _is_district(c)}
        return [
            e
            for e in self.evidence
            if not _within(e.region, self.regions if e.kind == "store" else frozenset(loose))
        ]

    def verdict(self) -> tuple[bool, float]:
        total = sum(e.weight for e in self.evidence)
        out = self.outside()
        weight_out = sum(e.weight for e in out)
        accounts_out = {e.who for e in out if e.kind == "consumer"}
        enough = any(e.kind == "store" for e in out) or len(accounts_out) >= 3
        alert = enough and weight_out >= MIN_OUTSIDE and weight_out >= MIN_SHARE * total
        return alert, round(weight_out / (total + 1.0), 4)


def _untrusted(risk: dict[str, Any] | None) -> bool:
    """A position nobody should believe: a scan risk stopped, or an account that scans far more
    than anyone drinks (cap collectors scan caps from everywhere, wherever they live)."""
    if not risk:
        return False
    x = risk.get("x") or []
    heavy = len(x) == len(FEATURES) and (x[_SCANS_24H] >= HEAVY or x[_RING] > 0)
    return heavy or risk.get("action") in UNTRUSTED


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
    for batch_id, serial, lat, lon, openid, at, risk in session.execute(scans):
        if _untrusted(risk):
            continue
        case = packing.container(int(batch_id or 0), int(serial or 0), "case")
        view = views.get(case) if case else None
        place = table.locate(lat or 0.0, lon or 0.0) if view is not None else None
        if view is not None and place is not None:
            view.evidence.append(
                Evidence(place.code, place.name, CONSUMER_WEIGHT, "consumer", openid, at)
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


def run(session: Session, *, brand_id: int, now: datetime) -> list[DiversionAlert]:
    """Score every case; store an alert (or refresh it) for each diverted one."""
    existing = {
        (a.case_batch_id, a.case_serial): a
        for a in session.scalars(select(DiversionAlert).where(DiversionAlert.brand_id == brand_id))
    }
    batches = {
        b.id: b for b in session.scalars(select(CodeBatch).where(CodeBatch.brand_id == brand_id))
    }
    alerts = []
    for view in cases(session, brand_id=brand_id):
        alert, score = view.verdict()
        if not alert:
            continue
        out = view.outside()
        where = Counter((e.region, e.name) for e in out)
        kinds: dict[str, Counter[str]] = defaultdict(Counter)
        for e in out:
            kinds[e.region][e.kind] += 1
        row = existing.get((view.batch_id, view.serial))
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
    session.flush()
    return alerts


def dealer_report(session: Session, *, brand_id: int) -> list[dict[str, object]]:
    """Per dealer: cases shipped, cases with evidence, cases alerted, where they went."""
    views = cases(session, brand_id=brand_id)
    alerts = list(
        session.scalars(
            select(DiversionAlert).where(
                DiversionAlert.brand_id == brand_id, DiversionAlert.status != "dismissed"
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
                "scanned_in": [p for p, _ in places[dealer_id].most_common(5)],
            }
        )
    return report
