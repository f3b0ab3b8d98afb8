"""Cash the brand now owes someone: its ledger entry, and (unless held for review) the payout
that will settle it, queued for the workers once the caller's transaction commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from payouts import jobs, ledger, service


@dataclass(frozen=True)
class Owed:
    award_id: str
    brand_id: int
    at: datetime
    role: str  # consumer, guide or store
    openid: str
    amount_fen: int
    campaign_id: int | None
    region_code: str = ""
    scan_id: str | None = None
    held: bool = False  # risk asked for review: owed, but not paid until staff release it
    owner: str = ""  # the account's id when it is not the openid: a store's id

    @property
    def account(self) -> str:
        """Who is owed in the ledger (`<role>:<id>`); the cash goes to `openid`."""
        return f"{self.role}:{self.owner or self.openid}"


def owe(session: Session, owed: list[Owed]) -> list[str]:
    """Post each award to the ledger and create its payout; returns the new payouts' ids.
    Posting the same award again changes nothing."""
    ledger.post(
        session,
        [
            ledger.award_entry(
                award_id=o.award_id,
                brand_id=o.brand_id,
                at=o.at,
                account=o.account,
                amount_fen=o.amount_fen,
                campaign_id=o.campaign_id,
                region_code=o.region_code,
                scan_id=o.scan_id,
                held=o.held,
            )
            for o in owed
        ],
    )
    rows = [
        service.new_payout(
            brand_id=o.brand_id,
            account=o.account,
            openid=o.openid,
            amount_fen=o.amount_fen,
            campaign_id=o.campaign_id,
            region_code=o.region_code,
            cause=f"award/{o.award_id}",
            now=o.at,
        )
        for o in owed
        if not o.held and o.amount_fen > 0
    ]
    return pay_later(session, rows)


def pay_later(session: Session, rows: list[dict[str, Any]], *, why: str = "") -> list[str]:
    """Create these payouts (rows from `service.new_payout`) and queue the new ones for the
    workers once the session commits; returns the new ones' ids."""
    ids = service.create(session, rows, why=why)
    jobs.enqueue_after_commit(session, ids)
    return ids
