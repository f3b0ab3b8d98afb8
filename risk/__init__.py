"""Wool-party and diversion risk.

Online, before each consumer claim: `observe` records the scan and reads its features (Redis),
`decide` applies rules, a gradient-boosted model and the campaign's policy. Offline: rings in
the account graph (`risk.graph`), diversion alerts (`risk.diversion`), training and the model
registry (`risk.training`, `risk.registry`). docs/risk.md explains them.
"""

from risk.decision import Decision, decide, observe
from risk.features import FEATURES, CaseNote, ScanFacts, note_case
from risk.policy import Policy
from risk.registry import Served
from risk.rules import Action

__all__ = [
    "FEATURES",
    "Action",
    "CaseNote",
    "Decision",
    "Policy",
    "ScanFacts",
    "Served",
    "decide",
    "note_case",
    "observe",
]
