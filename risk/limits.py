"""Rate limits on consumer scans per account, device, address and brand, read from the counts
the feature script keeps anyway (risk/features.lua), so they cost no Redis round trip.

A limit is for bursts no person makes (a script, a phone farm behind one address); slower
abuse is the model's and the rules' to judge. The limits are generous by default: a carrier's
address carries many people. The brand's limit is the platform's: one brand's flood (a
campaign gone viral, an attack on its codes) is shed with 429s before it takes the Redis
primary its keys live on from every other brand there (docs/scaling.md).
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


def check(x: list[float], brand_now: int = 0) -> None:
    """Raise RateLimited if the scan's own counts, or its brand's scans in this second
    (`brand_now`, this one included), are over a limit."""
    settings = get_settings()
    if settings.scan_limit_brand_per_second and brand_now > settings.scan_limit_brand_per_second:
        raise RateLimited(
            "too many scans of this brand this second; try again in a moment",
            limit="brand",
            retry_after=1,
        )
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
