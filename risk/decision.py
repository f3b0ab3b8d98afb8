"""The risk decision the scan pipeline asks for before it claims a code.

    features (one Redis round trip) -> rules (clear cases) -> model score -> campaign policy

Actions, as the industry uses them: pass; lower the prize; challenge (captcha, SMS); hold the
award for review; block. The strongest of what the rules and the score say wins. With no model
promoted, or a model that will not load, the rules still decide (never an open door); a model
that fails while scoring is logged and the rules decide (never a failed scan).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
import structlog

from risk import features, registry, rules
from risk.features import ScanFacts, finite
from risk.places import stores
from risk.policy import Policy, stronger
from risk.rules import Action

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Decision:
    action: Action
    score: float = 0.0
    reasons: tuple[str, ...] = ()
    model_version: int | None = None
    features: tuple[float, ...] = field(default=(), repr=False)

    def record(self) -> dict[str, object]:
        """What the scan record keeps: the features exactly as scored, for training."""
        return {
            "action": self.action,
            "score": round(self.score, 6),
            "reasons": list(self.reasons),
            "model": self.model_version,
            "x": list(self.features),
        }


def observe(client: redis.Redis, facts: ScanFacts) -> tuple[list[float], int]:
    """Record the scan in the brand's windows; return its features and the brand's scans in
    this second (the one round trip; once per scan, however often the pipeline reruns it for a
    stale snapshot)."""
    nearest = None
    if facts.latitude is not None and facts.longitude is not None:
        nearest = stores.get(facts.brand_id).nearest_km(facts.latitude, facts.longitude)
    x, brand_now = features.observe(client, facts, nearest_store_km=nearest)
    return finite(x), brand_now


def decide(x: list[float], policy: Policy, served: registry.Served) -> Decision:
    """Rules, score and policy on a scan's features (no I/O: replay and tests call it too)."""
    action: Action = "pass"
    reasons: list[str] = []
    if policy.rules:
        for rule in rules.check(x):
            action = stronger(action, rule.action)
            reasons.append(rule.reason)
    score = 0.0
    if served.model is not None:
        try:
            score = served.model.score(x)
        except Exception:  # a model that loaded but fails on this row: rules decide
            log.exception("risk_model_failed", version=served.version)
            reasons.append("model_unavailable")
        else:
            by_score = policy.action(score)
            if by_score != "pass":
                action = stronger(action, by_score)
                reasons.append(f"score_{by_score}")
    elif served.problem:
        reasons.append(served.problem)
    return Decision(action, score, tuple(reasons), served.version, tuple(x))
