"""Admin API for money: held awards waiting for review (release or void), payouts, statements."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from admin.deps import roles
from admin.tabular import TabularRoute
from brands.errors import InvalidToken, RoleRequired
from brands.service import Principal
from infra.web import SessionDep, error_responses
from payouts import holds, jobs, service, statements
from payouts.holds import AwardNotFound, AwardNotHeld
from payouts.models import Payout
from rewards import campaigns, payables
from rewards.campaigns import CampaignNotFound
from rewards.models import ScanRecord
from risk import labels

router = APIRouter(route_class=TabularRoute, prefix="/v1/admin", tags=["admin: money"])
REVIEWERS = ("risk_analyst",)
READERS = ("risk_analyst", "finance", "campaign_manager")


class HeldAwardOut(BaseModel):
    award_id: str = Field(description="The award, which is also the id of the scan that won it.")
    at: datetime
    account: str = Field(description="Who is owed, e.g. consumer:<openid>.")
    amount_fen: int
    campaign_id: int | None
    region_code: str
    code: str = Field("", description="The cap that won it.")
    device_id: str = ""
    ip: str = ""
    score: float | None = Field(None, description="The risk model's score of the scan.")
    reasons: list[str] = Field(default_factory=list, description="Rules and signals that held it.")


class VoidIn(BaseModel):
    reason: str = Field(min_length=1, max_length=150, examples=["one device, 40 accounts"])


class PayoutOut(BaseModel):
    id: str
    account: str
    amount_fen: int
    state: str
    bill_no: str = Field(description="The provider's merchant bill number now in use.")
    reason: str = Field(description="Why it is waiting or failed, if it is.")
    created_at: datetime
    paid_at: datetime | None


_REVIEW_ERRORS = error_responses(InvalidToken, RoleRequired, AwardNotFound, AwardNotHeld)


@router.get("/held-awards", responses=error_responses(InvalidToken, RoleRequired))
def held_awards(
    session: SessionDep, who: Annotated[Principal, roles(*REVIEWERS)]
) -> list[HeldAwardOut]:
    """Awards risk held for review that no one has released or voided yet, oldest first, with
    the evidence: the scan that won each (code, device, network) and the risk decision's score
    and reasons."""
    entries = holds.waiting(session, who.brand_id)
    scans = {
        r.id: r
        for r in session.scalars(
            select(ScanRecord).where(
                ScanRecord.brand_id == who.brand_id,
                ScanRecord.id.in_([e.award_id for e in entries]),
            )
        )
    }
    out = []
    for e in entries:
        scan = scans.get(str(e.award_id))
        decision = (scan.risk if scan else None) or {}
        out.append(
            HeldAwardOut(
                award_id=str(e.award_id),
                at=e.at,
                account=e.account,
                amount_fen=e.amount_fen,
                campaign_id=e.campaign_id,
                region_code=e.region_code,
                code=scan.code if scan else "",
                device_id=scan.device_id if scan else "",
                ip=scan.ip if scan else "",
                score=decision.get("score"),
                reasons=list(decision.get("reasons") or []),
            )
        )
    return out


@router.post("/held-awards/{award_id}/release", responses=_REVIEW_ERRORS)
def release_award(
    award_id: str, session: SessionDep, who: Annotated[Principal, roles(*REVIEWERS)]
) -> dict[str, str | None]:
    """Pay a held award: its payout is created and queued for the workers. `payout_id` is null
    when the award is under its campaign's payout minimum and waits for the consumer's next
    small prizes to go out with them. The consumer is labelled honest for risk training."""
    account = holds.held_account(session, brand_id=who.brand_id, award_id=award_id)
    labels.reviewed(
        session, brand_id=who.brand_id, account=account, fraud=False, actor=who.username
    )
    payout_id = holds.release(
        session,
        brand_id=who.brand_id,
        award_id=award_id,
        actor=who.username,
        payout_min=partial(payables.payout_min_fen, session),
    )
    return {"payout_id": payout_id}


@router.post("/held-awards/{award_id}/void", status_code=204, responses=_REVIEW_ERRORS)
def void_award(
    award_id: str, body: VoidIn, session: SessionDep, who: Annotated[Principal, roles(*REVIEWERS)]
) -> None:
    """Cancel a held award; the ledger records who and why. The consumer is labelled fraud for
    risk training."""
    account = holds.held_account(session, brand_id=who.brand_id, award_id=award_id)
    labels.reviewed(session, brand_id=who.brand_id, account=account, fraud=True, actor=who.username)
    holds.void(
        session, brand_id=who.brand_id, award_id=award_id, actor=who.username, reason=body.reason
    )


PayoutState = Literal[
    "pending",
    "sending",
    "accepted",
    "processing",
    "wait_user_confirm",
    "success",
    "failed",
    "cancelled",
]


@router.get("/payouts", responses=error_responses(InvalidToken, RoleRequired))
def list_payouts(
    session: SessionDep,
    who: Annotated[Principal, roles(*READERS)],
    state: PayoutState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PayoutOut]:
    """The latest payouts, newest first; `state=failed` lists those that need a person."""
    query = select(Payout).where(Payout.brand_id == who.brand_id)
    if state:
        query = query.where(Payout.state == state)
    rows = session.scalars(query.order_by(Payout.created_at.desc()).limit(limit))
    return [_payout_out(p) for p in rows]


def _payout_out(p: Payout) -> PayoutOut:
    return PayoutOut(
        id=p.id,
        account=p.account,
        amount_fen=p.amount_fen,
        state=p.state,
        bill_no=p.bill_no,
        reason=p.reason,
        created_at=p.created_at,
        paid_at=p.paid_at,
    )


@router.post(
    "/payouts/{payout_id}/retry",
    responses=error_responses(
        InvalidToken, RoleRequired, service.PayoutNotFound, service.PayoutNotFailed
    ),
)
def retry_payout(
    payout_id: str, session: SessionDep, who: Annotated[Principal, roles()]
) -> PayoutOut:
    """Send a failed payout again (brand admins; finance reads only): with a new bill number
    after the provider failed its bill, with the same one after a refusal or no answer. Its
    trace says who."""
    p = service.retry(session, brand_id=who.brand_id, payout_id=payout_id, actor=who.username)
    jobs.enqueue_after_commit(session, [p.id])
    return _payout_out(p)


@router.get(
    "/campaigns/{slug}/statement.csv",
    response_class=PlainTextResponse,
    responses=error_responses(InvalidToken, RoleRequired, CampaignNotFound),
)
def campaign_statement_csv(
    slug: str, session: SessionDep, who: Annotated[Principal, roles(*READERS)]
) -> str:
    """The campaign's statement by day (UTC) and region, in fen, as CSV."""
    c = campaigns.get_campaign(session, brand_id=who.brand_id, slug=slug)
    lines = statements.campaign_statement(session, who.brand_id, c.id)
    return statements.to_csv(lines, statements.CampaignLine)


@router.get(
    "/stores/statement.csv",
    response_class=PlainTextResponse,
    responses=error_responses(InvalidToken, RoleRequired),
)
def stores_statement_csv(session: SessionDep, who: Annotated[Principal, roles(*READERS)]) -> str:
    """What the brand owes each store (voucher subsidies, cash), as CSV."""
    return _accounts_csv(session, who, "store:")


@router.get(
    "/dealers/statement.csv",
    response_class=PlainTextResponse,
    responses=error_responses(InvalidToken, RoleRequired),
)
def dealers_statement_csv(session: SessionDep, who: Annotated[Principal, roles(*READERS)]) -> str:
    """What the brand owes each dealer (restock coupons its stores were given, which the dealer
    honours and the brand reimburses), as CSV."""
    return _accounts_csv(session, who, "dealer:")


def _accounts_csv(session: SessionDep, who: Principal, prefix: str) -> str:
    lines = statements.account_statement(session, who.brand_id, prefix=prefix)
    return statements.to_csv(lines, statements.AccountLine)
