"""Code guessing: an address that sends many codes that are not genuine is refused for a while.

Codes are found by scanning what is printed. A guesser's codes are nearly all refused (a random
well-formed code is genuine with odds of 2^-35), so refusals per address are the signal; honest
people mistype now and then, far below the limit, even many behind one carrier's address.

The honest path pays one dict lookup: Redis is touched only when a code is refused. The count
is shared by every API process (a Redis counter per address and window); the block is then
remembered in each process that sees the address fail, until its window ends.
"""

from __future__ import annotations

import math
import time

import redis

from infra.errors import OnecodeError
from infra.settings import get_settings

_MAX_REMEMBERED = 100_000
_blocked: dict[str, float] = {}  # address -> time.time() its block ends, in this process


class TooManyGuesses(OnecodeError):
    """Too many codes from this address were not genuine lately; try again after
    `Retry-After` seconds."""

    code = "TOO_MANY_GUESSES"
    status = 429


def check(address: str) -> None:
    """Refuse an address blocked for guessing; cheap enough for every scan."""
    if not _blocked:
        return
    until = _blocked.get(address)
    if until is None:
        return
    left = until - time.time()
    if left > 0:
        raise TooManyGuesses(
            "too many codes from here were not genuine; try again later",
            retry_after=math.ceil(left),
        )
    del _blocked[address]


def refused(client: redis.Redis, address: str) -> None:
    """Count a refused code from `address`; past the limit, block it until the window ends."""
    settings = get_settings()
    window = settings.guess_window_seconds
    now = time.time()
    start = int(now) // window * window
    key = f"guess:{address}:{start}"
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window)
    count = int(pipe.execute()[0])
    if count > settings.guess_limit:
        if len(_blocked) >= _MAX_REMEMBERED:
            _forget_expired(now)
        _blocked[address] = start + window
        check(address)


def _forget_expired(now: float) -> None:
    for address in [a for a, until in _blocked.items() if until <= now]:
        del _blocked[address]
    if len(_blocked) >= _MAX_REMEMBERED:  # a flood of addresses: the Redis counts still hold
        _blocked.clear()


def forget() -> None:
    """Drop this process's blocks (tests)."""
    _blocked.clear()
