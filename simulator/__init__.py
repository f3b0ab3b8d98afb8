"""A simulated market for the risk model: see simulator/__init__ once written."""
