"""Reporting: the dashboard's panels over the rollups the recorder and the payouts keep."""
