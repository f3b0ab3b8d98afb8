"""Rate limits on consumer scans per account, device and address, read from the counts the
feature script keeps anyway (risk/features.lua), so they cost no Redis round trip.

A limit is for bursts no person makes (a script, a phone farm behind one address); slower
abuse is the model's and the rules' to judge. The limits are generous by default: a carrier's
address carries many people.
"""

from __future__ import annotations

from infra.errors import OnecodeError
from infra.settings import get_settings
from risk.features import INDEX

RETRY_AFTER_S = 60


class RateLimited(OnecodeError):
    """Too many scans from this account, device or address lately; try again after
    `Retry-After` seconds (`details.limit` says which)."""

    code = "RATE_LIMITED"
    status = 429


def check(x: list[float]) -> None:
    """Raise RateLimited if the scan's own counts are over a limit."""
    settings = get_settings()
    for feature, limit, what in (
        ("acct_scans_10m", settings.scan_limit_account_10m, "account"),
        ("dev_scans_10m", settings.scan_limit_device_10m, "device"),
        ("ip_scans_1h", settings.scan_limit_address_1h, "address"),
    ):
        if x[INDEX[feature]] >= limit:  # the counts are of the scans before this one
            raise RateLimited(
                f"too many scans from this {what} lately; try again later",
                limit=what,
                retry_after=RETRY_AFTER_S,
            )
