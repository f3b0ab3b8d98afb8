"""Request and response bodies of the admin code API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from codegen import Binding, select_range

Kind = Literal["cap", "bottle", "box", "case", "pallet"]


class BatchIn(BaseModel):
    kind: Kind
    count: int = Field(gt=0, le=10_000_000_000, description="How many codes.")
    note: str = Field("", max_length=200)


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    count: int
    key_id: str
    note: str
    created_at: datetime
    created_by: str
    first_sscc: str | None = Field(
        None, description="A case or pallet batch's first SSCC; the rest count up in order."
    )


class SsccIn(BaseModel):
    extension: int = Field(ge=0, le=9, description="The SSCC's extension digit.", examples=[1])
    company_prefix: str = Field(
        pattern=r"^\d{7,10}$",
        description="The brand's GS1 company prefix (7 to 10 digits).",
        examples=["6901234"],
    )
    first_reference: int = Field(
        ge=0,
        description="The first case's serial reference; the batch's codes take the next ones.",
        examples=[100000],
    )


class CodeOut(BaseModel):
    index: int = Field(description="Position in the batch, the line order of its print files.")
    code: str
    url: str


class RangeIn(BaseModel):
    """Either a batch with positions, or the first and last code of a printed roll."""

    batch_id: int | None = None
    start: int = Field(0, ge=0, description="First position (0-based).")
    count: int | None = Field(None, gt=0, description="How many; default to the batch end.")
    from_code: str | None = Field(None, max_length=200)
    to_code: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_way(self) -> RangeIn:
        by_codes = self.from_code is not None or self.to_code is not None
        if by_codes and (self.from_code is None or self.to_code is None):
            raise ValueError("from_code and to_code go together")
        if by_codes == (self.batch_id is not None):
            raise ValueError("give either batch_id (with start/count) or from_code and to_code")
        return self

    def selected(self, session: Session, brand_id: int) -> tuple[int, int, int]:
        """(batch id, start, count) of the codes this body names."""
        return select_range(
            session,
            brand_id=brand_id,
            batch_id=self.batch_id,
            start=self.start,
            count=self.count,
            first_code=self.from_code,
            last_code=self.to_code,
        )


class BindingIn(BaseModel):
    """What activated codes are bound to."""

    product_sku: str = Field(max_length=64)
    lot: str = Field("", max_length=64)
    production_date: date | None = None
    factory: str = Field("", max_length=100)
    campaign: str | None = Field(None, max_length=64, description="Campaign slug.")

    def binding(self) -> Binding:
        return Binding(
            product_sku=self.product_sku,
            lot=self.lot,
            production_date=self.production_date,
            factory=self.factory,
            campaign_slug=self.campaign,
        )


class ActivationIn(RangeIn, BindingIn):
    pass


class ParentActivationIn(BindingIn):
    parent_code: str = Field(max_length=200)


class VoidIn(RangeIn):
    reason: str = Field(min_length=1, max_length=200)


class RangeOut(BaseModel):
    batch_id: int
    start: int
    count: int
    changed: int = Field(description="Codes this call changed; the rest already were so.")


class PackRangeIn(BaseModel):
    child_batch_id: int
    parent_batch_id: int
    per_parent: int = Field(gt=0, le=100_000)
    child_start: int = Field(0, ge=0)
    child_count: int | None = Field(None, gt=0)
    parent_start: int = Field(0, ge=0)


class PackRangeOut(BaseModel):
    id: int
    child_count: int
    parent_count: int


class PackLinksIn(BaseModel):
    parent_code: str = Field(max_length=200)
    child_codes: list[str] = Field(min_length=1, max_length=10_000)


class UnpackIn(BaseModel):
    child_codes: list[str] = Field(min_length=1, max_length=10_000)


class CountOut(BaseModel):
    count: int


class CodeRefOut(BaseModel):
    code: str
    kind: str
    batch_id: int
    index: int


class CodeInfoOut(BaseModel):
    code: str
    display: str
    kind: str
    batch_id: int
    index: int
    state: Literal["blank", "active", "voided"]
    product_sku: str | None = None
    product_name: str | None = None
    lot: str | None = None
    production_date: date | None = None
    factory: str | None = None
    campaign_slug: str | None = None
    void_reason: str | None = None
    parents: list[CodeRefOut] = Field(description="Parent chain, nearest first.")
    children: list[CodeRefOut]


class ExportIn(BaseModel):
    codes_per_file: int | None = Field(None, gt=0, le=100_000_000)
    with_children: bool = False
    compress: bool = False
    gtin: str | None = Field(
        None,
        description="Print each code as a GS1 Digital Link for this GTIN (8, 12, 13 or 14 "
        "digits): `<scan base URL>/01/<GTIN-14>/21/<code>`. Omitted: onecode's `/C/<code>` URL.",
        examples=["6901234567892"],
        max_length=14,
    )
    lot: str | None = Field(
        None,
        description="With `gtin`: put the lot in the link (`/10/<lot>`), up to 20 GS1 "
        "characters. Upper case and digits keep the QR in alphanumeric mode.",
        max_length=20,
    )
    with_sscc: bool = Field(
        False, description="Add each case's or pallet's SSCC to its line (`,<18 digits>`)."
    )


class ExportOut(BaseModel):
    id: str
    batch_id: int
    status: str
    codes: int
    codes_done: int
    max_downloads: int
    downloads: int
    manifest: dict[str, Any] | None = None
    error: str = ""


class ExportCreated(ExportOut):
    password: str = Field(description="Shown only in this response; deliver it separately.")


class KeyOut(BaseModel):
    key_id: str
