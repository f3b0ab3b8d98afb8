"""Endpoints for people in the field: store owners sign up and redeem vouchers, guides record
sales. Calls carry a field token: `Authorization: Bearer <token>`."""

from __future__ import annotations

import time
import uuid
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from brands import field
from brands.errors import InvalidToken, RoleRequired
from brands.field import AlreadyRegistered, FieldPrincipal, InvalidInvite
from codegen import printed
from codegen.errors import CodeCheckFailed, CodeNotFound, CodeNotGenuine, MalformedCode
from infra.db import utcnow
from infra.web import SessionDep, error_responses
from reports import channel
from reports.channel import StoreRow
from rewards import guides, recorder, stores, vouchers
from rewards.guides import BottleNotActive, BottleSoldByAnother, NotABottleCode
from rewards.stores import CaseNotActive, CaseOpenedElsewhere, NotACaseCode
from rewards.vouchers import (
    StoreNotParticipating,
    VoucherAlreadyRedeemed,
    VoucherExpired,
    VoucherHeld,
    VoucherMalformed,
    VoucherNotFound,
)

router = APIRouter(tags=["field"])
_bearer = HTTPBearer(auto_error=False, description="A field token from sign-up or the admin.")
# What every scanned code can fail with before the endpoint's own rules.
_CODE_ERRORS = (MalformedCode, CodeCheckFailed, CodeNotGenuine, CodeNotFound)


def field_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> FieldPrincipal:
    if credentials is None:
        raise InvalidToken("send Authorization: Bearer <field token>")
    return field.authenticate(session, credentials.credentials)


FieldDep = Annotated[FieldPrincipal, Depends(field_principal)]


def _scan_logged(
    who: FieldPrincipal, request: Request, role: str, code: str
) -> AbstractContextManager[None]:
    """Every field scan is recorded with its outcome, refusals included (written behind), under
    the code as printed, so that a code's lookup finds it whatever form was sent."""
    record = recorder.scan_record(
        scan_id=uuid.uuid4().hex,
        at_ms=int(time.time() * 1000),
        role=role,
        code=(printed(code) or code) if role != "store_redeem" else code,
        openid=f"account:{who.account_id}",
        ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    return recorder.logged(who.brand_id, record)


class StoreRegisterIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "invite_code": "7KQ2M3XW",
                    "openid": "oStore9x5AbCdEfGhIjKlMnOpQr",
                    "store_name": "天河烟酒店",
                    "region_code": "440106",
                    "latitude": 23.1353,
                    "longitude": 113.3271,
                }
            ]
        }
    )

    invite_code: str = Field(
        min_length=4,
        max_length=16,
        description="The invite code a salesperson or dealer gave the store (its QR or text).",
        examples=["7KQ2M3XW"],
    )
    openid: str = Field(
        min_length=1,
        max_length=64,
        description="The owner's WeChat openid.",
        examples=["oStore9x5AbCdEfGhIjKlMnOpQr"],
    )
    store_name: str = Field(
        min_length=1, max_length=200, description="As on the shop sign.", examples=["天河烟酒店"]
    )
    region_code: str | None = Field(
        None,
        max_length=32,
        description="Administrative division code of the store's district.",
        examples=["440106"],
    )
    latitude: float | None = Field(
        None, ge=-90, le=90, strict=True, description="Store location (GCJ-02)."
    )
    longitude: float | None = Field(
        None, ge=-180, le=180, strict=True, description="Store location (GCJ-02)."
    )


class StoreRegistered(BaseModel):
    store_code: str = Field(description="The store's code in the brand.", examples=["S-7KQ2M3"])
    token: str = Field(
        description="The store owner's field token: send it as `Authorization: Bearer <token>`."
    )


@router.post(
    "/v1/store/register",
    status_code=201,
    responses=error_responses(InvalidInvite, AlreadyRegistered),
)
def register_store(body: StoreRegisterIn, session: SessionDep) -> StoreRegistered:
    """A store signs up with an invite code from a salesperson or dealer (INVALID_INVITE,
    ALREADY_REGISTERED)."""
    store, owner = field.register_store(
        session,
        invite_code=body.invite_code,
        openid=body.openid,
        store_name=body.store_name,
        region_code=body.region_code,
        latitude=body.latitude,
        longitude=body.longitude,
    )
    return StoreRegistered(store_code=store.code, token=field.issue_token(owner))


class RedeemIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"voucher_code": "5f0c9d3e8a7b4c21b9e0d6f1a2b3c4d5"}]}
    )

    voucher_code: str = Field(
        max_length=200,
        description="The voucher's id (the consumer's winning `scan_id`) or its QR URL.",
        examples=["5f0c9d3e8a7b4c21b9e0d6f1a2b3c4d5"],
    )


class RedeemOut(BaseModel):
    voucher_id: str = Field(description="The voucher redeemed.")
    product_sku: str = Field(description="Hand the consumer one of these.")
    pay_fen: int = Field(description="Take this much from the consumer, in fen.")
    subsidy_fen: int = Field(description="What the brand owes the store for it, in fen.")
    store_reward_kind: Literal["cash", "restock_coupon"] | None = Field(
        description="The store's reward for redeeming: a cash red packet, a restock coupon "
        "(补货券) redeemable with its dealer, or none."
    )
    store_reward_fen: int = Field(description="That reward's value in fen (0: none).")


@router.post(
    "/v1/store/redeem",
    responses=error_responses(
        InvalidToken,
        RoleRequired,
        StoreNotParticipating,
        VoucherMalformed,
        VoucherNotFound,
        VoucherExpired,
        VoucherHeld,
        VoucherAlreadyRedeemed,
    ),
)
def redeem_voucher(
    body: RedeemIn, request: Request, session: SessionDep, who: FieldDep
) -> RedeemOut:
    """Redeem a consumer's exchange voucher (核销), once. Errors: VOUCHER_MALFORMED,
    VOUCHER_NOT_FOUND, VOUCHER_EXPIRED, VOUCHER_HELD, VOUCHER_ALREADY_REDEEMED,
    STORE_NOT_PARTICIPATING."""
    with _scan_logged(who, request, "store_redeem", body.voucher_code):
        r = vouchers.redeem(session, who=who, code=body.voucher_code)
    return RedeemOut(
        voucher_id=r.voucher_id,
        product_sku=r.product_sku,
        pay_fen=r.pay_fen,
        subsidy_fen=r.subsidy_fen,
        store_reward_kind=r.store_reward_kind,
        store_reward_fen=r.store_reward_fen,
    )


class GuideSaleIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "HTTPS://QR.DEMO-BEER.CN/C/7M2K9QX4WY0HBHE4TSA"}]}
    )

    code: str = Field(
        max_length=200,
        description="The bottle's outer code or its URL.",
        examples=["HTTPS://QR.DEMO-BEER.CN/C/7M2K9QX4WY0HBHE4TSA"],
    )


class GuideSaleOut(BaseModel):
    code: str = Field(description="The bottle code, normalized.")
    product_sku: str = Field(description="The bottle's product.")
    repeat: bool = Field(description="This guide had recorded this sale already.")


@router.post(
    "/v1/guide/sale",
    responses=error_responses(
        InvalidToken,
        RoleRequired,
        *_CODE_ERRORS,
        NotABottleCode,
        BottleNotActive,
        BottleSoldByAnother,
    ),
)
def guide_sale(
    body: GuideSaleIn, request: Request, session: SessionDep, who: FieldDep
) -> GuideSaleOut:
    """A guide records the sale of a bottle; when a consumer claims its cap, the guide earns the
    campaign's bonus. Errors: NOT_A_BOTTLE_CODE, BOTTLE_NOT_ACTIVE,
    BOTTLE_SOLD_BY_ANOTHER_GUIDE, and the code errors."""
    with _scan_logged(who, request, "guide_sale", body.code):
        r = guides.record_sale(session, who=who, code=body.code)
    return GuideSaleOut(code=r.code, product_sku=r.product_sku, repeat=r.repeat)


class OpenCaseIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "HTTPS://QR.DEMO-BEER.CN/C/9XK2M3Q4WY0HBHE4TSB"}]}
    )

    code: str = Field(
        max_length=200,
        description="The case code or its URL.",
        examples=["HTTPS://QR.DEMO-BEER.CN/C/9XK2M3Q4WY0HBHE4TSB"],
    )


class OpenCaseOut(BaseModel):
    code: str = Field(description="The case code, normalized.")
    product_sku: str = Field(description="The case's product.")
    reward_fen: int = Field(description="The store's open-case reward (0: none, or budget spent).")
    repeat: bool = Field(description="This store had opened this case already.")


@router.post(
    "/v1/store/open-case",
    responses=error_responses(
        InvalidToken, RoleRequired, *_CODE_ERRORS, NotACaseCode, CaseNotActive, CaseOpenedElsewhere
    ),
)
def open_case(
    body: OpenCaseIn, request: Request, session: SessionDep, who: FieldDep
) -> OpenCaseOut:
    """A store opens a case (开箱有礼): rewarded once per case. Errors: NOT_A_CASE_CODE,
    CASE_NOT_ACTIVE, CASE_OPENED_BY_ANOTHER_STORE, and the code errors."""
    with _scan_logged(who, request, "store_open_case", body.code):
        r = stores.open_case(session, who=who, code=body.code)
    return OpenCaseOut(
        code=r.code, product_sku=r.product_sku, reward_fen=r.reward_fen, repeat=r.repeat
    )


class FieldView(BaseModel):
    role: str = Field(description="guide, salesperson or store_owner.")
    stores: list[StoreRow] = Field(
        description="A salesperson's: the stores they signed up; a store owner's or a guide's: "
        "their store."
    )
    registrations_30d: int = Field(description="Stores a salesperson signed up in 30 days.")


@router.get("/v1/field/me", responses=error_responses(InvalidToken))
def field_view(session: SessionDep, who: FieldDep) -> FieldView:
    """The field account's own view: a salesperson's stores (with their redemptions and case
    openings) and sign-ups; a store owner's or guide's store. Nothing of anyone else's."""
    if who.role == "salesperson":
        stores = channel.stores(session, who.brand_id, salesperson_id=who.account_id)
        standing = channel.leaderboard(
            session,
            who.brand_id,
            of="salespeople",
            by="registrations",
            since=utcnow() - timedelta(days=30),
            salesperson_id=who.account_id,
        )
        return FieldView(
            role=who.role,
            stores=stores,
            registrations_30d=standing[0].registrations if standing else 0,
        )
    mine = (
        [] if who.store_id is None else channel.stores(session, who.brand_id, store_id=who.store_id)
    )
    return FieldView(role=who.role, stores=mine, registrations_30d=0)
