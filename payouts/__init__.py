"""Money leaving the brand: an append-only ledger of what is owed and paid, and payouts of
cash to WeChat users through a payment provider, by rq workers, exactly once per bill.

Public face: `ledger` (post, balances, statements), `service` (create and pay payouts),
`provider` (the provider interface and its HTTP client), `jobs` (what the workers run).
"""
