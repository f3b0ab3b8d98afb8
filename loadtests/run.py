"""`make load` and `make soak`: the population (loadtests/population.py) against a deployment
started for it (loadtests/stack.py), headless, then the books.

    python -m loadtests.run [--users 60] [--seconds 60] [--rate 2] [--soak] [--payout-rate 0]

Writes to loadtests/out/: locust's CSV (`load_stats.csv`, `load_stats_history.csv`, …) and
HTML report (`load.html`), the resources sampled every 5 s (`resources.csv`: each process's
memory, Redis's memory, the write-behind's backlog, the payout queue), and `load.json`: the
figures, the books after the run settles, and whether memory and queues stayed flat (each
column's middle and last third, and its trend a minute).

`--soak` first measures the consumer scan's peak (flat out, consumers only, 20 s), then offers
70% of it with the whole population for ten minutes (`--seconds` to change).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import redis

from loadtests import DEFAULT_WEIGHTS
from loadtests.faults import settle
from loadtests.stack import Stack

OUT = Path("loadtests/out")
SAMPLE_EVERY = 5.0


def _locust(
    stack: Stack, world: Path, prefix: Path, *, users: int, seconds: int, env: dict[str, str]
) -> None:
    subprocess.run(
        [
            sys.executable, "-m", "locust", "-f", "loadtests/population.py", "--headless",
            "--users", str(users), "--spawn-rate", str(max(1, users // 5)),
            "--run-time", f"{seconds}s", "--host", stack.url,
            "--csv", str(prefix), "--csv-full-history", "--html", f"{prefix}.html",
            "--only-summary", "--stop-timeout", "10",
        ],
        env=stack.env | {"ONECODE_LOAD_WORLD": str(world)} | env,
        check=False,  # locust exits 1 when any request failed; the report says which
        stdout=subprocess.DEVNULL,
        stderr=open(prefix.with_suffix(".log"), "w"),  # noqa: SIM115
    )  # fmt: skip


def _consumers(users: int) -> int:
    """How many of `users` locust makes consumers, by the default weights."""
    weights = dict(pair.split("=") for pair in DEFAULT_WEIGHTS.split(","))
    return max(1, round(users * int(weights["consumer"]) / sum(map(int, weights.values()))))


def _seed(stack: Stack, path: Path, *, caps: int, full: bool = False) -> Path:
    """A world of `caps` fresh caps; `full`: with cases, stores, guides and PDAs too."""
    extra = ["--packed-cases", "2000", "--pda-cases", "5000", "--stores", "20", "--guides", "10"]
    print(f"seeding {caps:,} caps" + (", cases, stores, guides, PDAs" if full else ""), flush=True)
    subprocess.run(
        [sys.executable, "-m", "loadtests.world", str(path), "--caps", str(caps)]
        + (extra if full else []),
        env=stack.env,
        check=True,
    )
    return path


def _stats(prefix: Path) -> dict[str, dict[str, float]]:
    with open(f"{prefix}_stats.csv") as fh:
        return {
            row["Name"]: {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "per_second": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]),
                "p99_ms": float(row["99%"]),
            }
            for row in csv.DictReader(fh)
        }


class Sampler(threading.Thread):
    """Every few seconds: each part's resident memory, Redis's memory, the events the
    write-behind has not written yet, and the payouts waiting in the queue."""

    def __init__(self, stack: Stack, brand_id: int) -> None:
        super().__init__(daemon=True)
        self.stack, self.brand_id = stack, brand_id
        self.rows: list[dict[str, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        from rewards.claims import events_key

        client = self.stack.redis_client()
        began = time.monotonic()
        while not self.stop.wait(SAMPLE_EVERY):
            row: dict[str, float] = {"t": round(time.monotonic() - began, 1)}
            for name, pids in self.stack.pids().items():
                rss = 0
                for pid in pids:
                    try:
                        rss += psutil.Process(pid).memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
                row[f"{name}_rss_mb"] = round(rss / 2**20, 1)
            info = client.info("memory")
            row["redis_used_mb"] = round(int(info["used_memory"]) / 2**20, 2)
            row["redis_keys"] = int(client.dbsize())
            row["events_backlog"] = int(client.xlen(events_key(self.brand_id)))
            row["payout_queue"] = int(client.llen("rq:queue:payouts"))
            self.rows.append(row)


def flatness(rows: list[dict[str, float]], column: str) -> dict[str, float]:
    """The column over the run's second third and its last third, and its trend a minute over
    the last two thirds: a leak shows as growth between them once warm-up is over; a queue
    that keeps up stays near its middle level, with a trend near zero."""
    pairs = [(r["t"], r[column]) for r in rows if column in r]
    values = [v for _, v in pairs]
    third = max(1, len(values) // 3)
    middle, last = values[third : 2 * third] or values, values[-third:]
    found = {
        "middle_mean": round(sum(middle) / len(middle), 2),
        "last_mean": round(sum(last) / len(last), 2),
        "max": max(values),
        "per_minute": round(60 * _slope(pairs[third:] if len(pairs) > 2 else pairs), 2),
    }
    if column.endswith("_mb"):
        found["growth"] = round(found["last_mean"] / max(1e-9, found["middle_mean"]) - 1, 3)
    return found


def _slope(pairs: list[tuple[float, float]]) -> float:
    """Least-squares slope of (t, value): 0 for fewer than two distinct times."""
    if len({t for t, _ in pairs}) < 2:
        return 0.0
    ts, vs = [t for t, _ in pairs], [v for _, v in pairs]
    slope, _ = statistics.linear_regression(ts, vs)
    return slope


def _redis_per_scan(rows: list[dict[str, float]], scans: int) -> float:
    """Redis memory added a consumer scan over the run, in bytes: the claims and the risk
    windows a scan leaves, which expire with their windows (a day to a month) or stay with
    their code (a claim)."""
    used = [r["redis_used_mb"] for r in rows if "redis_used_mb" in r]
    return round((used[-1] - used[0]) * 2**20 / max(1, scans)) if len(used) > 1 else 0.0


def keys_without_expiry(client: redis.Redis) -> dict[str, dict[str, int]]:
    """Keys that never expire, by kind (`claims`, `risk:a`, …), with the bytes they hold: what
    Redis keeps for good. Every other key leaves with its window, so Redis's memory is bounded
    by the windows (at most a month, an account's record) and by the codes printed (a claim)."""
    kinds: dict[str, dict[str, int]] = {}
    keys = client.scan_iter(count=5000)
    while chunk := list(itertools.islice(keys, 5000)):
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.ttl(key)
        kept = [k for k, ttl in zip(chunk, pipe.execute(), strict=True) if ttl == -1]
        for key in kept:
            pipe.memory_usage(key, samples=0)  # every element counted, not a sample's guess
        for key, size in zip(kept, pipe.execute(), strict=True):
            found = kinds.setdefault(_kind(key.decode()), {"keys": 0, "bytes": 0})
            found["keys"] += 1
            found["bytes"] += int(size or 0)
    return dict(sorted(kinds.items()))


def _kind(name: str) -> str:
    parts = name.split(":")
    if parts[0] != "oc" or len(parts) < 3:  # rq's queues and registries, and the like
        return ":".join(parts[:2])
    return ":".join(parts[2:4] if parts[2] == "risk" else parts[2:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=60, help="Locust users in all.")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=2.0, help="Scans a second a consumer.")
    parser.add_argument("--soak", action="store_true", help="70%% of the peak for 10 minutes.")
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument(
        "--payout-rate",
        type=float,
        default=0,
        help="Provider calls a second shared by the workers (ONECODE_PAYOUT_RATE_PER_SECOND); "
        "0, the default: none, as the sandbox has none. With production's 90 a second, a load "
        "that wins more red packets than that builds a backlog by design (docs/scaling.md).",
    )
    args = parser.parse_args()
    seconds = args.seconds if not args.soak or args.seconds != 60 else 600
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="onecode-load-"))
    stack = Stack(
        work,
        database_url=os.environ.get("ONECODE_DATABASE_URL"),
        api_workers=args.api_workers,
        # Two of each: they share the work through Redis and PostgreSQL alone.
        recorders=2,
        workers=2,
        # As docs/scan-path.md recommends for production; the load comes from 10.x addresses
        # behind this machine's loopback (uvicorn trusts X-Forwarded-For from 127.0.0.1).
        redis_fsync="always",
        env={"ONECODE_PAYOUT_RATE_PER_SECOND": str(args.payout_rate)},
    )
    print(f"starting the deployment in {work}", flush=True)
    stack.start()
    results: dict[str, Any] = {
        "users": args.users,
        "seconds": seconds,
        "payout_rate_per_second": args.payout_rate,
    }
    try:
        rate = args.rate
        if args.soak:
            print("measuring the consumer scan's peak (20 s flat out, consumers only)", flush=True)
            peak_world = _seed(stack, work / "peak-world.json", caps=60_000)
            _locust(
                stack, peak_world, OUT / "peak", users=32, seconds=20,
                env={"ONECODE_LOAD_WEIGHTS": "consumer=1", "ONECODE_LOAD_RATE": "0"},
            )  # fmt: skip
            peak = _stats(OUT / "peak")["scan: fresh"]["per_second"]
            rate = round(0.7 * peak / _consumers(args.users), 3)
            results |= {"peak_scans_per_second": peak, "offered_scans_per_second": 0.7 * peak}
        scans = rate * _consumers(args.users) * seconds
        world = _seed(stack, work / "world.json", caps=int(scans * 1.15) + 10_000, full=True)
        brand_id = json.loads(world.read_text())["brand_id"]
        print(f"running the population: {args.users} users for {seconds} s", flush=True)
        sampler = Sampler(stack, brand_id)
        sampler.start()
        prefix = OUT / ("soak" if args.soak else "load")
        _locust(
            stack, world, prefix, users=args.users, seconds=seconds,
            env={"ONECODE_LOAD_RATE": str(rate)},
        )  # fmt: skip
        sampler.stop.set()
        sampler.join()
        kept = keys_without_expiry(stack.redis_client())
        results["keys_without_expiry"] = kept
        with open(OUT / "resources.csv", "w", newline="") as fh:
            columns = sorted({k for r in sampler.rows for k in r}, key=lambda k: (k != "t", k))
            writer = csv.DictWriter(fh, columns)
            writer.writeheader()
            writer.writerows(sampler.rows)
        print("settling: the write-behind and the payouts", flush=True)
        (work / "announced.json").write_text("{}")
        audit, waited = settle(stack, world, work / "announced.json")
        stats = _stats(prefix)
        scans = int(sum(v["requests"] for k, v in stats.items() if k.startswith("scan:")))
        results |= {
            "rate_per_consumer": rate,
            "requests": stats,
            "flat": {
                column: flatness(sampler.rows, column)
                for column in sorted({k for r in sampler.rows for k in r} - {"t"})
            },
            "redis_bytes_per_scan": _redis_per_scan(sampler.rows, scans),
            "redis_kept_bytes_per_scan": round(
                sum(k["bytes"] for k in kept.values()) / max(1, scans)
            ),
            "payouts_per_second": round(
                sum(audit["books"]["payouts_by_state"].values()) / seconds, 1
            ),
            "settled_in_s": round(waited, 1),
            "books": audit["books"],
            "outcomes": audit["outcomes"],
            "provider": audit["provider"],
        }
    finally:
        stack.stop()
    (OUT / f"{prefix.name}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps({k: results[k] for k in ("requests", "flat") if k in results}, indent=1))
    print(f"books balanced: {results.get('books', {}).get('balanced')}; report: {prefix}.html")


if __name__ == "__main__":
    main()
