"""The load runner's own measures, against the test Redis."""

from __future__ import annotations

import uuid

from infra.redis import get_redis
from loadtests.run import flatness, keys_without_expiry


def test_keys_without_expiry_are_counted_by_kind_and_expiring_ones_are_not() -> None:
    client = get_redis()
    kept, passing = f"kept{uuid.uuid4().hex[:8]}", f"passing{uuid.uuid4().hex[:8]}"
    for i in range(3):
        client.set(f"oc:{{b{i}}}:{kept}:{i}", 1)
        client.set(f"oc:{{b{i}}}:{passing}:{i}", 1, ex=60)
    try:
        kinds = keys_without_expiry(client)
    finally:
        client.delete(*[f"oc:{{b{i}}}:{k}:{i}" for i in range(3) for k in (kept, passing)])
    assert kinds[kept]["keys"] == 3
    assert kinds[kept]["bytes"] > 3 * len(f"oc:{{b0}}:{kept}:0")
    assert passing not in kinds


def test_a_queue_that_keeps_up_has_no_trend_and_one_that_falls_behind_has_its_rate() -> None:
    # Samples every 5 s for 10 minutes: one level with noise, one growing 6 jobs a minute.
    level = [{"t": 5.0 * i, "queue": 100 + (7 if i % 2 else -7)} for i in range(120)]
    behind = [{"t": 5.0 * i, "queue": 50 + 0.5 * i} for i in range(120)]
    assert abs(flatness(level, "queue")["per_minute"]) < 0.1
    assert flatness(behind, "queue")["per_minute"] == 6.0
    assert flatness(behind, "queue")["last_mean"] > flatness(behind, "queue")["middle_mean"]


def test_memory_growth_is_the_last_third_against_the_middle_one() -> None:
    rows = [{"t": float(i), "api_rss_mb": 100.0 if i < 20 else 110.0} for i in range(30)]
    assert flatness(rows, "api_rss_mb")["growth"] == 0.1
