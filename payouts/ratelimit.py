"""One request rate for every worker that calls the provider: the provider allows a merchant
about 100 requests a second and answers 429 beyond, so the workers share a limiter in Redis.

GCRA (the generic cell rate algorithm): Redis keeps the theoretical arrival time of the next
request; each caller reserves the next free slot and sleeps until it, so calls are spaced
1/rate apart whichever worker makes them, and none is refused. One script call a request;
Redis's own clock, so workers on different machines agree.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import redis

from infra.redis import run_script
from payouts.provider import Bill, Provider

_RESERVE = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now_us then tat = now_us end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((tat - now_us) / 1000) + 2000)
return tat - now_us
"""


class SharedRate:
    """At most `per_second` acquisitions a second across every process using `key`."""

    def __init__(self, client: redis.Redis, key: str, per_second: float) -> None:
        self.client = client
        self.key = key
        self.interval_us = int(1_000_000 / per_second)

    def acquire(self) -> None:
        wait_us = int(run_script(self.client, _RESERVE, [self.key], [self.interval_us]))
        if wait_us > 0:
            time.sleep(wait_us / 1_000_000)


class RateLimitedProvider:
    """A provider whose every call first waits for its slot in the shared rate."""

    def __init__(self, provider: Provider, rate: SharedRate) -> None:
        self.provider = provider
        self.rate = rate

    def transfer(self, **kw: Any) -> Bill:
        self.rate.acquire()
        return self.provider.transfer(**kw)

    def query(self, bill_no: str) -> Bill | None:
        self.rate.acquire()
        return self.provider.query(bill_no)

    def bills_of_day(self, day: date) -> list[Bill]:
        self.rate.acquire()
        return self.provider.bills_of_day(day)
