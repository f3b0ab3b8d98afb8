"""The load runner's own measures, against the test Redis."""

from __future__ import annotations

import uuid

from infra.redis import get_redis
from loadtests.run import keys_without_expiry


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
    assert kinds[kept] == 3
    assert passing not in kinds
