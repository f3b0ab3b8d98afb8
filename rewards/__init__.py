"""Campaigns, prize draws and the reward ledger.

So far only the campaign record that code activation can name; prize tables, budgets and the
draw arrive with the scan API (issue 3), payouts with issue 4.
"""
