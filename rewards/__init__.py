"""Campaigns and what scans win.

- `campaigns`: prize tables, budgets, regions, double rewards; every change audited.
- `consumer_scan`: the hot path, with `snapshot` (what it reads instead of the database) and
  `claims` (the claim-and-draw script).
- `vouchers`, `guides`, `stores`: redemption, guide sales, case openings; `budget` spends for them.
- `recorder`: scans and awards written behind; `replay`: recorded scans on scratch state.

Payouts and the ledger's statements arrive with issue 4.
"""
