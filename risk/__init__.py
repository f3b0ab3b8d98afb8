"""Wool-party and diversion risk scoring. Arrives with issue 5; the package holds its place."""
