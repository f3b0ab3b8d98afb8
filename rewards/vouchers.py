"""Redeeming an N-yuan exchange voucher at a store (核销): once, at a participating store,
while valid. The store is rewarded on the spot with cash or a restock coupon (补货券)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from brands.field import FieldPrincipal
from brands.models import FieldAccount, Region, Store
from infra.db import insert_once
from infra.errors import Conflict, Forbidden, InvalidInput, NotFound
from infra.redis import get_redis
from rewards import budget, payables
from rewards.claims import voucher_key
from rewards.models import Campaign, Redemption

_ID = re.compile(r"(?:.*/V/)?([0-9a-f]{32})/?$", re.IGNORECASE)


class VoucherMalformed(InvalidInput):
    """The voucher text is not a voucher id or voucher URL."""

    code = "VOUCHER_MALFORMED"


class VoucherNotFound(NotFound):
    """No voucher with this id was won in this brand, or it expired long ago."""

    code = "VOUCHER_NOT_FOUND"


class VoucherExpired(Conflict):
    """The voucher's validity period is over; it can no longer be redeemed."""

    code = "VOUCHER_EXPIRED"


class VoucherHeld(Conflict):
    """The voucher was won in a scan held for review; it can be redeemed once staff release it."""

    code = "VOUCHER_HELD"


class VoucherAlreadyRedeemed(Conflict):
    """The voucher was redeemed before (details say when and where); it pays once."""

    code = "VOUCHER_ALREADY_REDEEMED"


class StoreNotParticipating(Forbidden):
    """This store is not in the voucher's campaign (its regions or its store list)."""

    code = "STORE_NOT_PARTICIPATING"


@dataclass(frozen=True)
class RedemptionResult:
    voucher_id: str
    product_sku: str
    pay_fen: int
    subsidy_fen: int
    store_reward_kind: str | None
    store_reward_fen: int


def voucher_id(text: str) -> str:
    """A voucher's id from its code or the URL in its QR (`…/V/<id>`)."""
    match = _ID.match(text.strip())
    if match is None:
        raise VoucherMalformed("a voucher code is 32 hexadecimal characters")
    return match.group(1).lower()


@dataclass(frozen=True)
class _Voucher:
    id: str
    campaign_id: int
    region_code: str
    held: bool
    won_at: datetime
    terms: dict[str, Any]


def _voucher(brand_id: int, vid: str) -> _Voucher:
    """The voucher's terms, from the key the claim script wrote when it was won: redeeming needs
    neither the database nor the write-behind to have caught up."""
    raw = get_redis().get(voucher_key(brand_id, vid))
    if not isinstance(raw, bytes):
        raise VoucherNotFound("no such voucher, or it expired long ago")
    campaign, region, held, at_ms, terms = raw.decode().split("|", 4)
    return _Voucher(
        vid,
        int(campaign),
        region,
        held == "1",
        datetime.fromtimestamp(int(at_ms) / 1000, UTC),
        json.loads(terms),
    )


def _participates(session: Session, store: Store, campaign: Campaign) -> bool:
    if not campaign.regions:
        return True
    region = session.get(Region, store.region_id) if store.region_id else None
    while region is not None:
        if region.code in campaign.regions:
            return True
        region = session.get(Region, region.parent_id) if region.parent_id else None
    return False


def redeem(
    session: Session, *, who: FieldPrincipal, code: str, now: datetime | None = None
) -> RedemptionResult:
    who.require("store_owner")
    now = now or datetime.now(UTC)
    voucher = _voucher(who.brand_id, voucher_id(code))
    terms = voucher.terms
    if voucher.held:
        raise VoucherHeld("this voucher is held for review")
    if now >= voucher.won_at + timedelta(days=int(terms["valid_days"])):
        raise VoucherExpired("this voucher has expired", won_at=voucher.won_at.isoformat())
    store = session.get_one(Store, who.store_id)
    campaign = session.get_one(Campaign, voucher.campaign_id)
    if not _participates(session, store, campaign):
        raise StoreNotParticipating("this store does not take part in the voucher's campaign")
    redemption, inserted = insert_once(
        session,
        Redemption(
            voucher_id=voucher.id,
            brand_id=who.brand_id,
            store_id=store.id,
            account_id=who.account_id,
            at=now,
        ),
        lambda: session.get(Redemption, voucher.id),
    )
    if not inserted:
        raise VoucherAlreadyRedeemed(
            "this voucher was redeemed already", at=redemption.at.isoformat()
        )
    reward = campaign.store_reward or {}
    paid = 0
    if reward and budget.spend(campaign, int(reward["amount_fen"]), now=now):
        owner = session.get_one(FieldAccount, who.account_id)
        award = payables.field_award(
            session,
            cause=f"store-reward/{voucher.id}",
            campaign=campaign,
            at=now,
            beneficiary=owner.openid,
            tier="store-reward",
            amount_fen=int(reward["amount_fen"]),
            kind=reward["kind"],
            region_code=voucher.region_code,
        )
        redemption.store_reward_award_id = award.id
        paid = int(reward["amount_fen"])
        if award.kind == "cash":
            payables.cash_awarded(session, award, "store", store_id=store.id)
        else:  # a restock coupon: the store's dealer honours it, the brand reimburses him
            payables.owed_in_kind(
                session,
                cause=award.id,
                kind="coupon",
                brand_id=who.brand_id,
                account=f"dealer:{store.dealer_id}" if store.dealer_id else f"store:{store.id}",
                at=now,
                amount_fen=paid,
                campaign_id=campaign.id,
                region_code=voucher.region_code,
                memo=f"restock coupon of store {store.id}",
            )
    # The voucher's subsidy: the store gave a bottle for `pay_fen`; the brand owes the rest.
    payables.owed_in_kind(
        session,
        cause=voucher.id,
        kind="subsidy",
        brand_id=who.brand_id,
        account=f"store:{store.id}",
        at=now,
        amount_fen=int(terms["subsidy_fen"]),
        campaign_id=campaign.id,
        region_code=voucher.region_code,
        scan_id=voucher.id,
        memo=f"voucher for {terms['product_sku']}",
    )
    session.flush()
    return RedemptionResult(
        voucher_id=voucher.id,
        product_sku=str(terms["product_sku"]),
        pay_fen=int(terms["pay_fen"]),
        subsidy_fen=int(terms["subsidy_fen"]),
        store_reward_kind=reward.get("kind") if paid else None,
        store_reward_fen=paid,
    )
