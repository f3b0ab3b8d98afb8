"""Fault scenarios: consumers scan under steady load while one part of the deployment fails,
then the books are checked (loadtests/audit.py, rewards/books.py).

`python -m loadtests.faults [SCENARIO ...] [--seconds S] [--rate R]` runs them against a
deployment of its own (loadtests/stack.py) over ONECODE_DATABASE_URL's server or SQLite, and
writes loadtests/out/faults.json; tests/test_faults.py runs each with a pass/fail check.

Each scenario passes when, once the fault is healed and the write-behind and payouts settle:
- every prize a client was told it won is an award of that amount (none lost);
- the books balance: awards = ledger = paid + in flight + waiting + held + voided, the ledger's
  payouts are the provider's, no payout paid twice, no code claimed or awarded twice, no
  campaign over budget (a small budget, so that it runs out under the load).
What each fault cost the clients (refused scans, errors, latency) is recorded beside.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from loadtests.stack import Stack

# 25% cash of 188 fen and 10% vouchers of 450 cost ~92 fen a claim: the budget is what 40% of
# the run's scans would cost, so it runs out mid-run, and the rest of the run draws against it.
FEN_PER_SCAN = 92
BUDGET_SHARE = 0.4
SETTLE_SECONDS = 240


@dataclass
class Answer:
    at: float  # seconds since the load started
    status: int  # 0: no answer (connection refused or dropped, timeout)
    ms: float
    outcome: str = ""
    scan_id: str = ""
    fen: int = 0
    repeat: bool = False


@dataclass
class Traffic:
    answers: list[Answer] = field(default_factory=list)
    claimed: list[tuple[str, str, str]] = field(default_factory=list)  # code, openid, scan id

    def announced(self) -> dict[str, int]:
        """Prizes the clients were told they won (first answers, not repeats): scan id -> fen."""
        return {a.scan_id: a.fen for a in self.answers if a.outcome == "won" and not a.repeat}

    def summary(self, window: tuple[float, float]) -> dict[str, Any]:
        def stats(answers: list[Answer]) -> dict[str, Any]:
            ms = sorted(a.ms for a in answers if a.status == 200)
            return {
                "requests": len(answers),
                "by_status": dict(Counter(str(a.status) for a in answers)),
                "p50_ms": round(ms[len(ms) // 2], 1) if ms else None,
                "p99_ms": round(ms[int(len(ms) * 0.99)], 1) if ms else None,
            }

        during = [a for a in self.answers if window[0] <= a.at < window[1]]
        return {
            "all": stats(self.answers),
            "during_fault": stats(during),
            "outcomes": dict(Counter(a.outcome for a in self.answers if a.outcome)),
        }


def _body(code: str, n: int) -> dict[str, Any]:
    return {
        "code": code,
        "openid": f"c-{n}",
        "device_id": f"d-{n}",
        "latitude": 23.13,
        "longitude": 113.26,
        "region_code": "440100",
    }


async def drive(url: str, caps: Iterator[str], *, rate: float, seconds: float) -> Traffic:
    """Consumers arriving at `rate` a second (exponential gaps) for `seconds`, each from their own
    phone and address; one in ten scans again a cap they claimed (the answer must repeat)."""
    traffic = Traffic()
    start = time.monotonic()
    numbers = itertools.count()
    limit = asyncio.Semaphore(400)  # a dead server must not pile up unbounded requests

    async def one(client: httpx.AsyncClient, body: dict[str, Any], address: str) -> None:
        async with limit:
            sent = time.monotonic()
            answer = Answer(at=sent - start, status=0, ms=0.0)
            try:
                r = await client.post(
                    "/v1/scan/consumer", json=body, headers={"X-Forwarded-For": address}
                )
                answer.status = r.status_code
                if r.status_code == 200:
                    data = r.json()
                    prize = data.get("prize") or {}
                    answer.outcome = data["outcome"]
                    answer.scan_id = data["scan_id"]
                    answer.repeat = bool(data.get("repeat"))
                    answer.fen = int(prize.get("amount_fen") or 0) + int(
                        (prize.get("voucher") or {}).get("subsidy_fen") or 0
                    )
                    if answer.outcome in ("won", "thanks") and not answer.repeat:
                        traffic.claimed.append((body["code"], body["openid"], answer.scan_id))
            except httpx.HTTPError:
                pass
            answer.ms = (time.monotonic() - sent) * 1000
            traffic.answers.append(answer)

    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        tasks = set()
        next_at = start
        rng = random.Random(7)
        while (now := time.monotonic()) - start < seconds:
            if next_at > now:
                await asyncio.sleep(next_at - now)
            next_at += rng.expovariate(rate)
            n = next(numbers)
            if traffic.claimed and rng.random() < 0.1:
                code, openid, _ = rng.choice(traffic.claimed)
                body = _body(code, 0) | {"openid": openid, "device_id": "d-" + openid[2:]}
            else:
                body = _body(next(caps), n)
            task = asyncio.create_task(
                one(client, body, f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return traffic


# -- the scenarios: what fails, when (a fraction of the run), and for how long --------------


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    inject: Callable[[Stack], None]
    heal: Callable[[Stack], None]
    starts: float = 1 / 3  # of the run
    lasts: float | None = 2.0  # seconds, for the record (None: to the end of the load)
    env: dict[str, str] = field(default_factory=dict)


def _restart_redis(stack: Stack) -> None:
    stack.redis.kill()
    time.sleep(2)
    stack.redis.start()


def _kill_worker(stack: Stack) -> None:
    stack.kill("worker-0")
    time.sleep(2)
    stack.start_worker()


def _kill_api(stack: Stack) -> None:
    stack.kill("api")
    stack.start_api()


_DB_DOWN_SECONDS = 30.0


def _database_down(stack: Stack) -> None:
    with stack.database_down():
        time.sleep(_DB_DOWN_SECONDS)


def _provider_misbehaves(stack: Stack) -> None:
    stack.sandbox_faults(
        rate_limit_rps=0,
        slow_ms=1500,
        error_before_rate=0.1,
        error_after_rate=0.1,
        hang_after_rate=0.05,
        hang_seconds=8,
        fail_rate=0.05,
    )


def _nothing(stack: Stack) -> None:
    return None


def _provider_heals(stack: Stack) -> None:
    stack.sandbox_faults(rate_limit_rps=0)


def _worker_mid_payout(stack: Stack) -> None:
    """The provider answers slowly, so the worker is inside a payout when it is killed."""
    stack.sandbox_faults(rate_limit_rps=0, slow_ms=3000)
    time.sleep(4)
    _kill_worker(stack)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "redis_restart",
            "redis-server killed (SIGKILL, appendfsync always) and started again 2 s later",
            _restart_redis,
            _nothing,
        ),
        Scenario(
            "worker_killed",
            "the payout worker killed (SIGKILL) inside a payout, a new one started 2 s later",
            _worker_mid_payout,
            _provider_heals,
            starts=0.2,
            lasts=6.0,
            # The dead worker's payouts go to the next after their lease: 10 s here, so the
            # scenario settles in its time (60 s by default; see docs/payouts.md).
            env={"ONECODE_PAYOUT_LEASE_SECONDS": "10"},
        ),
        Scenario(
            "database_down",
            f"the database unreachable for {_DB_DOWN_SECONDS:.0f} s (PostgreSQL: connections "
            "dropped and refused; SQLite: its write lock held)",
            _database_down,
            _nothing,
            starts=0.2,
            lasts=_DB_DOWN_SECONDS,
        ),
        Scenario(
            "provider_faults",
            "the payment provider slow (1.5 s an answer) and failing (10% 5xx before, 10% "
            "after the transfer, 5% hanging 8 s, 5% of transfers FAIL) for the whole load",
            _provider_misbehaves,
            _provider_heals,
            starts=0.0,
            lasts=None,
        ),
        Scenario(
            "api_killed",
            "every API process killed (SIGKILL) mid-load and started again",
            _kill_api,
            _nothing,
        ),
    )
}


def run(
    name: str,
    work: Path,
    *,
    database_url: str | None,
    seconds: float = 30,
    rate: float = 60,
) -> dict[str, Any]:
    """One scenario on a fresh deployment; returns its figures and its verdict (`passed`)."""
    scenario = SCENARIOS[name]
    # A database fault runs long; the load outlasts it by the run's usual length.
    if name == "database_down":
        seconds = max(seconds, _DB_DOWN_SECONDS + seconds)
    stack = Stack(work, database_url=database_url, env=scenario.env)
    stack.start()
    try:
        world_file = work / "world.json"
        done = subprocess.run(
            [
                sys.executable, "-m", "loadtests.world", str(world_file),
                "--caps", str(int(rate * seconds * 1.2) + 100),
                "--budget-fen", str(int(rate * seconds * BUDGET_SHARE * FEN_PER_SCAN)),
            ],
            env=stack.env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(done.stderr[-3000:])
        world = json.loads(world_file.read_text())
        fault_at = scenario.starts * seconds

        async def load_and_fault() -> tuple[Traffic, tuple[float, float]]:
            """The load, and the fault injected into it; with when the fault began and ended,
            in seconds since the load started."""

            async def fault() -> tuple[float, float]:
                await asyncio.sleep(fault_at)
                began = time.monotonic()
                await asyncio.to_thread(scenario.inject, stack)
                return began, time.monotonic()

            started = time.monotonic()
            traffic, (began, ended) = await asyncio.gather(
                drive(stack.url, iter(world["caps"]), rate=rate, seconds=seconds), fault()
            )
            if scenario.lasts is None:
                return traffic, (began - started, seconds)
            return traffic, (began - started, max(ended, began + scenario.lasts) - started)

        traffic, window = asyncio.run(load_and_fault())
        scenario.heal(stack)
        announced = traffic.announced()
        (work / "announced.json").write_text(json.dumps(announced))
        audit, waited = settle(stack, world_file, work / "announced.json")
    finally:
        stack.stop()
    books = audit["books"]
    checks = {
        "no_announced_prize_lost": audit["announced_missing"] == 0
        and audit["announced_wrong_amount"] == 0,
        "books_balance": books["balanced"],
        "provider_paid_what_the_ledger_says": audit["provider"]["paid_fen"] == books["paid_fen"]
        and audit["provider"]["payouts_paid_twice"] == 0,
        "all_written_and_paid": audit["events_unwritten"] == 0 and audit["payouts_not_final"] == 0,
        "budget_not_exceeded": all(
            b["spent_fen"] <= b["budget_fen"] for b in books["budgets"].values()
        ),
    }
    return {
        "scenario": name,
        "fault": scenario.what,
        "seconds": seconds,
        "offered_per_second": rate,
        "fault_window_s": [round(t, 1) for t in window],
        "clients": traffic.summary(window),
        "settled_in_s": round(waited, 1),
        "audit": audit,
        "checks": checks,
        "passed": all(checks.values()),
    }


def settle(stack: Stack, world: Path, announced: Path) -> tuple[dict[str, Any], float]:
    """Audit until the write-behind has written everything and every payout is final."""
    began = time.monotonic()
    while True:
        out = subprocess.run(
            [sys.executable, "-m", "loadtests.audit", str(world), str(announced)],
            env=stack.env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        audit: dict[str, Any] = json.loads(out.stdout)
        waited = time.monotonic() - began
        settled = audit["events_unwritten"] == 0 and audit["payouts_not_final"] == 0
        if settled or waited > SETTLE_SECONDS:
            return audit, waited
        time.sleep(2)


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=", ".join(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=60, help="Consumer scans offered a second.")
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"no scenario {', '.join(sorted(unknown))}; there are {', '.join(SCENARIOS)}")
    results = []
    for name in args.scenarios or SCENARIOS:
        with tempfile.TemporaryDirectory(prefix=f"onecode-{name}-") as tmp:
            result = run(
                name,
                Path(tmp),
                database_url=os.environ.get("ONECODE_DATABASE_URL"),
                seconds=args.seconds,
                rate=args.rate,
            )
        results.append(result)
        print(json.dumps({k: result[k] for k in ("scenario", "passed", "checks", "clients")}))
    out = Path("loadtests/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "faults.json").write_text(json.dumps(results, indent=2))
    if not all(r["passed"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
