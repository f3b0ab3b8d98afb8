"""Admin API for the channel: dealers, stores, field accounts, invites, shipments and
leaderboards (reports/channel.py). Each list also answers as CSV (`?format=csv`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from admin.deps import roles
from admin.tabular import TabularRoute
from brands.errors import InvalidToken, RoleRequired
from brands.service import Principal
from infra.db import utcnow
from infra.errors import InvalidInput
from infra.web import SessionDep, error_responses
from reports import channel
from reports.channel import (
    AccountRow,
    DealerRow,
    DealerView,
    InviteRow,
    ShipmentRow,
    Standing,
    StoreRow,
)

router = APIRouter(
    route_class=TabularRoute,
    prefix="/v1/admin",
    tags=["admin: channel"],
    responses=error_responses(InvalidToken, RoleRequired),
)
READERS = ("campaign_manager", "risk_analyst", "finance")
Who = Annotated[Principal, roles(*READERS)]


@router.get("/dealers")
def list_dealers(session: SessionDep, who: Who) -> list[DealerRow]:
    """Dealers with their authorized regions, stores, and cases scanned in and out."""
    return channel.dealers(session, who.brand_id)


@router.get("/stores")
def list_stores(
    session: SessionDep,
    who: Who,
    dealer_id: Annotated[int | None, Query(description="Only this dealer's stores.")] = None,
) -> list[StoreRow]:
    """Stores with their place, dealer, the salesperson who signed them up, and their
    redemptions and case openings."""
    return channel.stores(session, who.brand_id, dealer_id=dealer_id)


@router.get("/field-accounts")
def list_field_accounts(
    session: SessionDep,
    who: Who,
    role: Annotated[Literal["guide", "salesperson", "store_owner"] | None, Query()] = None,
) -> list[AccountRow]:
    """Guides, salespeople and store owners, newest first."""
    return channel.field_accounts(session, who.brand_id, role=role)


@router.get("/invites")
def list_invites(session: SessionDep, who: Who) -> list[InviteRow]:
    """Invite codes for stores to sign up with, newest first."""
    return channel.invites(session, who.brand_id)


@router.get("/shipments")
def list_shipments(
    session: SessionDep,
    who: Who,
    dealer_id: Annotated[int | None, Query(description="Only this dealer's.")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[ShipmentRow]:
    """Cases and pallets dealers scanned in and out, newest first."""
    return channel.shipments(session, who.brand_id, dealer_id=dealer_id, limit=limit)


@router.get("/leaderboard")
def leaderboard(
    session: SessionDep,
    who: Who,
    of: Annotated[Literal["stores", "salespeople"], Query()] = "stores",
    by: Annotated[Literal["registrations", "redemptions", "case_openings"], Query()] = (
        "redemptions"
    ),
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[Standing]:
    """Stores, or the salespeople who signed them up, ranked by stores registered, vouchers
    redeemed or cases opened over the last `days` days."""
    since = utcnow() - timedelta(days=days)
    return channel.leaderboard(session, who.brand_id, of=of, by=by, since=since, limit=limit)


class NotADealerUser(InvalidInput):
    """Only a dealer's own user has a dealer view."""

    code = "NOT_A_DEALER_USER"


@router.get("/my-dealer", responses=error_responses(InvalidToken, RoleRequired, NotADealerUser))
def my_dealer(session: SessionDep, who: Annotated[Principal, roles("dealer")]) -> DealerView:
    """A dealer's own console view (role `dealer`): its authorized regions, its stores with
    their redemptions, its latest shipments; nothing of other dealers or of the brand."""
    if who.dealer_id is None:
        raise NotADealerUser("this user is not a dealer's; the dealer pages are theirs")
    return channel.dealer_view(session, who.brand_id, who.dealer_id)
