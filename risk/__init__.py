"""Wool-party and diversion risk.

Online: `decide` scores each consumer scan before its claim (features in Redis, rules, a
gradient-boosted model, the campaign's policy). Offline: rings in the account graph
(`risk.graph`), diversion alerts (`risk.diversion`), training and the model registry
(`risk.training`, `risk.registry`). docs/risk.md explains them.
"""

from risk.decision import Decision, ScanSignals, decide, judge
from risk.features import FEATURES, CaseNote, ScanFacts, note_case
from risk.policy import Policy
from risk.rules import Action

__all__ = [
    "FEATURES",
    "Action",
    "CaseNote",
    "Decision",
    "Policy",
    "ScanFacts",
    "ScanSignals",
    "decide",
    "judge",
    "note_case",
]
