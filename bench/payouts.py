"""Payout throughput with two `onecode worker` processes against the sandbox provider.

1. The sandbox's rate limit on (100 requests a second per merchant) and the workers sharing
   their rate in Redis: how close to the limit they run, and how many calls were refused.
2. The limit off: payouts a second.

Each run owes BENCH_PAYOUTS red packets, queues them, starts the workers in burst mode (they
stop when the queue is empty) and times them; then every bill is reconciled with the sandbox.
Writes bench/out/payouts.json.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

PORT = int(os.environ.get("BENCH_SANDBOX_PORT", "8911"))
PAYOUTS = int(os.environ.get("BENCH_PAYOUTS", "10000"))
LIMITED_PAYOUTS = int(os.environ.get("BENCH_LIMITED_PAYOUTS", "2000"))
WORKERS = 2


def _owe(brand_id: int, count: int) -> list[str]:
    from infra.db import session_scope
    from payouts.owing import Owed, owe

    now = datetime.now(UTC)
    with session_scope() as s:
        return owe(
            s,
            [
                Owed(uuid.uuid4().hex, brand_id, now, "consumer", f"b-{i}", 100 + i % 50, None)
                for i in range(count)
            ],
        )


def _run(env: dict[str, str], brand_id: int, count: int, rate: float) -> dict[str, Any]:
    from sqlalchemy import func, select

    from infra.db import session_scope
    from payouts import jobs
    from payouts.models import Payout, PayoutEvent
    from payouts.provider import HttpProvider
    from payouts.reconcile import reconcile

    ids = _owe(brand_id, count)
    jobs.enqueue(ids)
    run_env = env | {"ONECODE_PAYOUT_RATE_PER_SECOND": str(rate)}
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "onecode.cli", "worker", "--burst"],
            env=run_env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(WORKERS)
    ]
    for w in workers:
        w.wait(timeout=3600)
    seconds = time.perf_counter() - started
    with session_scope() as s:
        states = dict(
            s.execute(
                select(Payout.state, func.count()).where(Payout.id.in_(ids)).group_by(Payout.state)
            ).all()
        )
        refused = s.scalar(
            select(func.count())
            .select_from(PayoutEvent)
            .where(PayoutEvent.payout_id.in_(ids), PayoutEvent.detail.contains("RateLimited"))
        )
        provider = HttpProvider(f"http://127.0.0.1:{PORT}", "1900000001", "sandbox")
        report = reconcile(s, provider, date.today())
        ours = set(s.scalars(select(Payout.bill_no).where(Payout.id.in_(ids))))
    differences = [d for d in report.differences if d.bill_no in ours]
    # The provider's clock: when it created each of our bills, first to last.
    created = sorted(
        datetime.fromisoformat(b.created_at)
        for b in provider.bills_of_day(date.today())
        if b.bill_no in ours
    )
    span = (created[-1] - created[0]).total_seconds()
    return {
        "payouts": count,
        "workers": WORKERS,
        "seconds": round(seconds, 2),
        "payouts_per_second": round(count / seconds, 1),
        # Transfers a second at the provider, first to last: without the workers' start-up.
        "steady_payouts_per_second": round((len(created) - 1) / span, 1),
        "states": states,
        "refused_for_rate": refused,
        "reconciled_differences": len(differences),
    }


def main() -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="onecode-payoutbench-"))
    env = dict(os.environ) | {
        "ONECODE_DATA_DIR": os.environ.get("ONECODE_DATA_DIR", str(work / "data")),
        "ONECODE_MASTER_KEY": os.environ.get(
            "ONECODE_MASTER_KEY", base64.b64encode(os.urandom(32)).decode()
        ),
        "ONECODE_LOG_LEVEL": "WARNING",
        "ONECODE_PAYOUT_PROVIDER_URL": f"http://127.0.0.1:{PORT}",
    }
    os.environ.update(env)
    from brands import service as brands
    from infra.db import session_scope
    from infra.migrate import upgrade

    upgrade()
    with session_scope() as s:
        brand_id = brands.create_brand(
            s, slug=f"pay-{os.getpid()}", name="Payout bench", scan_base_url="https://qr.b.cn"
        ).id
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "onecode.cli", "sandbox", "--port", str(PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    faults = f"http://127.0.0.1:{PORT}/sandbox/faults"
    try:
        for _ in range(100):
            try:
                httpx.post(faults, json={"rate_limit_rps": 100}).raise_for_status()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        limited = _run(env, brand_id, LIMITED_PAYOUTS, rate=95)
        httpx.post(faults, json={"rate_limit_rps": 0}).raise_for_status()
        unlimited = _run(env, brand_id, PAYOUTS, rate=0)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    return {
        "sandbox_limit_100_per_second_workers_at_95": limited,
        "no_rate_limit": unlimited,
    }


if __name__ == "__main__":
    results = json.dumps(main(), indent=2)
    Path("bench/out").mkdir(parents=True, exist_ok=True)
    Path("bench/out/payouts.json").write_text(results)
    print(results)
