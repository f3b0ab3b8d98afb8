"""The risk decision the scan pipeline asks for before it claims a code.

Actions, as the industry uses them: pass; lower the prize; challenge (captcha, SMS); hold the
award for review; block. Until the model and rules of issue 5 exist, every scan passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["pass", "lower", "challenge", "hold", "block"]


@dataclass(frozen=True)
class ScanSignals:
    brand_id: int
    campaign_id: int
    openid: str
    device_id: str
    ip: str
    latitude: float | None
    longitude: float | None
    user_agent: str
    batch_id: int
    serial: int
    at_ms: int


@dataclass(frozen=True)
class Decision:
    action: Action
    score: float = 0.0
    reasons: tuple[str, ...] = ()


PASS = Decision("pass")


def decide(signals: ScanSignals) -> Decision:
    return PASS
