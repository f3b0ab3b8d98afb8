"""Risk on simulated markets the model never saw.

1. Train: play BENCH_RISK_TRAIN worlds (seeds) through the product with rules only, label
   their accounts with the simulator's truth, train one model on all their scans.
2. Test: for each BENCH_RISK_TEST seed, a new world (other provinces, rates, rings), the model
   promoted for its brand, the campaign on the default risk policy, its traffic played through
   the real scan pipeline with the ring job running as often as production's workers queue it
   (ONECODE_RISK_RINGS_EVERY_HOURS, every 6 hours by default). Then, from the scan records:
   - fraud scans held or blocked (precision, recall), the share of wool-party money stopped
     (expected prize of each fraud scan; a lowered prize counts the difference);
   - honest consumers inconvenienced: accounts with any scan held, blocked or challenged;
   - diversion: shipped cases alerted among those diverted (with any located evidence) and
     the share of alerts that are false;
   - the model's single-row latency (p50, p99) on the test scans' features.
Writes bench/out/risk.json.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Twenty markets: four, six and then ten were too few for the worlds it is tested on (docs/risk.md).
_TWENTY = ",".join(str(seed) for seed in range(11, 31))
TRAIN = [int(s) for s in os.environ.get("BENCH_RISK_TRAIN", _TWENTY).split(",")]
MODEL = os.environ.get("BENCH_RISK_MODEL", "")  # a model file to test instead of training
TEST = [int(s) for s in os.environ.get("BENCH_RISK_TEST", "101,102,103").split(",")]
CASES = int(os.environ.get("BENCH_RISK_CASES", "800"))
STOPPED = ("hold", "block", "rate_limited")  # rate_limited: risk/limits.py
INCONVENIENT = ("hold", "block", "challenge", "rate_limited")


def _progress(label: str) -> Any:
    def show(n: int, total: int) -> None:
        print(f"\r{label}: {n}/{total} events", end="", flush=True)

    return show


def _evaluate(played: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from codegen.models import CodeBatch
    from infra.db import session_scope
    from rewards.models import ScanRecord
    from risk import diversion
    from risk.training import expected_fen
    from simulator.world import CAMPAIGN

    tiers = CAMPAIGN["prize_table"]["tiers"]
    worth = expected_fen(CAMPAIGN["prize_table"])
    cheapest = min(t["amount_fen"] for t in tiers if t.get("amount_fen"))
    # "lower" keeps only the cheapest paying tier (rewards/consumer_scan.py)
    lowered = expected_fen({"tiers": [t for t in tiers if t.get("amount_fen") == cheapest]})
    fraud_ids = played.traffic.fraud_accounts
    b = played.brand_id
    with session_scope() as s:
        rows = s.execute(
            select(ScanRecord.openid, ScanRecord.risk).where(
                ScanRecord.brand_id == b, ScanRecord.role == "consumer"
            )
        ).all()
        counted = [(o, r) for o, r in rows if r and r.get("x")]
        fraud = [(o, r) for o, r in counted if o in fraud_ids]
        honest = [(o, r) for o, r in counted if o not in fraud_ids]
        stopped_f = sum(1 for _, r in fraud if r["action"] in STOPPED)
        stopped_h = sum(1 for _, r in honest if r["action"] in STOPPED)
        money = len(fraud) * worth
        saved = sum(
            worth if r["action"] in STOPPED else (worth - lowered if r["action"] == "lower" else 0)
            for _, r in fraud
        )
        honest_accounts = {o for o, _ in honest}
        bothered = {o for o, r in honest if r["action"] in INCONVENIENT}
        why = Counter(
            reason for _, r in honest if r["action"] in INCONVENIENT for reason in r["reasons"]
        )
        by_style: dict[str, list[int]] = {}
        style_of = {}
        for e in played.traffic.events:
            if e["type"] == "consumer" and e["fraud"]:
                style_of[e["openid"]] = e["style"]
        _write_scans(played.world.seed, counted, style_of)
        for o, r in fraud:
            st = by_style.setdefault(style_of.get(o, "?"), [0, 0])
            st[0] += r["action"] in STOPPED
            st[1] += 1
        views = diversion.cases(s, brand_id=b)
        alerts = diversion.run(s, brand_id=b, now=datetime.now(UTC), views=views)
        case_batch = s.scalar(
            select(CodeBatch).where(CodeBatch.brand_id == b, CodeBatch.kind == "case")
        )
        assert case_batch is not None
        first = case_batch.first_serial
        alerted = {a.case_serial - first for a in alerts}
        evidence = {v.serial - first for v in views if v.evidence}
        diverted = {p.index for p in played.world.cases if p.diverted}
        seen = diverted & evidence
    return {
        "seed": played.world.seed,
        "rates": {k: round(v, 3) for k, v in played.world.rates.items()},
        "scans_decided": len(counted),
        "fraud_scans": len(fraud),
        "fraud_by_style_stopped": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_style.items())},
        "precision": round(stopped_f / max(1, stopped_f + stopped_h), 4),
        "recall": round(stopped_f / max(1, len(fraud)), 4),
        "fraud_money_share": round(money / max(1.0, len(counted) * worth), 4),
        "fraud_money_stopped": round(saved / max(1.0, money), 4),
        "honest_accounts": len(honest_accounts),
        "honest_inconvenienced": round(len(bothered) / max(1, len(honest_accounts)), 5),
        "honest_stopped_because": dict(why.most_common()),
        "diverted_cases_seen": len(seen),
        "diverted_alerted": round(len(alerted & seen) / max(1, len(seen)), 4),
        "alerts": len(alerted),
        "false_alert_share": round(len(alerted - diverted) / max(1, len(alerted)), 4),
    }


def _write_scans(seed: int, counted: list[Any], style_of: dict[str, str]) -> None:
    from risk.features import FEATURES

    Path("bench/out").mkdir(parents=True, exist_ok=True)
    with open(f"bench/out/risk-scans-{seed}.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["openid", "truth", "action", "score", "reasons", *FEATURES])
        for openid, r in counted:
            truth = style_of.get(openid, "honest")
            reasons = " ".join(r["reasons"])
            out.writerow([openid, truth, r["action"], r["score"], reasons, *r["x"]])


def _latency(model_json: str, played: list[Any]) -> dict[str, float]:
    from sqlalchemy import select

    from infra.db import session_scope
    from rewards.models import ScanRecord
    from risk import decide, registry
    from risk.features import FEATURES
    from risk.model import from_json
    from risk.policy import DEFAULT

    served = registry.Served(1, from_json(model_json, expected_features=FEATURES))
    with session_scope() as s:
        xs = [
            r["x"]
            for (r,) in s.execute(
                select(ScanRecord.risk).where(ScanRecord.brand_id.in_([p.brand_id for p in played]))
            )
            if r and r.get("x")
        ][:5000]
    times = []
    for x in xs:
        t = time.perf_counter_ns()
        decide(x, DEFAULT, served)
        times.append(time.perf_counter_ns() - t)
    times.sort()
    return {
        "rows": len(times),
        "p50_us": round(times[len(times) // 2] / 1000, 1),
        "p99_us": round(times[int(len(times) * 0.99)] / 1000, 1),
    }


def _train(rings_every_ms: int) -> tuple[str, dict[str, Any]]:
    from infra.db import session_scope
    from risk import training
    from simulator import play, world

    trained = []
    for seed in TRAIN:
        p = play.play(
            world.build(seed, cases=CASES),
            graph_every_ms=rings_every_ms,
            progress=_progress(f"train world {seed}"),
        )
        trained.append(p.brand_id)
        print()
    with session_scope() as s:
        row = training.train_many(s, brand_ids=trained, target=trained[0], seed=0)
        model_json, metrics = row.model_json, row.metrics
    print("hold-out (last quarter in time of the training worlds):", json.dumps(metrics))
    return model_json, metrics


def main() -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="onecode-riskbench-"))
    os.environ.update(
        {
            "ONECODE_DATA_DIR": os.environ.get("ONECODE_DATA_DIR", str(work / "data")),
            "ONECODE_MASTER_KEY": os.environ.get(
                "ONECODE_MASTER_KEY", base64.b64encode(os.urandom(32)).decode()
            ),
            "ONECODE_LOG_LEVEL": "WARNING",
            "ONECODE_RECORDER_IN_API": "false",
        }
    )
    from infra.migrate import upgrade
    from infra.settings import get_settings
    from simulator import play, world
    from simulator.traffic import HOUR_MS

    upgrade()
    started = time.perf_counter()
    # The ring job runs in the worlds' time as production's workers queue it.
    rings_every_hours = get_settings().risk_rings_every_hours
    rings_every_ms = int(rings_every_hours * HOUR_MS)
    if MODEL:
        model_json, metrics = Path(MODEL).read_text(), {"model_file": MODEL}
    else:
        model_json, metrics = _train(rings_every_ms)
        Path("bench/out").mkdir(parents=True, exist_ok=True)
        Path("bench/out/risk-model.json").write_text(model_json)
    results, tested = [], []
    for seed in TEST:
        p = play.play(
            world.build(seed, cases=CASES),
            model_json=model_json,
            graph_every_ms=rings_every_ms,
            progress=_progress(f"test world {seed}"),
        )
        print()
        tested.append(p)
        results.append(_evaluate(p))
        print(json.dumps(results[-1]))
    out = {
        "train_seeds": TRAIN,
        "test_seeds": TEST,
        "cases_per_world": CASES,
        "ring_job_every_hours": rings_every_hours,
        "holdout": metrics,
        "worlds": results,
        "model_latency": _latency(model_json, tested),
        "seconds": round(time.perf_counter() - started, 1),
    }
    Path("bench/out").mkdir(parents=True, exist_ok=True)
    Path("bench/out/risk.json").write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k != "worlds"}, indent=2))
    return out


if __name__ == "__main__":
    main()
