"""Rules for the clear cases, beside the model: they hold even with no model or a broken one.

Each is a threshold on one feature that honest people do not reach: a phone shared by a family
has two or three accounts, not ten; nobody honest is in a ring staff confirmed. Location rules
are absent on purpose: a mini-program's position is often district-level or missing, and
travellers exist, so location only feeds the model (see docs/risk.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from risk.features import INDEX

Action = Literal["pass", "lower", "challenge", "hold", "block"]
SEVERITY: dict[str, int] = {"pass": 0, "lower": 1, "challenge": 2, "hold": 3, "block": 4}


@dataclass(frozen=True)
class Rule:
    reason: str  # stable: it goes to the answer, the scan record and the review queue
    action: Action
    test: Callable[[list[float]], bool]


def _f(name: str) -> int:
    return INDEX[name]


_RING, _CONFIRMED = _f("ring_size"), _f("ring_confirmed")
_DEV_ACCTS, _EMU, _A10 = _f("dev_accounts"), _f("ua_emulator"), _f("acct_scans_10m")
_DEV24 = _f("dev_scans_24h")

RULES: tuple[Rule, ...] = (
    Rule("ring_confirmed", "block", lambda x: x[_CONFIRMED] > 0),
    Rule("device_farm", "block", lambda x: x[_DEV_ACCTS] >= 10),
    Rule("ring_found", "hold", lambda x: x[_RING] >= 3 and x[_CONFIRMED] == 0),
    Rule("emulator", "hold", lambda x: x[_EMU] > 0),
    Rule("burst", "hold", lambda x: x[_A10] >= 30),
    Rule("device_burst", "hold", lambda x: x[_DEV24] >= 150),
)


def check(x: list[float]) -> list[Rule]:
    """The rules this scan breaks."""
    return [r for r in RULES if r.test(x)]
