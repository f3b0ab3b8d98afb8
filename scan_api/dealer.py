"""Dealers' PDAs upload cases and pallets scanned in and out (出入库)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from brands.errors import InvalidToken
from infra.web import ErrorResponse, SessionDep
from logistics import service as logistics
from logistics.service import DevicePrincipal

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
    upload_id: str = Field(
        min_length=1,
        max_length=64,
        description="Chosen by the PDA; resending the same upload counts once.",
    )
    direction: Literal["in", "out"]
    to_store: str | None = Field(None, max_length=64, description="Store code (out).")
    to_dealer: str | None = Field(None, max_length=64, description="Sub-dealer code (out).")
    codes: list[str] = Field(min_length=1, max_length=logistics.MAX_UPLOAD)


class CodeResultOut(BaseModel):
    code: str
    status: Literal["ok", "duplicate", "error"]
    error: str = Field("", description="The error code when status is error.")
    message: str = ""


class UploadOut(BaseModel):
    ok: int
    duplicate: int
    error: int
    results: list[CodeResultOut]


@router.post(
    "/v1/dealer/uploads",
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
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
