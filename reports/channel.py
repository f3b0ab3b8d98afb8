"""The channel as brand staff see it: dealers with their regions, stores with their place and
dealer, field accounts, invites, shipments, and who brings in stores and redemptions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import codegen
from brands.models import Dealer, FieldAccount, InviteCode, Region, Store, dealer_regions
from codegen.models import CodeBatch
from logistics.models import Shipment
from rewards.models import CaseOpening, Redemption


def _pairs(result: Any) -> dict[Any, Any]:
    """A two-column result as a dict (`dict(result)` would take it for a mapping: it has keys)."""
    return {k: v for k, v in result}


@dataclass(frozen=True)
class DealerRow:
    id: Annotated[int, Field(description="The dealer's id.")]
    code: Annotated[str, Field(description="The brand's code for the dealer.")]
    name: Annotated[str, Field(description="The dealer's name.")]
    regions: Annotated[list[str], Field(description="Authorized region codes.")]
    region_names: Annotated[list[str], Field(description="Their names, in the same order.")]
    stores: Annotated[int, Field(description="Stores it supplies.")]
    cases_in: Annotated[int, Field(description="Cases and pallets it scanned in.")]
    cases_out: Annotated[int, Field(description="Cases and pallets it scanned out.")]


def dealers(session: Session, brand_id: int, *, dealer_id: int | None = None) -> list[DealerRow]:
    regions: dict[int, list[tuple[str, str]]] = {}
    for dealer_id, code, name in session.execute(
        select(dealer_regions.c.dealer_id, Region.code, Region.name)
        .join(Region, Region.id == dealer_regions.c.region_id)
        .where(Region.brand_id == brand_id)
        .order_by(Region.code)
    ):
        regions.setdefault(dealer_id, []).append((code, name))
    stores: Counter[int | None] = Counter()
    for dealer_id, n in session.execute(
        select(Store.dealer_id, func.count())
        .where(Store.brand_id == brand_id)
        .group_by(Store.dealer_id)
    ):
        stores[dealer_id] = n
    moved: Counter[tuple[int, str]] = Counter()
    for dealer_id, direction, n in session.execute(
        select(Shipment.dealer_id, Shipment.direction, func.count())
        .where(Shipment.brand_id == brand_id)
        .group_by(Shipment.dealer_id, Shipment.direction)
    ):
        moved[(dealer_id, direction)] = n
    return [
        DealerRow(
            d.id,
            d.code,
            d.name,
            [c for c, _ in regions.get(d.id, [])],
            [n for _, n in regions.get(d.id, [])],
            stores[d.id],
            moved[(d.id, "in")],
            moved[(d.id, "out")],
        )
        for d in session.scalars(
            select(Dealer).where(Dealer.brand_id == brand_id).order_by(Dealer.code)
        )
        if dealer_id is None or d.id == dealer_id
    ]


@dataclass(frozen=True)
class StoreRow:
    id: Annotated[int, Field(description="The store's id.")]
    code: Annotated[str, Field(description="The store's code in the brand.")]
    name: Annotated[str, Field(description="The store's name.")]
    region_code: Annotated[str, Field(description="Its district's administrative code.")]
    region_name: Annotated[str, Field(description="That region's name.")]
    latitude: Annotated[float | None, Field(description="Where it is (GCJ-02), if known.")]
    longitude: Annotated[float | None, Field(description="Where it is (GCJ-02), if known.")]
    dealer: Annotated[str, Field(description="The code of the dealer that supplies it.")]
    salesperson: Annotated[str, Field(description="Who signed it up.")]
    redemptions: Annotated[int, Field(description="Vouchers redeemed there, ever.")]
    case_openings: Annotated[int, Field(description="Cases opened there, ever.")]


def stores(
    session: Session,
    brand_id: int,
    *,
    dealer_id: int | None = None,
    salesperson_id: int | None = None,
    store_id: int | None = None,
) -> list[StoreRow]:
    """The brand's stores, or one dealer's, one salesperson's, or one store."""
    query = (
        select(Store, Region.code, Region.name, Dealer.code, FieldAccount.name, FieldAccount.openid)
        .outerjoin(Region, Region.id == Store.region_id)
        .outerjoin(Dealer, Dealer.id == Store.dealer_id)
        .outerjoin(FieldAccount, FieldAccount.id == Store.salesperson_id)
        .where(Store.brand_id == brand_id)
        .order_by(Store.code)
    )
    for column, value in (
        (Store.dealer_id, dealer_id),
        (Store.salesperson_id, salesperson_id),
        (Store.id, store_id),
    ):
        if value is not None:
            query = query.where(column == value)
    redeemed = _per_store(session, brand_id, Redemption)
    opened = _per_store(session, brand_id, CaseOpening)
    return [
        StoreRow(
            s.id,
            s.code,
            s.name,
            region or "",
            region_name or "",
            s.latitude,
            s.longitude,
            dealer or "",
            sales_name or sales_openid or "",
            redeemed[s.id],
            opened[s.id],
        )
        for s, region, region_name, dealer, sales_name, sales_openid in session.execute(query)
    ]


def _per_store(
    session: Session,
    brand_id: int,
    model: type[Redemption] | type[CaseOpening],
    since: datetime | None = None,
) -> Counter[int]:
    query = select(model.store_id, func.count()).where(model.brand_id == brand_id)
    if since is not None:
        query = query.where(model.at >= since)
    return Counter(_pairs(session.execute(query.group_by(model.store_id))))


@dataclass(frozen=True)
class AccountRow:
    id: int
    role: str
    name: str
    openid: str
    store: str
    dealer: str
    created_at: datetime
    revoked: bool


def field_accounts(session: Session, brand_id: int, *, role: str | None = None) -> list[AccountRow]:
    query = (
        select(FieldAccount, Store.name, Dealer.code)
        .outerjoin(Store, Store.id == FieldAccount.store_id)
        .outerjoin(Dealer, Dealer.id == FieldAccount.dealer_id)
        .where(FieldAccount.brand_id == brand_id)
        .order_by(FieldAccount.created_at.desc(), FieldAccount.id.desc())
    )
    if role is not None:
        query = query.where(FieldAccount.role == role)
    return [
        AccountRow(
            a.id,
            a.role,
            a.name,
            a.openid,
            store or "",
            dealer or "",
            a.created_at,
            a.revoked_at is not None,
        )
        for a, store, dealer in session.execute(query)
    ]


@dataclass(frozen=True)
class InviteRow:
    code: str
    salesperson: str
    dealer: str
    created_at: datetime


def invites(session: Session, brand_id: int) -> list[InviteRow]:
    query = (
        select(InviteCode, FieldAccount.name, FieldAccount.openid, Dealer.code)
        .outerjoin(FieldAccount, FieldAccount.id == InviteCode.salesperson_id)
        .outerjoin(Dealer, Dealer.id == InviteCode.dealer_id)
        .where(InviteCode.brand_id == brand_id)
        .order_by(InviteCode.created_at.desc())
    )
    return [
        InviteRow(i.code, name or openid or "", dealer or "", i.created_at)
        for i, name, openid, dealer in session.execute(query)
    ]


@dataclass(frozen=True)
class ShipmentRow:
    at: Annotated[datetime, Field(description="When it was scanned.")]
    dealer: Annotated[str, Field(description="The code of the dealer that scanned it.")]
    direction: Annotated[str, Field(description="in (received) or out (sent on).")]
    code: Annotated[str, Field(description="The case or pallet code.")]
    to_store: Annotated[str, Field(description="The store it was sent to, if any.")]
    to_dealer: Annotated[str, Field(description="The dealer it was sent to, if any.")]


def shipments(
    session: Session, brand_id: int, *, dealer_id: int | None = None, limit: int = 200
) -> list[ShipmentRow]:
    """The latest cases and pallets scanned in and out, newest first."""
    query = (
        select(Shipment).where(Shipment.brand_id == brand_id).order_by(Shipment.at.desc())
    ).limit(limit)
    if dealer_id is not None:
        query = query.where(Shipment.dealer_id == dealer_id)
    rows = list(session.scalars(query))
    dealer_codes = _pairs(
        session.execute(select(Dealer.id, Dealer.code).where(Dealer.brand_id == brand_id))
    )
    store_names = _pairs(
        session.execute(select(Store.id, Store.name).where(Store.brand_id == brand_id))
    )
    batches = {
        b.id: b
        for b in session.scalars(
            select(CodeBatch).where(CodeBatch.id.in_({r.batch_id for r in rows}))
        )
    }
    return [
        ShipmentRow(
            r.at,
            dealer_codes.get(r.dealer_id, ""),
            r.direction,
            codegen.code_at(
                session, batches[r.batch_id], r.serial - batches[r.batch_id].first_serial
            ),
            store_names.get(r.to_store_id, "") if r.to_store_id else "",
            dealer_codes.get(r.to_dealer_id, "") if r.to_dealer_id else "",
        )
        for r in rows
    ]


@dataclass(frozen=True)
class DealerView:
    """A dealer's own view: for its PDA (/v1/dealer/me) and its console user (role dealer)."""

    dealer: Annotated[
        DealerRow, Field(description="The dealer, its regions and its cases in and out.")
    ]
    stores: Annotated[list[StoreRow], Field(description="Stores the dealer supplies.")]
    shipments: Annotated[
        list[ShipmentRow], Field(description="The dealer's latest 100, newest first.")
    ]


def dealer_view(session: Session, brand_id: int, dealer_id: int) -> DealerView:
    """One dealer's regions, stores and latest shipments; nothing of any other dealer."""
    (me,) = dealers(session, brand_id, dealer_id=dealer_id)
    return DealerView(
        me,
        stores(session, brand_id, dealer_id=dealer_id),
        shipments(session, brand_id, dealer_id=dealer_id, limit=100),
    )


def _code(session: Session, batch: CodeBatch, serial: int) -> str:
    return codegen.code_at(session, batch, serial - batch.first_serial)


@dataclass(frozen=True)
class Standing:
    rank: int
    id: int
    name: str
    registrations: int  # stores signed up (salespeople); 0 for stores
    redemptions: int
    case_openings: int


def leaderboard(
    session: Session,
    brand_id: int,
    *,
    of: Literal["stores", "salespeople"],
    by: Literal["registrations", "redemptions", "case_openings"],
    since: datetime,
    limit: int = 50,
    salesperson_id: int | None = None,
) -> list[Standing]:
    """Stores, or the salespeople who signed them up, ranked over a period; with
    `salesperson_id`, that salesperson's standing alone (their own view)."""
    redeemed = _per_store(session, brand_id, Redemption, since)
    opened = _per_store(session, brand_id, CaseOpening, since)
    if of == "stores":
        names = _pairs(
            session.execute(select(Store.id, Store.name).where(Store.brand_id == brand_id))
        )
        rows = [(i, n, 0, redeemed[i], opened[i]) for i, n in names.items()]
    else:
        theirs = select(Store.id, Store.salesperson_id).where(
            Store.brand_id == brand_id, Store.salesperson_id.is_not(None)
        )
        if salesperson_id is not None:
            theirs = theirs.where(Store.salesperson_id == salesperson_id)
        owner_since = _pairs(
            session.execute(
                select(FieldAccount.store_id, func.min(FieldAccount.created_at))
                .where(
                    FieldAccount.brand_id == brand_id,
                    FieldAccount.role == "store_owner",
                    FieldAccount.store_id.in_(theirs.with_only_columns(Store.id)),
                )
                .group_by(FieldAccount.store_id)
            )
        )
        people: dict[int, list[int]] = {}
        for store_id, person in session.execute(theirs):
            if person is None:
                continue
            tally = people.setdefault(person, [0, 0, 0])
            signed_up = owner_since.get(store_id)
            tally[0] += signed_up is not None and signed_up >= since
            tally[1] += redeemed[store_id]
            tally[2] += opened[store_id]
        names = {
            a.id: a.name or a.openid
            for a in session.scalars(select(FieldAccount).where(FieldAccount.id.in_(people)))
        }
        rows = [(i, names.get(i, str(i)), t[0], t[1], t[2]) for i, t in people.items()]
    column = {"registrations": 2, "redemptions": 3, "case_openings": 4}[by]
    rows.sort(key=lambda r: (-int(r[column]), r[1]))
    return [Standing(rank, *row) for rank, row in enumerate(rows[:limit], start=1)]
