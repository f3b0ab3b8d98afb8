"""Everything known about one code: genuineness, state, binding, parents and children."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy.orm import Session

from brands.models import Product
from codegen.activation import activation_of, void_of
from codegen.batches import get_batch, key_of, resolve
from codegen.format import display
from codegen.models import CodeBatch
from codegen.packing import children_of, parent_of
from codegen.sealing import seal
from rewards.models import Campaign


@dataclass(frozen=True)
class CodeRef:
    code: str
    kind: str
    batch_id: int
    index: int


@dataclass(frozen=True)
class CodeInfo:
    code: str
    display: str
    kind: str
    batch_id: int
    index: int
    state: str  # "blank" (never activated), "active" or "voided"
    product_sku: str | None = None
    product_name: str | None = None
    lot: str | None = None
    production_date: date | None = None
    factory: str | None = None
    campaign_slug: str | None = None
    void_reason: str | None = None
    parents: list[CodeRef] = field(default_factory=list)
    children: list[CodeRef] = field(default_factory=list)


def _ref(session: Session, batch: CodeBatch, serial: int) -> CodeRef:
    return CodeRef(
        seal(key_of(session, batch), serial), batch.kind, batch.id, serial - batch.first_serial
    )


def state_of(session: Session, batch: CodeBatch, serial: int) -> CodeInfo:
    code = seal(key_of(session, batch), serial)
    info = CodeInfo(
        code=code,
        display=display(code),
        kind=batch.kind,
        batch_id=batch.id,
        index=serial - batch.first_serial,
        state="blank",
    )
    void = void_of(session, batch.id, serial)
    if void is not None:
        return replace(info, state="voided", void_reason=void.reason)
    act = activation_of(session, batch.id, serial)
    if act is None:
        return info
    product = session.get_one(Product, act.product_id)
    campaign = session.get(Campaign, act.campaign_id) if act.campaign_id else None
    return replace(
        info,
        state="active",
        product_sku=product.sku,
        product_name=product.name,
        lot=act.lot,
        production_date=act.production_date,
        factory=act.factory,
        campaign_slug=campaign.slug if campaign else None,
    )


def lookup(session: Session, *, brand_id: int, text: str) -> CodeInfo:
    sealed, batch = resolve(session, brand_id=brand_id, text=text)
    info = state_of(session, batch, sealed.serial)
    parents: list[CodeRef] = []
    current: tuple[CodeBatch, int] = (batch, sealed.serial)
    while (up := parent_of(session, batch=current[0], serial=current[1])) is not None:
        parent_batch = get_batch(session, brand_id=brand_id, batch_id=up[0])
        parents.append(_ref(session, parent_batch, up[1]))
        current = (parent_batch, up[1])
    children = []
    for child_batch_id, serial in children_of(session, batch=batch, serial=sealed.serial):
        child_batch = get_batch(session, brand_id=brand_id, batch_id=child_batch_id)
        children.append(_ref(session, child_batch, serial))
    info.parents.extend(parents)
    info.children.extend(children)
    return info
