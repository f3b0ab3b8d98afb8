"""Public, unauthenticated: is this code genuine, and what is it?"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

import codegen
from codegen.errors import CodeNotFound, CodeNotGenuine
from infra.web import ErrorResponse, SessionDep

router = APIRouter(tags=["scan"])


class Verification(BaseModel):
    genuine: bool = Field(description="False for a code no brand key sealed.")
    reason: str | None = Field(
        None, description="Why not genuine: CODE_NOT_GENUINE or CODE_NOT_FOUND."
    )
    code: str | None = None
    kind: str | None = Field(None, description="cap, bottle, box, case or pallet.")
    state: str | None = Field(None, description="blank (not activated), active or voided.")
    product_sku: str | None = None
    product_name: str | None = None
    lot: str | None = None
    production_date: date | None = None


def _verify(code: str, session: SessionDep) -> Verification:
    try:
        sealed = codegen.open_code(code)
        batch = codegen.batch_of(
            session, brand_id=sealed.brand_id, key_id=sealed.key_id, serial=sealed.serial
        )
    except (CodeNotGenuine, CodeNotFound) as exc:
        return Verification(genuine=False, reason=exc.code)
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


_ERRORS: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorResponse, "description": "CODE_MALFORMED or CODE_CHECK_FAILED (a typo)."}
}


@router.get("/v1/codes/{code}/verify", responses=_ERRORS)
def verify_code(code: str, session: SessionDep) -> Verification:
    """Check a code typed by hand or read from a QR (dashes, spaces and case are ignored).

    A malformed code or a typo is a 422 error; a well-formed code that is not genuine is an
    answer (`genuine: false`), not an error.
    """
    return _verify(code, session)


@router.get("/c/{code}", responses=_ERRORS)
@router.get("/C/{code}", include_in_schema=False)
def scan_url(code: str, session: SessionDep) -> Verification:
    """Where a printed QR leads (`HTTPS://HOST/C/CODE`): the same answer as verify."""
    return _verify(code, session)
