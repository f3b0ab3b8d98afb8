"""Shopping guides (导购): a guide scans a bottle's outer code at the sale; when a consumer
later claims that bottle's cap, the guide earns the campaign's bonus (一码双奖)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import codegen
from brands.field import FieldPrincipal
from brands.models import FieldAccount
from codegen.codeinfo import state_of
from codegen.packing import parent_of
from infra.db import insert_once
from infra.errors import Conflict, InvalidInput
from rewards import budget, payables
from rewards.models import Award, Campaign, GuideSale


class NotABottleCode(InvalidInput):
    """A guide sale needs a bottle's outer code; this is another kind of code."""

    code = "NOT_A_BOTTLE_CODE"


class BottleNotActive(Conflict):
    """The bottle code was never activated, or was voided: it is not on sale."""

    code = "BOTTLE_NOT_ACTIVE"


class BottleSoldByAnother(Conflict):
    """Another guide recorded the sale of this bottle first."""

    code = "BOTTLE_SOLD_BY_ANOTHER_GUIDE"


@dataclass(frozen=True)
class SaleResult:
    code: str
    product_sku: str
    repeat: bool


def record_sale(
    session: Session, *, who: FieldPrincipal, code: str, now: datetime | None = None
) -> SaleResult:
    who.require("guide")
    sealed, batch = codegen.resolve(session, brand_id=who.brand_id, text=code)
    if batch.kind != "bottle":
        raise NotABottleCode(f"a guide scans the bottle's outer code, not a {batch.kind} code")
    info = state_of(session, batch, sealed.serial)
    if info.state != "active":
        raise BottleNotActive(f"this bottle code is {info.state}", state=info.state)
    sale, inserted = insert_once(
        session,
        GuideSale(
            brand_id=who.brand_id,
            bottle_batch_id=batch.id,
            bottle_serial=sealed.serial,
            guide_id=who.account_id,
            store_id=who.store_id,
            at=now or datetime.now(UTC),
        ),
        lambda: session.scalar(
            select(GuideSale).where(
                GuideSale.bottle_batch_id == batch.id, GuideSale.bottle_serial == sealed.serial
            )
        ),
    )
    if sale.guide_id != who.account_id:
        raise BottleSoldByAnother("another guide recorded this sale first")
    return SaleResult(sealed.code, info.product_sku or "", repeat=not inserted)


def bonus_for_claim(
    session: Session,
    *,
    campaign: Campaign,
    cap_batch_id: int,
    cap_serial: int,
    claim_id: str,
    at: datetime,
) -> Award | None:
    """The guide's bonus for a cap claimed in `campaign`, if a guide sold its bottle and the
    budget allows.

    Called by the recorder for each claim; the award id is derived from the claim, so running
    this twice for one claim pays once.
    """
    if campaign.guide_bonus_fen <= 0:
        return None
    brand_id = campaign.brand_id
    cap_batch = codegen.get_batch(session, brand_id=brand_id, batch_id=cap_batch_id)
    bottle = parent_of(session, batch=cap_batch, serial=cap_serial)
    if bottle is None:
        return None
    sale = session.scalar(
        select(GuideSale).where(
            GuideSale.bottle_batch_id == bottle[0], GuideSale.bottle_serial == bottle[1]
        )
    )
    cause = f"guide-bonus/{claim_id}"
    if sale is None or session.get(Award, payables.award_id(cause)) is not None:
        return None
    if not budget.spend(campaign, campaign.guide_bonus_fen, now=at):
        return None
    guide = session.get_one(FieldAccount, sale.guide_id)
    award = payables.field_award(
        session,
        cause=cause,
        campaign=campaign,
        at=at,
        beneficiary=guide.openid,
        tier="guide-bonus",
        amount_fen=campaign.guide_bonus_fen,
    )
    sale.bonus_award_id = award.id
    payables.cash_awarded(session, award, "guide")
    return award
