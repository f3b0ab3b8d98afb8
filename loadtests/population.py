"""Locust users that behave like a campaign's population (`make load`, loadtests/run.py).

The world (codes, tokens) comes from the file ONECODE_LOAD_WORLD names (loadtests/world.py).
Weights and rates come from the environment, so one file serves the load run, the soak and a
brand's own what-if:

- ONECODE_LOAD_WEIGHTS: `consumer=100,wool=2,guide=5,store=4,dealer=1` (users of each kind)
- ONECODE_LOAD_RATE: scans a second each consumer user offers (exponential gaps; 0: flat out)
- ONECODE_LOAD_FIELD_RATE: requests a second each guide or store user offers
- ONECODE_LOAD_PDA_EVERY: seconds between a dealer PDA's 500-case uploads

Consumers scan fresh caps (first the caps of bottles a guide just sold: 一码双奖), scan their
own caps again, send forged codes (well formed, never sealed) and mistyped ones; wool-party
farms scan bulk-collected caps from a few phones behind one address in bursts; guides record
sales; stores redeem the vouchers consumers won and open cases; dealers' PDAs upload cases.
Every request is named by what it is (`scan: fresh`, `scan: forged`, …) in locust's report;
an expected refusal (a mistyped code's 422, a wool farm's 429) counts as a success of its kind.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import random
import threading
import time
from typing import Any

from locust import FastHttpUser, between, task

from codegen.format import ALPHABET, assemble
from loadtests import DEFAULT_WEIGHTS

WORLD: dict[str, Any] = json.loads(open(os.environ["ONECODE_LOAD_WORLD"]).read())  # noqa: SIM115
WEIGHTS = {
    kind: int(n)
    for kind, n in (
        pair.split("=")
        for pair in os.environ.get("ONECODE_LOAD_WEIGHTS", DEFAULT_WEIGHTS).split(",")
    )
}
RATE = float(os.environ.get("ONECODE_LOAD_RATE", "1"))
FIELD_RATE = float(os.environ.get("ONECODE_LOAD_FIELD_RATE", "0.5"))
PDA_EVERY = float(os.environ.get("ONECODE_LOAD_PDA_EVERY", "30"))

# Shared by the users of this process: locust runs them as greenlets, one at a time.
_lock = threading.Lock()
_fresh = iter(WORLD["caps"])
_bottles = iter(WORLD["bottles"])
_cases = iter(WORLD["cases"])
_pda_cases = itertools.cycle(WORLD["pda_cases"] or [""])
_sold_caps: collections.deque[str] = collections.deque(maxlen=10_000)  # a guide sold the bottle
_vouchers: collections.deque[str] = collections.deque(maxlen=10_000)  # won, not yet redeemed
_people = itertools.count()
SCAN = "/v1/scan/consumer"
_uploads = itertools.count()


def _next(source: Any) -> Any:
    with _lock:
        return next(source, None)


def _poisson(rate: float) -> Any:
    """A wait_time: arrivals on a schedule with exponential gaps, so a slow answer does not slow
    the arrivals (see loadtests/scan_vs_bare.py); rate 0 is flat out."""

    def wait(user: Any) -> float:
        if not rate:
            return 0.0
        now = time.monotonic()
        start = now if user.next_at == 0.0 else max(user.next_at, now - 1.0)
        user.next_at = start + random.expovariate(rate)
        return max(0.0, float(user.next_at) - now)

    return wait


def _post(
    user: FastHttpUser,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    name: str,
    *expected: int,
) -> dict[str, Any]:
    """POST, named for the report; an answer with an `expected` status is a success (a
    mistyped code's 422 is what should happen), its JSON returned; any other a failure."""
    with user.client.post(path, json=body, headers=headers, name=name, catch_response=True) as r:
        if r.status_code in expected:
            r.success()
            try:
                return dict(r.json())
            except ValueError:
                return {}
        r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
        return {}


def _address(n: int, prefix: int = 10) -> str:
    return f"{prefix}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


class Consumer(FastHttpUser):
    """The consumers of one neighbourhood: each scan is by someone new (four in five) or by one
    of the last fifty who scanned here, each person with their own phone and address. One
    locust user is a stream of people, not one person scanning every second."""

    weight = WEIGHTS.get("consumer", 0)
    wait_time = _poisson(RATE)
    next_at = 0.0

    def on_start(self) -> None:
        n = next(_people)
        self.place = WORLD["stores"][n % len(WORLD["stores"])] if WORLD["stores"] else {}
        self.recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=50)

    def _person(self) -> dict[str, Any]:
        if self.recent and random.random() < 0.2:
            return random.choice(self.recent)
        n = next(_people)
        person = {
            "me": {
                "openid": f"person-{n}",
                "device_id": f"phone-{n}",
                "latitude": self.place.get("lat", 23.13) + random.uniform(-0.05, 0.05),
                "longitude": self.place.get("lon", 113.26) + random.uniform(-0.05, 0.05),
                "region_code": self.place.get("region", "440100"),
            },
            "headers": {"X-Forwarded-For": _address(n)},
            "mine": [],
        }
        self.recent.append(person)
        return person

    def _scan(self, person: dict[str, Any], code: str, kind: str, *statuses: int) -> dict[str, Any]:
        body = person["me"] | {"code": code}
        return _post(self, SCAN, body, person["headers"], f"scan: {kind}", *statuses)

    @task(90)
    def fresh(self) -> None:
        code = _sold_caps.popleft() if _sold_caps else _next(_fresh)
        if code is None:
            return  # the world's caps are used up: the run was sized too small
        person = self._person()
        answer = self._scan(person, code, "fresh", 200)
        if answer.get("outcome") in ("won", "thanks"):
            person["mine"].append(code)
        if (answer.get("prize") or {}).get("kind") == "voucher" and not answer.get("held"):
            _vouchers.append(answer["scan_id"])

    @task(7)
    def again(self) -> None:
        scanned = [p for p in self.recent if p["mine"]]
        if scanned:
            person = random.choice(scanned)
            self._scan(person, random.choice(person["mine"]), "again", 200)

    @task(2)
    def forged(self) -> None:
        key_id = WORLD["caps"][0][:3]
        self._scan(self._person(), assemble(key_id, random.getrandbits(75)), "forged", 200, 429)

    @task(1)
    def mistyped(self) -> None:
        code = list(random.choice(WORLD["caps"]))
        i = random.randrange(len(code) - 1)
        code[i] = random.choice([c for c in ALPHABET if c != code[i]])
        self._scan(self._person(), "".join(code), "mistyped", 422, 429)


class WoolParty(FastHttpUser):
    """An account farm: twenty accounts on two phones behind one address, scanning caps
    collected in bulk, in bursts. Risk should stop most of it (blocked, held, 429)."""

    weight = WEIGHTS.get("wool", 0)
    wait_time = between(10, 30)  # between bursts

    def on_start(self) -> None:
        self.farm = next(_people)
        self.headers = {"X-Forwarded-For": _address(self.farm, prefix=100)}

    @task
    def burst(self) -> None:
        for i in range(30):
            code = _next(_fresh)
            if code is None:
                return
            body = {
                "code": code,
                "openid": f"farm-{self.farm}-{i % 20}",
                "device_id": f"farm-{self.farm}-phone-{i % 2}",
                "latitude": 23.13,
                "longitude": 113.26,
                "region_code": "440100",
            }
            _post(self, SCAN, body, self.headers, "scan: wool farm", 200, 429)
            time.sleep(random.uniform(0.05, 0.2))


class FieldUser(FastHttpUser):
    """Someone who calls with a credential from the world: `accounts` names its list (a
    guide's or a store owner's field token, a dealer PDA's credential)."""

    abstract = True
    accounts = ""
    next_at = 0.0

    def on_start(self) -> None:
        account = WORLD[self.accounts][next(_people) % len(WORLD[self.accounts])]
        self.headers = {"Authorization": f"Bearer {account['token']}"}


class Guide(FieldUser):
    """A shopping guide scanning the outer code of each bottle sold; its cap is then the next
    one a consumer claims, which pays the guide too."""

    weight = WEIGHTS.get("guide", 0) if WORLD["guides"] else 0
    wait_time = _poisson(FIELD_RATE)
    accounts = "guides"

    @task
    def sale(self) -> None:
        pair = _next(_bottles)
        if pair is None:
            return
        cap, bottle = pair
        if _post(self, "/v1/guide/sale", {"code": bottle}, self.headers, "guide: sale", 200):
            _sold_caps.append(cap)


class Store(FieldUser):
    """A store owner: redeems the vouchers consumers bring, and opens cases."""

    weight = WEIGHTS.get("store", 0) if WORLD["stores"] else 0
    wait_time = _poisson(FIELD_RATE)
    accounts = "stores"

    @task(3)
    def redeem(self) -> None:
        if _vouchers:
            body = {"voucher_code": _vouchers.popleft()}
            _post(self, "/v1/store/redeem", body, self.headers, "store: redeem voucher", 200)

    @task(1)
    def open_case(self) -> None:
        case = _next(_cases)
        if case is not None:
            body = {"code": case}
            _post(self, "/v1/store/open-case", body, self.headers, "store: open case", 200)


class DealerPda(FieldUser):
    """A dealer's PDA uploading a batch of 500 scanned cases now and then."""

    weight = WEIGHTS.get("dealer", 0) if WORLD["pda_cases"] else 0
    wait_time = between(PDA_EVERY * 0.5, PDA_EVERY * 1.5)
    accounts = "pdas"

    @task
    def upload(self) -> None:
        with _lock:
            codes = [next(_pda_cases) for _ in range(500)]
        body = {"upload_id": f"pda-{next(_uploads)}", "direction": "in", "codes": codes}
        _post(self, "/v1/dealer/uploads", body, self.headers, "dealer: upload 500 cases", 200)
