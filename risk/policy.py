"""A campaign's risk policy: which model score leads to which action.

Stored on the campaign (`risk_policy`, docs/seed-file.md) so that a big-prize baijiu campaign can
hold at a lower score than a points-only beer one. A threshold left out means "never by score".
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from risk.rules import SEVERITY, Action


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lower: float | None = Field(default=0.5, ge=0, le=1, description="Only the cheapest prize.")
    challenge: float | None = Field(default=None, ge=0, le=1, description="Captcha or SMS first.")
    # 0.95, not 0.9: every training run's time-ordered hold-out (training.suggest_hold) put the
    # threshold that spares 99.8% of honest scans at 0.95 or above (docs/risk.md).
    hold: float | None = Field(default=0.95, ge=0, le=1, description="Award waits for review.")
    block: float | None = Field(default=0.98, ge=0, le=1, description="No claim at all.")
    rules: bool = Field(default=True, description="Apply the clear-case rules (risk/rules.py).")

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        set_ = [(a, t) for a in ("lower", "challenge", "hold", "block") if (t := getattr(self, a))]
        thresholds = [t for _, t in set_]
        if thresholds != sorted(thresholds):
            raise ValueError("thresholds must rise from lower to challenge to hold to block")
        return self

    def action(self, score: float) -> Action:
        for name in ("block", "hold", "challenge", "lower"):
            threshold = getattr(self, name)
            if threshold is not None and score >= threshold:
                return name
        return "pass"


DEFAULT = Policy()


def stronger(a: Action, b: Action) -> Action:
    return a if SEVERITY[a] >= SEVERITY[b] else b
