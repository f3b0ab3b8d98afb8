"""Admin API for campaigns: create, tune, read, and the audit trail of changes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from admin.deps import roles
from admin.tabular import TabularRoute
from brands.service import Principal
from infra.db import utcnow
from infra.errors import Conflict
from infra.web import ErrorResponse, SessionDep
from rewards import backtest, campaigns, forecast
from rewards.campaigns import CampaignSpec
from rewards.consumer_scan import spent_fen
from rewards.prizes import PrizeTable

router = APIRouter(
    route_class=TabularRoute,
    prefix="/v1/admin/campaigns",
    tags=["admin: campaigns"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)
EDITORS = ("campaign_manager",)
READERS = ("campaign_manager", "risk_analyst", "finance", "code_operator")


class ChangeOut(BaseModel):
    actor: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any]


@router.post("", status_code=201)
def create_campaign(
    body: CampaignSpec, session: SessionDep, who: Annotated[Principal, roles(*EDITORS)]
) -> dict[str, Any]:
    """Create a campaign. It runs once `status` is `active` and the time is inside its window."""
    c = campaigns.create_campaign(session, brand_id=who.brand_id, spec=body, actor=who.username)
    return campaigns.describe(session, c)


@router.get("")
def list_campaigns(
    session: SessionDep, who: Annotated[Principal, roles(*READERS)]
) -> list[dict[str, Any]]:
    return [
        campaigns.describe(session, c)
        for c in campaigns.list_campaigns(session, brand_id=who.brand_id)
    ]


@router.get("/{slug}")
def get_campaign(
    slug: str, session: SessionDep, who: Annotated[Principal, roles(*READERS)]
) -> dict[str, Any]:
    return campaigns.describe(
        session, campaigns.get_campaign(session, brand_id=who.brand_id, slug=slug)
    )


@router.put("/{slug}")
def update_campaign(
    slug: str, body: CampaignSpec, session: SessionDep, who: Annotated[Principal, roles(*EDITORS)]
) -> dict[str, Any]:
    """Replace the campaign's settings; the next scan uses them, and the change is audited."""
    c = campaigns.update_campaign(
        session, brand_id=who.brand_id, slug=slug, spec=body, actor=who.username
    )
    return campaigns.describe(session, c)


@router.get("/{slug}/changes")
def campaign_changes(
    slug: str, session: SessionDep, who: Annotated[Principal, roles(*READERS)]
) -> list[ChangeOut]:
    """Who changed what, when."""
    return [
        ChangeOut(actor=c.actor, at=c.at, before=c.before, after=c.after)
        for c in campaigns.changes(session, brand_id=who.brand_id, slug=slug)
    ]


@router.get("/{slug}/compare")
def compare_versions(
    slug: str,
    a: Annotated[int, Query(ge=1, description="One version.")],
    b: Annotated[int, Query(ge=1, description="The other.")],
    session: SessionDep,
    who: Annotated[Principal, roles(*READERS)],
) -> list[campaigns.Difference]:
    """The settings that differ between two versions of the campaign (its history keeps every
    version's settings): one row a setting, with its value in `a` and in `b`."""
    return campaigns.compare(session, brand_id=who.brand_id, slug=slug, a=a, b=b)


class BacktestIn(BaseModel):
    proposal: CampaignSpec = Field(
        description="The campaign's settings as they would be published: the body of "
        "`PUT /v1/admin/campaigns/{slug}`."
    )
    days: int = Field(7, ge=1, le=90, description="Replay the scans of the last N days.")


class BacktestOut(BaseModel):
    id: str
    status: str = Field(description="queued, started, finished or failed.")
    result: dict[str, Any] | None = Field(
        None,
        description="When finished: `scans` replayed, and a `current` and a `proposed` summary "
        "(outcomes, money by tier and region, budget left; docs/replay.md).",
    )
    error: str = ""


@router.post(
    "/{slug}/backtests",
    status_code=202,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
def start_backtest(
    slug: str, body: BacktestIn, session: SessionDep, who: Annotated[Principal, roles(*EDITORS)]
) -> BacktestOut:
    """Replay the campaign's recorded scans of the last days with its settings and with the
    proposed ones, before publishing them (a worker runs it: `onecode worker`). Poll
    `GET /v1/admin/campaigns/backtests/{id}` for the result."""
    campaigns.get_campaign(session, brand_id=who.brand_id, slug=slug)
    if body.proposal.slug != slug:
        raise Conflict("a campaign's slug cannot change", slug=slug)
    proposal = body.proposal.model_dump(mode="json")
    job_id = backtest.enqueue(who.brand_id, slug, proposal, body.days)
    return BacktestOut(id=job_id, status="queued")


@router.get("/backtests/{backtest_id}", responses={404: {"model": ErrorResponse}})
def get_backtest(backtest_id: str, who: Annotated[Principal, roles(*EDITORS)]) -> BacktestOut:
    """A back-test's state and, once finished, what the campaign would have paid as it is and
    as proposed."""
    return BacktestOut.model_validate(backtest.status(who.brand_id, backtest_id))


class ForecastOut(BaseModel):
    cost_per_10k_scans_fen: int = Field(description="Expected prize money per 10,000 claims.")
    awards_per_10k_scans: int
    claims_per_hour: float = Field(description="Over the last day, or since the start.")
    spent_fen: int
    budget_fen: int
    runs_out_at: datetime | None = Field(
        description="At the current rate; null with no recent claims or no prize money."
    )


@router.get("/{slug}/forecast")
def campaign_forecast(
    slug: str, session: SessionDep, who: Annotated[Principal, roles(*READERS)]
) -> ForecastOut:
    """Expected cost per 10,000 claimed scans and when the budget runs out at the current
    rate (rewards/forecast.py). The console recomputes the cost for a table being tuned."""
    c = campaigns.get_campaign(session, brand_id=who.brand_id, slug=slug)
    now = utcnow()
    f = forecast.forecast(
        table=PrizeTable.model_validate(c.prize_table),
        budget_fen=c.total_budget_fen,
        spent_fen=spent_fen(who.brand_id, c.id),
        rate_per_hour=forecast.claims_per_hour(session, c, now),
        now=now,
    )
    return ForecastOut(**asdict(f))
