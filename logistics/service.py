"""PDA devices, shipment uploads, and custody of codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

import codegen
import risk
from brands.errors import CredentialNotFound, InvalidToken
from brands.field import store_id_by_code
from brands.models import Dealer, Region, Store, dealer_regions
from brands.service import dealer_by_code, hash_token
from codegen.packing import parent_of
from infra.db import utcnow
from infra.errors import InvalidInput, OnecodeError
from logistics.models import PdaDevice, Shipment
from risk.regions import divisions

MAX_UPLOAD = 1000
SHIPPABLE = ("box", "case", "pallet")


@dataclass(frozen=True)
class DevicePrincipal:
    brand_id: int
    device_id: int
    dealer_id: int


@dataclass(frozen=True)
class CodeResult:
    code: str
    status: Literal["ok", "duplicate", "error"]
    error: str = ""
    message: str = ""


@dataclass(frozen=True)
class Custody:
    """Who holds a code now, by the newest shipment of it or of what it is packed in."""

    dealer_code: str
    store_code: str | None
    authorized_regions: list[str]
    shipped_at: datetime
    via_code: str  # the case or pallet whose shipment says so


def add_device(
    session: Session, *, brand_id: int, dealer_code: str, name: str
) -> tuple[PdaDevice, str]:
    token = "pda_" + secrets.token_urlsafe(32)
    device = PdaDevice(
        brand_id=brand_id,
        dealer_id=dealer_by_code(session, brand_id=brand_id, code=dealer_code),
        name=name,
        token_hash=hash_token(token),
    )
    session.add(device)
    session.flush()
    return device, token


def authenticate(session: Session, token: str) -> DevicePrincipal:
    device = session.scalar(select(PdaDevice).where(PdaDevice.token_hash == hash_token(token)))
    if device is None or device.revoked_at is not None:
        raise InvalidToken("unknown or revoked PDA credential")
    return DevicePrincipal(device.brand_id, device.id, device.dealer_id)


class NotShippable(InvalidInput):
    """Only case and pallet codes can be shipped or received by a PDA."""

    code = "NOT_A_CASE_OR_PALLET"


class NotActive(InvalidInput):
    """The code was never activated, or was voided, so it cannot move through the channel."""

    code = "CODE_NOT_ACTIVE"


def upload(
    session: Session,
    *,
    who: DevicePrincipal,
    upload_id: str,
    direction: Literal["in", "out"],
    codes: list[str],
    to_store: str | None = None,
    to_dealer: str | None = None,
    at: datetime | None = None,
) -> list[CodeResult]:
    """Record a PDA's batch of scans; each code succeeds or fails on its own."""
    if not 1 <= len(codes) <= MAX_UPLOAD:
        raise InvalidInput(f"an upload holds 1 to {MAX_UPLOAD} codes", count=len(codes))
    if direction == "out" and (to_store is None) == (to_dealer is None):
        raise InvalidInput("a shipment out goes to one store or one dealer")
    if direction == "in" and (to_store or to_dealer):
        raise InvalidInput("a shipment in has no destination")
    b = who.brand_id
    store_id = store_id_by_code(session, brand_id=b, code=to_store) if to_store else None
    dealer_id = dealer_by_code(session, brand_id=b, code=to_dealer) if to_dealer else None
    at = at or datetime.now(UTC)
    lat, lon = _place(session, store_id=store_id, dealer_id=dealer_id or who.dealer_id)
    results = []
    for text in codes:
        try:
            sealed, batch = codegen.resolve(session, brand_id=b, text=text)
            if batch.kind not in SHIPPABLE:
                raise NotShippable(f"dealers scan cases and pallets, not {batch.kind} codes")
            if codegen.state_of(session, batch, sealed.serial).state != "active":
                raise NotActive("this code is not activated, or voided")
        except OnecodeError as exc:
            results.append(CodeResult(text[:64], "error", exc.code, exc.message))
            continue
        seen = session.scalar(
            select(Shipment.id).where(
                Shipment.brand_id == b,
                Shipment.upload_id == upload_id,
                Shipment.batch_id == batch.id,
                Shipment.serial == sealed.serial,
            )
        )
        if seen is not None:
            results.append(CodeResult(sealed.code, "duplicate"))
            continue
        session.add(
            Shipment(
                brand_id=b,
                upload_id=upload_id,
                device_id=who.device_id,
                dealer_id=who.dealer_id,
                direction=direction,
                batch_id=batch.id,
                serial=sealed.serial,
                to_store_id=store_id,
                to_dealer_id=dealer_id,
                at=at,
            )
        )
        session.flush()
        risk.note_case(
            session,
            risk.CaseNote(b, f"{batch.id}:{sealed.serial}", int(at.timestamp() * 1000), lat, lon),
        )
        results.append(CodeResult(sealed.code, "ok"))
    return results


def _place(
    session: Session, *, store_id: int | None, dealer_id: int
) -> tuple[float | None, float | None]:
    """Where goods went: the store's position, else the centre of the dealer's first region."""
    if store_id is not None:
        store = session.get_one(Store, store_id)
        if store.latitude is not None:
            return store.latitude, store.longitude
    codes = _dealer_regions(session, dealer_id)
    centre = divisions().centre(codes[0]) if codes else None
    return (centre.latitude, centre.longitude) if centre else (None, None)


def _dealer_regions(session: Session, dealer_id: int) -> list[str]:
    """The region codes a dealer may sell in, in code order."""
    return list(
        session.scalars(
            select(Region.code)
            .join(dealer_regions, dealer_regions.c.region_id == Region.id)
            .where(dealer_regions.c.dealer_id == dealer_id)
            .order_by(Region.code)
        )
    )


def custody(session: Session, *, brand_id: int, code: str) -> Custody | None:
    """The newest shipment of the code or of the nearest thing it is packed in."""
    sealed, batch = codegen.resolve(session, brand_id=brand_id, text=code)
    current: tuple[int, int] | None = (batch.id, sealed.serial)
    while current is not None:
        shipment = session.scalar(
            select(Shipment)
            .where(Shipment.batch_id == current[0], Shipment.serial == current[1])
            .order_by(Shipment.at.desc(), Shipment.id.desc())
            .limit(1)
        )
        if shipment is not None:
            return _custody(session, shipment)
        holder_batch = codegen.get_batch(session, brand_id=brand_id, batch_id=current[0])
        current = parent_of(session, batch=holder_batch, serial=current[1])
    return None


def _custody(session: Session, shipment: Shipment) -> Custody:
    dealer_id = shipment.to_dealer_id or shipment.dealer_id
    dealer = session.get_one(Dealer, dealer_id)
    regions = _dealer_regions(session, dealer_id)
    store = session.get(Store, shipment.to_store_id) if shipment.to_store_id else None
    batch = codegen.get_batch(session, brand_id=shipment.brand_id, batch_id=shipment.batch_id)
    return Custody(
        dealer.code,
        store.code if store else None,
        regions,
        shipment.at,
        codegen.code_at(session, batch, shipment.serial - batch.first_serial),
    )


def revoke_device(session: Session, *, brand_id: int, device_id: int) -> None:
    """Refuse the PDA's credential from its next upload on (a revoked device stays so)."""
    device = session.get(PdaDevice, device_id)
    if device is None or device.brand_id != brand_id:
        raise CredentialNotFound("no such PDA device in this brand", device_id=device_id)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        session.flush()
