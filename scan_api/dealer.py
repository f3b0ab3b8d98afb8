"""Dealers' PDAs upload cases and pallets scanned in and out (出入库)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

import epcis
from brands.errors import InvalidToken, UnknownReference
from epcis.importing import InvalidEpcis
from epcis.schemas import EPCIS_EXAMPLE, ImportOut, import_out
from infra.errors import InvalidInput
from infra.settings import get_settings
from infra.web import SessionDep, error_responses
from logistics import service as logistics
from logistics.service import DevicePrincipal
from reports import channel
from reports.channel import DealerView

router = APIRouter(tags=["dealer"])
_bearer = HTTPBearer(auto_error=False, description="A PDA credential from the admin.")


def device(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> DevicePrincipal:
    if credentials is None:
        raise InvalidToken("send Authorization: Bearer <PDA credential>")
    return logistics.authenticate(session, credentials.credentials)


class UploadIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "upload_id": "PDA07-20261123-0042",
                    "direction": "out",
                    "to_store": "S-7KQ2M3",
                    "codes": [
                        "9XK2M3Q4WY0HBHE4TSB",
                        "HTTPS://QR.DEMO-BEER.CN/C/4TSB9XK2M3Q4WY0HBHE",
                    ],
                }
            ]
        }
    )

    upload_id: str = Field(
        min_length=1,
        max_length=64,
        description="Chosen by the PDA; resending the same upload counts once.",
        examples=["PDA07-20261123-0042"],
    )
    direction: Literal["in", "out"] = Field(
        description="`in`: received into the dealer's stock (入库); `out`: shipped to a store "
        "or a sub-dealer (出库)."
    )
    to_store: str | None = Field(
        None, max_length=64, description="Store code (out to a store).", examples=["S-7KQ2M3"]
    )
    to_dealer: str | None = Field(
        None, max_length=64, description="Sub-dealer code (out to a dealer).", examples=["D-GZ-02"]
    )
    codes: list[str] = Field(
        min_length=1,
        max_length=logistics.MAX_UPLOAD,
        description=f"Case and pallet codes or their URLs, 1 to {logistics.MAX_UPLOAD}.",
        examples=[["9XK2M3Q4WY0HBHE4TSB", "HTTPS://QR.DEMO-BEER.CN/C/4TSB9XK2M3Q4WY0HBHE"]],
    )


class CodeResultOut(BaseModel):
    code: str = Field(description="The code as sent.")
    status: Literal["ok", "duplicate", "error"] = Field(
        description="`ok`: recorded; `duplicate`: this upload had recorded it already (a "
        "resend); `error`: refused, see `error`."
    )
    error: str = Field("", description="The error code when status is error.")
    message: str = Field("", description="Why, for people; program against `error`.")


class UploadOut(BaseModel):
    ok: int = Field(description="Codes recorded now.")
    duplicate: int = Field(description="Codes this upload had recorded before.")
    error: int = Field(description="Codes refused.")
    results: list[CodeResultOut] = Field(description="One result per code, in order.")


@router.post(
    "/v1/dealer/uploads",
    responses=error_responses(InvalidToken, InvalidInput, UnknownReference),
)
def upload(
    body: UploadIn, session: SessionDep, who: Annotated[DevicePrincipal, Depends(device)]
) -> UploadOut:
    """Record scanned cases and pallets; each code succeeds or fails on its own (per-code
    errors: CODE_MALFORMED, CODE_CHECK_FAILED, CODE_NOT_GENUINE, CODE_NOT_FOUND,
    NOT_A_CASE_OR_PALLET, CODE_NOT_ACTIVE)."""
    results = logistics.upload(
        session,
        who=who,
        upload_id=body.upload_id,
        direction=body.direction,
        codes=body.codes,
        to_store=body.to_store,
        to_dealer=body.to_dealer,
    )
    return UploadOut(
        ok=sum(r.status == "ok" for r in results),
        duplicate=sum(r.status == "duplicate" for r in results),
        error=sum(r.status == "error" for r in results),
        results=[CodeResultOut(**asdict(r)) for r in results],
    )


@router.post(
    "/v1/dealer/epcis",
    responses=error_responses(InvalidToken, InvalidEpcis, InvalidInput),
    max_body_size=get_settings().max_epcis_bytes,
)
def import_epcis(
    session: SessionDep,
    who: Annotated[DevicePrincipal, Depends(device)],
    document: Annotated[dict[str, Any], Body(examples=[EPCIS_EXAMPLE])],
) -> ImportOut:
    """A dealer's warehouse system sends EPCIS 2.0 instead of PDA uploads: ObjectEvents with
    bizStep shipping (destination `urn:onecode:<brand>:store:<code>` or `…:dealer:<code>` in
    destinationList) or receiving record the same shipments as `/v1/dealer/uploads`, once per
    eventID; each event applies whole or is refused with its reason."""
    results = epcis.import_document(
        session, brand_id=who.brand_id, document=document, actor=f"pda:{who.device_id}", dealer=who
    )
    return import_out(results)


@router.get("/v1/dealer/me", responses=error_responses(InvalidToken))
def dealer_view(
    session: SessionDep, who: Annotated[DevicePrincipal, Depends(device)]
) -> DealerView:
    """The dealer's own view, with its PDA credential: its authorized regions, cases in and
    out, its stores with their redemptions, and its latest shipments. Nothing of other
    dealers."""
    return channel.dealer_view(session, who.brand_id, who.dealer_id)
