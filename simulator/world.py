"""A simulated market: provinces and cities (real ones, with real coordinates), dealers with
their authorized regions, stores, cases of bottles, where each case was shipped and where it was
really sold. Every rate is drawn from the seed (docs/simulator.md lists the ranges), so two seeds
are two different markets rather than two samples of one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from risk.regions import Division, divisions

CASE = 12  # bottles a case
DAY_MS = 86_400_000


@dataclass
class City:
    division: Division
    province: Division
    dealer: str = ""
    stores: list[str] = field(default_factory=list)


@dataclass
class StorePlace:
    code: str
    city: str  # city code
    lat: float
    lon: float
    registered: bool  # an unregistered shop sells diverted goods but scans nothing


@dataclass
class CasePlan:
    index: int
    dealer: str
    shipped_ms: int | None  # None: the dealer keeps no PDA records
    store: str  # where it is really sold
    diverted: bool


@dataclass
class World:
    seed: int
    start_ms: int
    days: int
    rates: dict[str, float]
    cities: dict[str, City]
    stores: dict[str, StorePlace]
    cases: list[CasePlan]
    slug: str

    @property
    def bottles(self) -> int:
        return len(self.cases) * CASE

    def seed_file(self) -> dict[str, Any]:
        """The world as a seed file (onecode/seed.py), minus shipments, which go through PDAs."""
        regions: list[dict[str, Any]] = []
        for c in self.cities.values():
            if not any(r["code"] == c.province.code for r in regions):
                regions.append({"code": c.province.code, "name": c.province.name})
            if c.division.code != c.province.code:
                regions.append(
                    {"code": c.division.code, "name": c.division.name, "parent": c.province.code}
                )
        return {
            "brand": {
                "slug": self.slug,
                "name": f"Simulated brand {self.seed}",
                "scan_base_url": f"https://qr.sim{self.seed}.example",
            },
            "products": [{"sku": "SIM-500", "name": "Simulated lager 500ml"}],
            "regions": regions,
            "dealers": [
                {"code": c.dealer, "name": f"Dealer {c.division.name}", "regions": [code]}
                for code, c in self.cities.items()
            ],
            "stores": [
                {
                    "code": s.code,
                    "name": s.code,
                    "dealer": self.cities[s.city].dealer,
                    "region": s.city,
                    "lat": round(s.lat, 6),
                    "lon": round(s.lon, 6),
                }
                for s in self.stores.values()
                if s.registered
            ],
            "campaigns": [CAMPAIGN | {"starts_at": _iso(self.start_ms - DAY_MS)}],
            "batches": [
                {"name": "caps", "kind": "cap", "count": self.bottles},
                {"name": "bottles", "kind": "bottle", "count": self.bottles},
                {"name": "cases", "kind": "case", "count": len(self.cases)},
            ],
            "packing": [
                {"children": "caps", "parents": "bottles", "per_parent": 1},
                {"children": "bottles", "parents": "cases", "per_parent": CASE},
            ],
            "activations": [
                {"batch": name, "product": "SIM-500", "campaign": "sim"}
                for name in ("caps", "bottles", "cases")
            ],
        }


# Red packets and points as a beer brand runs them; budgets that do not run out in the run, so
# that what risk stops is what is measured.
CAMPAIGN: dict[str, Any] = {
    "slug": "sim",
    "name": "Simulated campaign",
    "status": "active",
    "timezone": "Asia/Shanghai",
    "total_budget_fen": 1_000_000_000,
    "wins_per_consumer_per_day": 20,
    "prize_table": {
        "tiers": [
            {"key": "cash-888", "kind": "cash", "amount_fen": 888, "probability": 0.02},
            {"key": "cash-188", "kind": "cash", "amount_fen": 188, "probability": 0.25},
            {"key": "cash-38", "kind": "cash", "amount_fen": 38, "probability": 0.4},
            {"key": "points-10", "kind": "points", "points": 10, "probability": 0.33},
        ]
    },
}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def build(seed: int, *, cases: int = 1200, start_ms: int = 1_790_000_000_000) -> World:
    rng = random.Random(seed)
    rates = {
        "provinces": rng.randint(4, 7),
        "stores_per_city": rng.randint(4, 8),
        "pda_coverage": rng.uniform(0.6, 1.0),  # dealers that record shipments
        "diverting_dealers": rng.uniform(0.1, 0.25),
        "diverted_share": rng.uniform(0.25, 0.6),  # of a diverting dealer's cases
        "unregistered_outlet": rng.uniform(0.3, 0.7),  # diverted goods sold by shops we know not
    }
    table = divisions()
    provinces = [d for d in table.by_code.values() if d.code.endswith("0000")]
    chosen = rng.sample(sorted(provinces, key=lambda d: d.code), int(rates["provinces"]))
    cities: dict[str, City] = {}
    for p in chosen:
        own = sorted(
            (d for d in table.by_code.values() if d.code[:2] == p.code[:2] and d.code != p.code),
            key=lambda d: d.code,
        )
        prefer = [d for d in own if d.code.endswith("00")] or own or [p]
        for d in rng.sample(prefer, min(2, len(prefer))):
            cities[d.code] = City(d, p, dealer=f"D-{d.code}")
    stores: dict[str, StorePlace] = {}
    for code, c in cities.items():
        for k in range(int(rates["stores_per_city"])):
            s = StorePlace(
                f"S-{code}-{k:02d}",
                code,
                c.division.latitude + rng.gauss(0, 0.04),
                c.division.longitude + rng.gauss(0, 0.04),
                registered=True,
            )
            stores[s.code] = s
            c.stores.append(s.code)
        shop = StorePlace(
            f"X-{code}", code, c.division.latitude, c.division.longitude, registered=False
        )
        stores[shop.code] = shop
    codes = sorted(cities)
    with_pda = {c for c in codes if rng.random() < rates["pda_coverage"]}
    diverting = {c for c in codes if rng.random() < rates["diverting_dealers"]}
    days = 21
    plans = []
    for i in range(cases):
        home = rng.choice(codes)
        shipped = start_ms + int(rng.uniform(0, days * 0.55) * DAY_MS)
        diverted = home in diverting and rng.random() < rates["diverted_share"]
        sold_in = home
        if diverted:
            sold_in = rng.choice(
                [c for c in codes if cities[c].province.code != cities[home].province.code] or codes
            )
        pick_shop = diverted and rng.random() < rates["unregistered_outlet"]
        store = f"X-{sold_in}" if pick_shop else rng.choice(cities[sold_in].stores)
        plans.append(
            CasePlan(
                i,
                cities[home].dealer,
                shipped if home in with_pda else None,
                store,
                diverted and home in with_pda,
            )
        )
    return World(seed, start_ms, days, rates, cities, stores, plans, f"sim-{seed}")
