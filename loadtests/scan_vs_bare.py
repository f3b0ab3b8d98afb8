"""Locust users for `make bench-scan`: the consumer scan, and a bare endpoint that validates the
same body. Codes come from the file named by ONECODE_BENCH_CODES, one fresh cap per scan."""

from __future__ import annotations

import itertools
import os
import random

from locust import FastHttpUser, task

_CODES = iter(open(os.environ["ONECODE_BENCH_CODES"]).read().split())  # noqa: SIM115
_COUNTER = itertools.count()
_PATH = os.environ.get("ONECODE_BENCH_PATH", "/v1/scan/consumer")
_RATE = float(os.environ.get("ONECODE_BENCH_USER_RATE", "0"))  # requests/s a user; 0: flat out


def _poisson(user: FastHttpUser) -> float:
    """Exponential gaps: consumers arrive independently. (With locust's constant_throughput
    the users fire in step, and the bursts, not the server, set the latency we would see.)"""
    return random.expovariate(_RATE)


class Scanner(FastHttpUser):
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
