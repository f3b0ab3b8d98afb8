"""Public, unauthenticated: is this code genuine, and what is it?"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

import codegen
from codegen.errors import CodeCheckFailed, CodeNotFound, CodeNotGenuine, MalformedCode
from infra.redis import get_redis
from infra.web import SessionDep, error_responses
from risk import guessing
from risk.guessing import TooManyGuesses

router = APIRouter(tags=["scan"])


class Verification(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "genuine": True,
                    "reason": None,
                    "code": "2A9Y42AR4WY0HBHE4TS",
                    "kind": "cap",
                    "state": "active",
                    "product_sku": "LAGER-500",
                    "product_name": "Lager 500ml",
                    "lot": "L20261101",
                    "production_date": "2026-11-01",
                },
                {"genuine": False, "reason": "CODE_NOT_GENUINE"},
            ]
        }
    )

    genuine: bool = Field(description="False for a code no brand key sealed.")
    reason: str | None = Field(
        None, description="Why not genuine: CODE_NOT_GENUINE or CODE_NOT_FOUND."
    )
    code: str | None = Field(None, description="The code, normalized (19 characters).")
    kind: str | None = Field(None, description="cap, bottle, box, case or pallet.")
    state: str | None = Field(None, description="blank (not activated), active or voided.")
    product_sku: str | None = Field(None, description="The product it was activated for.")
    product_name: str | None = Field(None, description="That product's name.")
    lot: str | None = Field(None, description="Production lot, if the activation named one.")
    production_date: date | None = Field(None, description="Production date, if given.")


def _verify(code: str, session: SessionDep, request: Request) -> Verification:
    address = request.client.host if request.client else ""
    guessing.check(address)
    try:
        sealed = codegen.open_code(code)
        batch = codegen.batch_of(
            session, brand_id=sealed.brand_id, key_id=sealed.key_id, serial=sealed.serial
        )
    except (CodeNotGenuine, CodeNotFound) as exc:
        guessing.refused(get_redis(), address)
        return Verification(genuine=False, reason=exc.code)
    except CodeCheckFailed:
        guessing.refused(get_redis(), address)
        raise
    info = codegen.state_of(session, batch, sealed.serial)
    return Verification(
        genuine=True,
        code=info.code,
        kind=info.kind,
        state=info.state,
        product_sku=info.product_sku,
        product_name=info.product_name,
        lot=info.lot,
        production_date=info.production_date,
    )


_ERRORS = error_responses(MalformedCode, CodeCheckFailed, TooManyGuesses)


@router.get("/v1/codes/{code}/verify", responses=_ERRORS)
def verify_code(code: str, session: SessionDep, request: Request) -> Verification:
    """Check a code typed by hand or read from a QR (dashes, spaces and case are ignored).

    A malformed code or a typo is a 422 error; a well-formed code that is not genuine is an
    answer (`genuine: false`), not an error. An address that sends many codes that are not
    genuine is refused for a while (`TOO_MANY_GUESSES`, 429, with `Retry-After`).
    """
    return _verify(code, session, request)


@router.get("/c/{code}", responses=_ERRORS)
@router.get("/C/{code}", include_in_schema=False)
def scan_url(code: str, session: SessionDep, request: Request) -> Verification:
    """Where a printed QR leads (`HTTPS://HOST/C/CODE`): the same answer as verify."""
    return _verify(code, session, request)
