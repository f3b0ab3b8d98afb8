"""Wool-party and diversion risk. So far the seam the scan pipeline calls before a claim;
the model and rules behind it arrive with issue 5."""

from risk.decision import Action, Decision, ScanSignals, decide

__all__ = ["Action", "Decision", "ScanSignals", "decide"]
