"""Consumer scans per second against a bare validated endpoint, side by side, one server.

Seeds a brand with a running campaign and fresh activated caps in a throw-away data dir, starts
one uvicorn process serving bench/bare_app.py, then sends the same number of requests with the
same concurrency to `/bench/bare` and to `/v1/scan/consumer` (every scan a fresh cap), and
reports requests per second, latency percentiles and the ratio.
"""

from __future__ import annotations

import asyncio
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx

PORT = int(os.environ.get("BENCH_PORT", "8765"))
REQUESTS = int(os.environ.get("BENCH_SCANS", "6000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))


def _seed(caps: int) -> list[str]:
    import codegen
    from brands import service as brands
    from infra.db import session_scope
    from infra.migrate import upgrade
    from rewards import campaigns
    from rewards.campaigns import CampaignSpec

    upgrade()
    with session_scope() as s:
        b = brands.create_brand(s, slug="bench", name="Bench", scan_base_url="https://qr.bench.cn")
        brands.add_product(s, brand_id=b.id, sku="LAGER-500", name="Lager")
        campaigns.create_campaign(
            s,
            brand_id=b.id,
            actor="bench",
            spec=CampaignSpec.model_validate(
                {
                    "slug": "bench",
                    "name": "Bench",
                    "status": "active",
                    "total_budget_fen": 10**12,
                    "prize_table": {
                        "tiers": [
                            {
                                "key": "cash-188",
                                "kind": "cash",
                                "amount_fen": 188,
                                "probability": 0.3,
                            },
                            {
                                "key": "points-10",
                                "kind": "points",
                                "points": 10,
                                "probability": 0.5,
                            },
                        ]
                    },
                }
            ),
        )
        batch = codegen.issue_batch(s, brand_id=b.id, kind="cap", count=caps)
        codegen.activate_range(
            s,
            brand_id=b.id,
            batch_id=batch.id,
            start_index=0,
            count=caps,
            binding=codegen.Binding("LAGER-500", campaign_slug="bench"),
        )
        return [codegen.code_at(s, batch, i) for i in range(caps)]


async def _load(path: str, bodies: list[dict[str, Any]]) -> dict[str, float]:
    latencies: list[float] = []
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                t = time.perf_counter()
                r = await client.post(path, json=body)
                latencies.append(time.perf_counter() - t)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(bodies),
        "per_second": round(len(bodies) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
    }


def main() -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="onecode-scanbench-")
    env = os.environ | {
        "ONECODE_DATA_DIR": data_dir,
        "ONECODE_MASTER_KEY": os.environ.get(
            "ONECODE_MASTER_KEY", base64.b64encode(os.urandom(32)).decode()
        ),
        "ONECODE_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    warmup = 500
    codes = _seed(REQUESTS + warmup)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(PORT),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{PORT}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        bodies = [
            {
                "code": c,
                "openid": f"bench-{i}",
                "device_id": f"d-{i % 997}",
                "latitude": 23.1,
                "longitude": 113.3,
            }
            for i, c in enumerate(codes)
        ]
        asyncio.run(_load("/v1/scan/consumer", bodies[:warmup]))
        asyncio.run(_load("/bench/bare", bodies[:warmup]))
        bare = asyncio.run(_load("/bench/bare", bodies[warmup:]))
        scan = asyncio.run(_load("/v1/scan/consumer", bodies[warmup:]))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {
        "concurrency": CONCURRENCY,
        "bare_validated_endpoint": bare,
        "consumer_scan": scan,
        "ratio_scan_to_bare": round(scan["per_second"] / bare["per_second"], 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
