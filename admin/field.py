"""Admin API for the field: guides and salespeople, and invite codes for stores."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from admin.deps import roles
from admin.tabular import TabularRoute
from brands import field, service as brands
from brands.service import Principal
from infra.web import ErrorResponse, SessionDep
from logistics import service as logistics

router = APIRouter(
    route_class=TabularRoute,
    prefix="/v1/admin",
    tags=["admin: field"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)


class FieldAccountIn(BaseModel):
    role: Literal["guide", "salesperson"]
    openid: str = Field(min_length=1, max_length=64)
    name: str = Field("", max_length=100)
    store_code: str | None = Field(None, description="A guide's store.")
    dealer_code: str | None = Field(None, description="A salesperson's dealer.")


class FieldAccountOut(BaseModel):
    id: int
    role: str
    token: str = Field(description="The account's field token (30 days).")


@router.post("/field-accounts", status_code=201)
def create_field_account(
    body: FieldAccountIn, session: SessionDep, who: Annotated[Principal, roles("campaign_manager")]
) -> FieldAccountOut:
    b = who.brand_id
    store_id = (
        field.store_id_by_code(session, brand_id=b, code=body.store_code)
        if body.store_code
        else None
    )
    dealer_id = (
        brands.dealer_by_code(session, brand_id=b, code=body.dealer_code)
        if body.dealer_code
        else None
    )
    account = field.add_account(
        session,
        brand_id=who.brand_id,
        role=body.role,
        openid=body.openid,
        name=body.name,
        store_id=store_id,
        dealer_id=dealer_id,
    )
    return FieldAccountOut(id=account.id, role=account.role, token=field.issue_token(account))


class InviteIn(BaseModel):
    salesperson_id: int | None = None
    dealer_code: str | None = None


class InviteOut(BaseModel):
    code: str


@router.post("/invites", status_code=201)
def create_invite(
    body: InviteIn, session: SessionDep, who: Annotated[Principal, roles("campaign_manager")]
) -> InviteOut:
    """An invite code for stores to sign up under a salesperson or a dealer."""
    invite = field.create_invite(
        session,
        brand_id=who.brand_id,
        salesperson_id=body.salesperson_id,
        dealer_code=body.dealer_code,
    )
    return InviteOut(code=invite.code)


class PdaDeviceIn(BaseModel):
    dealer_code: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=100)


class PdaDeviceOut(BaseModel):
    id: int
    credential: str = Field(description="Shown once; configure it on the PDA.")


@router.post("/pda-devices", status_code=201)
def create_pda_device(
    body: PdaDeviceIn,
    session: SessionDep,
    who: Annotated[Principal, roles()],  # brand admins only
) -> PdaDeviceOut:
    """A dealer's PDA scanner and its credential (revocable)."""
    device, token = logistics.add_device(
        session, brand_id=who.brand_id, dealer_code=body.dealer_code, name=body.name
    )
    return PdaDeviceOut(id=device.id, credential=token)


@router.delete("/pda-devices/{device_id}", status_code=204)
def revoke_pda_device(
    device_id: int,
    session: SessionDep,
    who: Annotated[Principal, roles()],  # brand admins only
) -> None:
    """Revoke a PDA's credential (a lost or stolen scanner): its next upload is refused
    (INVALID_TOKEN). Revoking twice changes nothing."""
    logistics.revoke_device(session, brand_id=who.brand_id, device_id=device_id)


@router.delete("/field-accounts/{account_id}", status_code=204)
def revoke_field_account(
    account_id: int,
    session: SessionDep,
    who: Annotated[Principal, roles("campaign_manager")],
) -> None:
    """Revoke a guide's, salesperson's or store owner's account: its token is refused from its
    next call on (INVALID_TOKEN). Revoking twice changes nothing."""
    field.revoke_account(session, brand_id=who.brand_id, account_id=account_id)


class CustodyOut(BaseModel):
    dealer_code: str
    store_code: str | None
    authorized_regions: list[str]
    shipped_at: datetime
    via_code: str = Field(description="The case or pallet whose shipment places this code.")


@router.get("/codes/{code}/custody")
def code_custody(
    code: str,
    session: SessionDep,
    who: Annotated[
        Principal, roles("risk_analyst", "campaign_manager", "finance", "code_operator")
    ],
) -> CustodyOut | None:
    """Who holds this code now (through the case or pallet it is packed in), and where its
    dealer may sell it; null if it was never shipped."""
    found = logistics.custody(session, brand_id=who.brand_id, code=code)
    return CustodyOut(**asdict(found)) if found else None
