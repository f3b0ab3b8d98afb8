"""`make bench-dashboard`: every dashboard panel over ten million recorded scans in PostgreSQL.

1. A throw-away PostgreSQL database (BENCH_DASHBOARD_URL; default `onecode_bench` on the local
   server, created if missing, emptied first) gets one brand's BENCH_SCANS scans (default
   10,000,000) over 30 days, written by SQL (generate_series): four campaigns, five products,
   340 cities in 34 provinces (a scan's region is a district of its city half the time), the
   outcomes of a live campaign; a million payouts in every state; two thousand diversion alerts.
2. The rollups are counted from those scans by the code the recorder uses (`rollups.rebuild`).
3. Each panel is called BENCH_CALLS times through the HTTP API (the app in process, as the
   console calls it, bearer token and all) after two warm-up calls; median, p95 and max.
   For contrast, the 30-day totals are also computed once from the raw `scans` table.

Writes bench/out/dashboard.json; docs/benchmarks.md reports it. BENCH_DASHBOARD_REUSE=1 times
the panels again over the database a previous run filled (steps 1 and 2 take most of the
time).
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

URL = os.environ.get(
    "BENCH_DASHBOARD_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/onecode_bench"
)
SCANS = int(os.environ.get("BENCH_SCANS", "10000000"))
CALLS = int(os.environ.get("BENCH_CALLS", "30"))
PAYOUTS = SCANS // 10
REUSE = os.environ.get("BENCH_DASHBOARD_REUSE") == "1"
CHUNK = 1_000_000
OUT = Path("bench/out/dashboard.json")
MAP = Path(__file__).parent.parent / "admin" / "console" / "vendor" / "china.json"


def _database() -> None:
    """Create the bench database if it is missing, and start it empty."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(URL)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": url.database}
        ):
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()
    with create_engine(url).begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


def _cities() -> list[tuple[str, str, float, float]]:
    """(code, name, latitude, longitude): ten cities around each province's centre."""
    provinces = json.loads(MAP.read_text())["features"]
    cities = []
    for p in provinces:
        code, name = p["properties"]["id"], p["properties"]["name"]
        lon, lat = p["properties"]["cp"]
        for k in range(1, 11):
            cities.append((f"{code[:2]}{k:02d}00", f"{name}{k}市", lat + k / 20, lon - k / 20))
    return cities


def _world() -> dict[str, Any]:
    from brands import service as brands
    from brands.models import Dealer
    from infra.db import session_scope
    from rewards import campaigns
    from rewards.campaigns import CampaignSpec

    with session_scope() as s:
        brand = brands.create_brand(
            s, slug="bench", name="Bench Beer", scan_base_url="https://qr.bench.cn"
        )
        products = [
            brands.add_product(s, brand_id=brand.id, sku=f"SKU-{i}", name=f"Lager {i}").id
            for i in range(5)
        ]
        tiers = [{"key": "cash", "kind": "cash", "amount_fen": 188, "probability": 0.3}]
        campaign_ids = [
            campaigns.create_campaign(
                s,
                brand_id=brand.id,
                spec=CampaignSpec.model_validate(
                    {
                        "slug": f"c{i}",
                        "name": f"Campaign {i}",
                        "status": "active",
                        "total_budget_fen": 10**10,
                        "prize_table": {"tiers": tiers},
                    }
                ),
                actor="bench",
            ).id
            for i in range(4)
        ]
        cities = _cities()
        for code in sorted({c[:2] + "0000" for c, *_ in cities}):
            brands.add_region(s, brand_id=brand.id, code=code, name=code, parent_code=None)
        for code, name, _lat, _lon in cities:
            brands.add_region(
                s, brand_id=brand.id, code=code, name=name, parent_code=code[:2] + "0000"
            )
        dealer = Dealer(brand_id=brand.id, code="D1", name="Dealer")
        s.add(dealer)
        s.flush()
        staff = brands.add_staff(s, brand_id=brand.id, username="bench", role="finance")
        token = brands.issue_token(s, staff=staff)
        return {
            "brand_id": brand.id,
            "dealer_id": dealer.id,
            "campaigns": campaign_ids,
            "products": products,
            "cities": cities,
            "token": token,
        }


# One scan a row of generate_series: its role, outcome, campaign, product and place drawn from
# random numbers; recent days busier than old ones, some cities busier than others.
_SCANS_SQL = """
INSERT INTO scans (id, brand_id, at, role, code, batch_id, serial, openid, device_id, ip,
                   latitude, longitude, region_code, user_agent, campaign_id, product_id,
                   outcome, tier, amount_fen, held, risk)
SELECT md5(i::text), :brand, now() - power(r.a, 1.5) * interval '30 days',
       role, 'C' || i, 1, i, 'o' || (i % 3000000), '', '',
       CASE WHEN r.d < 0.7 THEN lat[k] + (r.e - 0.5) / 10 END,
       CASE WHEN r.d < 0.7 THEN lon[k] + (r.e - 0.5) / 10 END,
       CASE WHEN r.e < 0.5 THEN city[k]
            ELSE left(city[k], 4) || lpad((1 + i % 9)::text, 2, '0') END,
       '', camp[1 + i % 4], prod[1 + (i / 7) % 5],
       outcome, CASE WHEN outcome = 'won' THEN 'cash' ELSE '' END,
       CASE WHEN outcome = 'won' THEN 188 ELSE 0 END,
       outcome = 'won' AND r.e < 0.02, NULL
FROM generate_series(:first, :last) AS i
CROSS JOIN LATERAL (SELECT random() + i * 0 AS a, random() + i * 0 AS b, random() + i * 0 AS c,
                           random() + i * 0 AS d, random() + i * 0 AS e) AS r
CROSS JOIN LATERAL (SELECT 1 + floor(power(r.c, 2) * :cities)::int AS k) AS pick
CROSS JOIN LATERAL (
  SELECT CASE WHEN r.b < 0.96 THEN 'consumer' WHEN r.b < 0.985 THEN 'store_redeem'
              WHEN r.b < 0.995 THEN 'guide_sale' ELSE 'store_open_case' END AS role) AS who
CROSS JOIN LATERAL (
  SELECT CASE WHEN role <> 'consumer' THEN 'ok'
              WHEN r.d < 0.25 THEN 'won' WHEN r.d < 0.70 THEN 'thanks'
              WHEN r.d < 0.82 THEN 'already_claimed' WHEN r.d < 0.92 THEN 'repeat'
              WHEN r.d < 0.95 THEN 'blocked' WHEN r.d < 0.96 THEN 'challenge'
              ELSE 'not_activated' END AS outcome) AS what
CROSS JOIN (SELECT CAST(:city AS text[]) AS city, CAST(:lat AS float8[]) AS lat,
                   CAST(:lon AS float8[]) AS lon, CAST(:camp AS int[]) AS camp,
                   CAST(:prod AS int[]) AS prod) AS world
"""

_PAYOUTS_SQL = """
INSERT INTO payouts (id, brand_id, account, openid, amount_fen, campaign_id, region_code, state,
                     bill_no, bills, tries, reason, created_at, updated_at, due_at, paid_at)
SELECT md5('p' || i), :brand, 'consumer:o' || i, 'o' || i, 188, camp[1 + i % 4], '',
       CASE WHEN r < 0.90 THEN 'success' WHEN r < 0.95 THEN 'pending'
            WHEN r < 0.97 THEN 'failed' ELSE 'processing' END,
       'B' || i, 1, 1, '', now(), now(), now(), now()
FROM generate_series(1, :n) AS i
CROSS JOIN LATERAL (SELECT random() + i * 0 AS r) AS x
CROSS JOIN (SELECT CAST(:camp AS int[]) AS camp) AS world
"""

_TALLIES_SQL = """
INSERT INTO payout_tallies (brand_id, campaign_id, state, payouts, amount_fen)
SELECT brand_id, COALESCE(campaign_id, 0), state, COUNT(*), SUM(amount_fen)
FROM payouts GROUP BY brand_id, COALESCE(campaign_id, 0), state
"""

_ALERTS_SQL = """
INSERT INTO diversion_alerts (brand_id, case_batch_id, case_serial, case_code, dealer_id,
                              expected_regions, observed, scans_outside, scans_located, score,
                              first_at, last_at, found_at, status)
SELECT :brand, 1, i, 'K' || i, :dealer, '["440000"]',
       json_build_array(json_build_object('region', city[1 + i % 340], 'name', '',
                                          'scans', 3, 'kinds', '{}'::json)),
       3, 5, 0.8, now() - interval '2 days', now() - (i % 20) * interval '1 day', now(), 'open'
FROM generate_series(1, 2000) AS i
CROSS JOIN (SELECT CAST(:city AS text[]) AS city) AS world
"""


def _fill(world: dict[str, Any]) -> dict[str, float]:
    from rich.progress import Progress
    from sqlalchemy import text

    from infra.db import get_engine, session_scope
    from rewards import rollups

    cities = world["cities"]
    params = {
        "brand": world["brand_id"],
        "cities": len(cities) - 1,
        "city": [c[0] for c in cities],
        "lat": [c[2] for c in cities],
        "lon": [c[3] for c in cities],
        "camp": world["campaigns"],
        "prod": world["products"],
    }
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with Progress() as bar:
        task = bar.add_task("writing scans", total=SCANS)
        for first in range(1, SCANS + 1, CHUNK):
            last = min(SCANS, first + CHUNK - 1)
            with get_engine().begin() as conn:
                conn.execute(text(_SCANS_SQL), {**params, "first": first, "last": last})
            bar.advance(task, last - first + 1)
    with get_engine().begin() as conn:
        conn.execute(text(_PAYOUTS_SQL), {"brand": world["brand_id"], "n": PAYOUTS, **params})
        conn.execute(text(_TALLIES_SQL))
        conn.execute(
            text(_ALERTS_SQL), {"brand": world["brand_id"], "dealer": world["dealer_id"], **params}
        )
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    timings["write_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with Progress() as bar, session_scope() as s:
        task = bar.add_task("counting rollups", total=SCANS)
        rollups.rebuild(s, world["brand_id"], progress=lambda n: bar.advance(task, n))
    timings["rollup_seconds"] = round(time.perf_counter() - started, 1)
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return timings


def _reuse() -> dict[str, Any]:
    """The brand a previous run made, with a fresh token."""
    from brands import service as brands
    from brands.models import Staff
    from infra.db import session_scope

    with session_scope() as s:
        brand = brands.get_brand(s, "bench")
        staff = s.query(Staff).filter_by(brand_id=brand.id, username="bench").one()
        return {"brand_id": brand.id, "token": brands.issue_token(s, staff=staff)}


PANELS = [
    ("totals, 7 days", "/v1/admin/dashboard/totals", {"days": 7}),
    ("totals, 30 days", "/v1/admin/dashboard/totals", {"days": 30}),
    ("totals, 30 days, one campaign", "/v1/admin/dashboard/totals", {"days": 30, "campaign": "c1"}),
    ("by day, 30 days", "/v1/admin/dashboard/breakdown", {"days": 30, "by": "day"}),
    ("by campaign, 30 days", "/v1/admin/dashboard/breakdown", {"days": 30, "by": "campaign"}),
    ("by product, 30 days", "/v1/admin/dashboard/breakdown", {"days": 30, "by": "product"}),
    ("by region, 30 days", "/v1/admin/dashboard/breakdown", {"days": 30, "by": "region"}),
    ("by province, 30 days", "/v1/admin/dashboard/breakdown", {"days": 30, "by": "province"}),
    (
        "by region, 30 days, CSV",
        "/v1/admin/dashboard/breakdown",
        {"days": 30, "by": "region", "format": "csv"},
    ),
    ("map, 30 days", "/v1/admin/dashboard/map", {"days": 30}),
    ("live, last hour", "/v1/admin/dashboard/live", {"minutes": 60}),
    ("live, last day", "/v1/admin/dashboard/live", {"minutes": 1440}),
    ("budgets", "/v1/admin/dashboard/budgets", {}),
    ("payouts by state", "/v1/admin/dashboard/payouts", {}),
]


def _time_panels(token: str) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from onecode.app import create_app

    results = []
    with TestClient(create_app()) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for name, path, params in PANELS:
            for _ in range(2):
                assert client.get(path, params=params, headers=headers).status_code == 200
            times = []
            for _ in range(CALLS):
                started = time.perf_counter()
                r = client.get(path, params=params, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200, r.text
            times.sort()
            results.append(
                {
                    "panel": name,
                    "median_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                    "max_ms": round(times[-1], 1),
                }
            )
            print(
                f"{name:34} median {results[-1]['median_ms']:7.1f} ms"
                f"  max {results[-1]['max_ms']:7.1f} ms"
            )
    return results


def _raw_totals(brand_id: int) -> float:
    from sqlalchemy import text

    from infra.db import get_engine

    started = time.perf_counter()
    with get_engine().connect() as conn:
        conn.execute(
            text(
                "SELECT role, outcome, count(*), sum(amount_fen) FROM scans "
                "WHERE brand_id = :b AND at >= now() - interval '30 days' GROUP BY 1, 2"
            ),
            {"b": brand_id},
        ).all()
    return round((time.perf_counter() - started) * 1000, 1)


def main() -> None:
    os.environ["ONECODE_DATABASE_URL"] = URL
    os.environ.setdefault("ONECODE_DATA_DIR", tempfile.mkdtemp(prefix="onecode-bench-dash-"))
    os.environ.setdefault("ONECODE_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ["ONECODE_RECORDER_IN_API"] = "false"
    os.environ.setdefault("ONECODE_LOG_LEVEL", "WARNING")
    try:
        if not REUSE:
            _database()
    except Exception as exc:  # a fresh machine has no PostgreSQL: say so, not a traceback
        sys.exit(f"bench-dashboard needs PostgreSQL at {URL} ({type(exc).__name__}: {exc})")
    from sqlalchemy import func, select

    from infra.db import session_scope
    from infra.logging import configure_logging
    from infra.migrate import upgrade
    from rewards.models import ScanDay, ScanMinute, ScanPlaceDay

    configure_logging()
    upgrade()
    if REUSE:
        world, timings = _reuse(), {}
    else:
        world = _world()
        timings = _fill(world)
    with session_scope() as s:
        rows = {
            t.__tablename__: s.scalar(select(func.count()).select_from(t))
            for t in (ScanDay, ScanPlaceDay, ScanMinute)
        }
    panels = _time_panels(world["token"])
    result = {
        "scans": SCANS,
        "payouts": PAYOUTS,
        "calls_per_panel": CALLS,
        **timings,
        "rollup_rows": rows,
        "raw_scans_totals_30_days_ms": _raw_totals(world["brand_id"]),
        "panels": panels,
        "slowest_median_ms": max(p["median_ms"] for p in panels),
        "slowest_max_ms": max(p["max_ms"] for p in panels),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "panels"}, indent=2))


if __name__ == "__main__":
    main()
