"""Admin API for the dashboard: one endpoint a panel, each answering from rollups
(reports/dashboard.py). Every list here also answers as CSV (`?format=csv`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from admin.deps import roles
from admin.tabular import TabularRoute
from brands.errors import InvalidToken, RoleRequired
from brands.service import Principal
from infra.db import utcnow
from infra.errors import InvalidInput
from infra.web import SessionDep, error_responses
from reports import dashboard
from reports.dashboard import Budget, GroupBy, MapData, Measures, Minute, PayoutState, Period, Row
from rewards import campaigns
from rewards.campaigns import CampaignNotFound

router = APIRouter(
    route_class=TabularRoute, prefix="/v1/admin/dashboard", tags=["admin: dashboard"]
)
READERS = ("campaign_manager", "risk_analyst", "finance", "code_operator")
MAX_DAYS = 366


class InvalidPeriod(InvalidInput):
    """The period's dates are reversed or span more than a year."""

    code = "INVALID_PERIOD"


_ERRORS = error_responses(InvalidToken, RoleRequired, CampaignNotFound, InvalidPeriod)
Who = Annotated[Principal, roles(*READERS)]


def _campaign_id(session: Session, who: Principal, slug: str | None) -> int | None:
    if not slug:
        return None
    return campaigns.get_campaign(session, brand_id=who.brand_id, slug=slug).id


def period(
    session: SessionDep,
    who: Who,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="The last N days.")] = 7,
    since: Annotated[date | None, Query(description="First day (instead of `days`).")] = None,
    until: Annotated[date | None, Query(description="Last day; default today.")] = None,
    campaign: Annotated[str | None, Query(description="A campaign's slug; default all.")] = None,
) -> Period:
    """The period a panel covers: the last `days` days, or `since`..`until` (market days)."""
    default = Period.last_days(days, now=utcnow())
    until = until or default.until
    since = since or (default.since if until == default.until else until - timedelta(days - 1))
    if since > until:
        raise InvalidPeriod("since is after until", since=str(since), until=str(until))
    if (until - since).days >= MAX_DAYS:
        raise InvalidPeriod(f"a period spans at most {MAX_DAYS} days", days=(until - since).days)
    return Period(since, until, _campaign_id(session, who, campaign))


PeriodDep = Annotated[Period, Depends(period)]


@router.get("/totals", responses=_ERRORS)
def totals(session: SessionDep, who: Who, p: PeriodDep) -> Measures:
    """Scans, claims, wins, money awarded, redemptions, case openings, guide sales, scans risk
    stopped, and wins held for review, over the period."""
    return dashboard.totals(session, who.brand_id, p)


@router.get("/breakdown", responses=_ERRORS)
def breakdown(
    session: SessionDep,
    who: Who,
    p: PeriodDep,
    by: Annotated[GroupBy, Query(description="What a row is.")] = "day",
) -> list[Row]:
    """The totals by day, campaign, product, region (a city; districts count in theirs) or
    province."""
    return dashboard.breakdown(session, who.brand_id, p, by)


@router.get("/live", responses=_ERRORS)
def live(
    session: SessionDep,
    who: Who,
    minutes: Annotated[int, Query(ge=1, le=24 * 60)] = 60,
    campaign: Annotated[str | None, Query(description="A campaign's slug.")] = None,
) -> list[Minute]:
    """Scans, claims, wins, money and stopped scans a minute (UTC minutes), oldest first."""
    campaign_id = _campaign_id(session, who, campaign)
    return dashboard.live(
        session, who.brand_id, now=utcnow(), minutes=minutes, campaign_id=campaign_id
    )


@router.get("/budgets", responses=_ERRORS)
def budgets(
    session: SessionDep,
    who: Who,
    campaign: Annotated[str | None, Query(description="A campaign's slug.")] = None,
) -> list[Budget]:
    """Each campaign's budget and what it has spent (the live counter, all time)."""
    return dashboard.budgets(session, who.brand_id, _campaign_id(session, who, campaign))


@router.get("/payouts", responses=_ERRORS)
def payouts(
    session: SessionDep,
    who: Who,
    campaign: Annotated[str | None, Query(description="A campaign's slug.")] = None,
) -> list[PayoutState]:
    """Payouts and their money by state: paid (success), pending, failed, and in flight."""
    return dashboard.payouts(session, who.brand_id, _campaign_id(session, who, campaign))


@router.get("/map", responses=_ERRORS)
def china_map(session: SessionDep, who: Who, p: PeriodDep) -> MapData:
    """Scans, wins and open diversion alerts by province (the map's colours, keyed by
    administrative code, e.g. 440000) and by city, with its located scans' mean position (the
    map's points)."""
    return dashboard.china_map(session, who.brand_id, p)
