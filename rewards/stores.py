"""Stores opening cases (开箱有礼): the first scan of a case code by a store rewards it, once per
case, and tells the brand the goods reached a shelf."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import codegen
import risk
from brands.field import FieldPrincipal
from brands.models import FieldAccount, Store
from infra.db import insert_once
from infra.errors import Conflict, InvalidInput
from rewards import budget, payables
from rewards.models import Award, Campaign, CaseOpening


class NotACaseCode(InvalidInput):
    """Opening a case needs a case code; this is another kind of code."""

    code = "NOT_A_CASE_CODE"


class CaseNotActive(Conflict):
    """The case code was never activated, or was voided."""

    code = "CASE_NOT_ACTIVE"


class CaseOpenedElsewhere(Conflict):
    """Another store scanned this case open first; a case rewards one store once."""

    code = "CASE_OPENED_BY_ANOTHER_STORE"


@dataclass(frozen=True)
class OpeningResult:
    code: str
    product_sku: str
    reward_fen: int
    repeat: bool


def open_case(
    session: Session, *, who: FieldPrincipal, code: str, now: datetime | None = None
) -> OpeningResult:
    who.require("store_owner")
    now = now or datetime.now(UTC)
    sealed, batch = codegen.resolve(session, brand_id=who.brand_id, text=code)
    if batch.kind != "case":
        raise NotACaseCode(f"scan the case code, not a {batch.kind} code")
    info = codegen.state_of(session, batch, sealed.serial)
    if info.state != "active":
        raise CaseNotActive(f"this case code is {info.state}", state=info.state)

    opening, inserted = insert_once(
        session,
        CaseOpening(
            brand_id=who.brand_id,
            case_batch_id=batch.id,
            case_serial=sealed.serial,
            store_id=who.store_id,
            at=now,
        ),
        lambda: session.scalar(
            select(CaseOpening).where(
                CaseOpening.case_batch_id == batch.id, CaseOpening.case_serial == sealed.serial
            )
        ),
    )
    if inserted:
        store = session.get_one(Store, who.store_id)
        risk.note_case(
            session,
            risk.CaseNote(
                who.brand_id,
                f"{batch.id}:{sealed.serial}",
                int(now.timestamp() * 1000),
                store.latitude,
                store.longitude,
                opened=True,
            ),
        )
        reward = _reward(session, who, opening, info.campaign_slug, now)
        return OpeningResult(sealed.code, info.product_sku or "", reward, False)
    if opening.store_id != who.store_id:
        raise CaseOpenedElsewhere("another store opened this case")
    award = session.get(Award, opening.reward_award_id) if opening.reward_award_id else None
    return OpeningResult(
        sealed.code, info.product_sku or "", award.amount_fen if award else 0, True
    )


def _reward(
    session: Session,
    who: FieldPrincipal,
    opening: CaseOpening,
    campaign_slug: str | None,
    now: datetime,
) -> int:
    campaign = (
        session.scalar(
            select(Campaign).where(
                Campaign.brand_id == who.brand_id, Campaign.slug == campaign_slug
            )
        )
        if campaign_slug
        else None
    )
    if campaign is None or campaign.open_case_reward_fen <= 0 or campaign.status != "active":
        return 0
    if not budget.spend(campaign, campaign.open_case_reward_fen, now=now):
        return 0
    owner = session.get_one(FieldAccount, who.account_id)
    award = payables.field_award(
        session,
        cause=f"open-case/{opening.case_batch_id}/{opening.case_serial}",
        campaign=campaign,
        at=now,
        beneficiary=owner.openid,
        tier="open-case",
        amount_fen=campaign.open_case_reward_fen,
    )
    opening.reward_award_id = award.id
    payables.cash_awarded(session, award, "store", store_id=who.store_id)
    return campaign.open_case_reward_fen
