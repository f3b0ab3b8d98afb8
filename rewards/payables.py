"""Awards that are money, handed to the ledger and to payouts (payouts/owing.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from payouts import ledger
from payouts.owing import Owed, owe
from rewards.models import Award, Campaign


def award_id(cause: str) -> str:
    """A guide's or a store's award id, derived from what caused it (`guide-bonus/<claim>`,
    `open-case/<batch>/<serial>`, `store-reward/<voucher>`): the same cause awards once."""
    return uuid.uuid5(uuid.NAMESPACE_URL, cause).hex


def field_award(
    session: Session,
    *,
    cause: str,
    campaign: Campaign,
    at: datetime,
    beneficiary: str,
    tier: str,
    amount_fen: int,
    kind: str = "cash",
    region_code: str = "",
) -> Award:
    """A guide's or a store's award under `campaign`, added to the session, its id from
    `cause`. The caller has spent the budget; cash then goes to `cash_awarded`."""
    award = Award(
        id=award_id(cause),
        brand_id=campaign.brand_id,
        at=at,
        campaign_id=campaign.id,
        region_code=region_code,
        beneficiary=beneficiary,
        tier=tier,
        kind=kind,
        amount_fen=amount_fen,
    )
    session.add(award)
    return award


def payout_min_fen(session: Session, campaign_id: int | None) -> int:
    """The campaign's payout minimum: cash prizes under it wait to go out together."""
    campaign = session.get(Campaign, campaign_id) if campaign_id is not None else None
    return campaign.payout_min_fen if campaign is not None else 0


def cash_awarded(session: Session, award: Award, role: str, *, store_id: int | None = None) -> None:
    """A red packet for a guide, or for a store (paid to its owner, `award.beneficiary`, owed to
    the store's account, where its voucher subsidies and coupons are too): owed now, paid by
    the workers."""
    owe(
        session,
        [
            Owed(
                award.id,
                award.brand_id,
                award.at,
                role,
                award.beneficiary,
                award.amount_fen,
                award.campaign_id,
                award.region_code or "",
                owner=str(store_id) if store_id is not None else "",
                min_fen=payout_min_fen(session, award.campaign_id),
            )
        ],
    )


def consumer_cash_won(
    session: Session, awards: list[dict[str, Any]], campaigns: Mapping[int, Campaign]
) -> None:
    """Consumers' red packets as the recorder writes them (award rows as dicts), with the
    campaigns they were won in (for their payout minimum)."""
    minimum = {c.id: c.payout_min_fen for c in campaigns.values()}
    owe(
        session,
        [
            Owed(
                a["id"],
                a["brand_id"],
                a["at"],
                "consumer",
                a["beneficiary"],
                a["amount_fen"],
                a["campaign_id"],
                a["region_code"],
                scan_id=a["id"],
                held=a["status"] == "held",
                min_fen=minimum.get(a["campaign_id"], 0),
            )
            for a in awards
            if a["kind"] == "cash"
        ],
    )


def owed_in_kind(
    session: Session,
    *,
    cause: str,
    kind: str,
    brand_id: int,
    account: str,
    **entry: Any,
) -> None:
    """What the brand owes a store or a dealer outside payouts (`kind` subsidy: a voucher's
    subsidy, to the store; `coupon`: a restock coupon, to the dealer who honours it). Settled
    through statements, not transfers."""
    ledger.post(
        session,
        [
            ledger.award_entry(
                award_id=cause, brand_id=brand_id, account=account, kind=kind, **entry
            )
        ],
    )
