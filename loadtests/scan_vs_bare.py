"""Locust users for `make bench-scan`: the consumer scan, and a bare endpoint that validates the
same body. Codes come from the file named by ONECODE_BENCH_CODES, one fresh cap per scan."""

from __future__ import annotations

import itertools
import os
import random
import time

from locust import FastHttpUser, task

_CODES = iter(open(os.environ["ONECODE_BENCH_CODES"]).read().split())  # noqa: SIM115
_COUNTER = itertools.count()
_PATH = os.environ.get("ONECODE_BENCH_PATH", "/v1/scan/consumer")
_RATE = float(os.environ.get("ONECODE_BENCH_USER_RATE", "0"))  # requests/s a user; 0: flat out


def _poisson(user: Scanner) -> float:
    """Arrivals on a schedule with exponential gaps: consumers arrive independently, and a slow
    answer does not slow the arrivals (a wait after each answer would: the load offered would
    fall as latency rose). A user behind its schedule sends at once. (With locust's
    constant_throughput the users fire in step, and the bursts set the latency we would see.)"""
    now = time.monotonic()
    # Behind by more than a second (or not started), the schedule restarts a second back at
    # most: a stalled server then sees a second's backlog, not a flood.
    start = now if user.next_at == 0.0 else max(user.next_at, now - 1.0)
    user.next_at = start + random.expovariate(_RATE)
    return max(0.0, user.next_at - now)


class Scanner(FastHttpUser):
    next_at = 0.0  # when this user's next consumer arrives (time.monotonic); 0: not started
    if _RATE:
        wait_time = _poisson

    @task
    def scan(self) -> None:
        n = next(_COUNTER)
        body = {
            "code": next(_CODES),
            "openid": f"bench-{n}",
            # Honest traffic: a phone a consumer. (Shared phones would trip the device-farm
            # rule, and blocked scans skip the claim: a cheaper scan than the one measured.)
            "device_id": f"d-{n}",
            "latitude": 23.1,
            "longitude": 113.3,
        }
        self.client.post(_PATH, json=body, name=_PATH)
