"""Activation (空码赋值) and voiding, by serial range, by first/last code, or by parent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from brands import service as brands_service
from brands.errors import UnknownReference
from codegen.batches import get_batch, resolve, serial_range
from codegen.errors import ActivationConflict, CodeVoided, RangeOutsideBatch
from codegen.models import Activation, CodeBatch, CodeVoid
from codegen.packing import descendants
from infra.errors import InvalidInput
from infra.redis import bump_config_after_commit
from rewards.models import Campaign


@dataclass(frozen=True)
class Binding:
    """What a code is bound to when activated."""

    product_sku: str
    lot: str = ""
    production_date: date | None = None
    factory: str = ""
    campaign_slug: str | None = None


@dataclass(frozen=True)
class RangeResult:
    batch_id: int
    start_index: int
    count: int
    changed: int  # codes whose state this call changed; the rest already had it


M = TypeVar("M", Activation, CodeVoid)


def _overlapping(session: Session, model: type[M], batch_id: int, start: int, end: int) -> list[M]:
    return list(
        session.scalars(
            select(model)
            .where(model.batch_id == batch_id, model.start < end, model.end > start)
            .order_by(model.start)
        )
    )


def _gaps(start: int, end: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    gaps, cursor = [], start
    for s, e in sorted(covered):
        if s > cursor:
            gaps.append((cursor, min(s, end)))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return [(s, e) for s, e in gaps if s < e]


def _campaign_id(session: Session, brand_id: int, slug: str | None) -> int | None:
    if slug is None:
        return None
    cid = session.scalar(
        select(Campaign.id).where(Campaign.brand_id == brand_id, Campaign.slug == slug)
    )
    if cid is None:
        raise UnknownReference(f"brand has no campaign {slug!r}", campaign=slug)
    return cid


def _activate_serials(
    session: Session,
    *,
    batch: CodeBatch,
    start: int,
    end: int,
    product_id: int,
    binding: Binding,
    campaign_id: int | None,
    actor: str,
) -> int:
    voided = _overlapping(session, CodeVoid, batch.id, start, end)
    if voided:
        raise CodeVoided(
            "part of this range is voided and cannot be activated",
            batch_id=batch.id,
            voided_from_index=max(voided[0].start, start) - batch.first_serial,
        )
    existing = _overlapping(session, Activation, batch.id, start, end)
    wanted = (product_id, binding.lot, binding.production_date, binding.factory, campaign_id)
    for row in existing:
        if (row.product_id, row.lot, row.production_date, row.factory, row.campaign_id) != wanted:
            raise ActivationConflict(
                "part of this range is already activated with a different product, lot, date, "
                "factory or campaign",
                batch_id=batch.id,
                conflict_from_index=max(row.start, start) - batch.first_serial,
                conflict_to_index=min(row.end, end) - 1 - batch.first_serial,
            )
    gaps = _gaps(start, end, [(r.start, r.end) for r in existing])
    bump_config_after_commit(session, batch.brand_id)
    for s, e in gaps:
        session.add(
            Activation(
                brand_id=batch.brand_id,
                batch_id=batch.id,
                start=s,
                end=e,
                product_id=product_id,
                lot=binding.lot,
                production_date=binding.production_date,
                factory=binding.factory,
                campaign_id=campaign_id,
                created_by=actor,
            )
        )
    session.flush()
    return sum(e - s for s, e in gaps)


def activate_range(
    session: Session,
    *,
    brand_id: int,
    batch_id: int,
    start_index: int,
    count: int,
    binding: Binding,
    actor: str = "",
) -> RangeResult:
    batch = get_batch(session, brand_id=brand_id, batch_id=batch_id)
    start, end = serial_range(batch, start_index, count)
    product = brands_service.product_by_sku(session, brand_id=brand_id, sku=binding.product_sku)
    changed = _activate_serials(
        session,
        batch=batch,
        start=start,
        end=end,
        product_id=product.id,
        binding=binding,
        campaign_id=_campaign_id(session, brand_id, binding.campaign_slug),
        actor=actor,
    )
    return RangeResult(batch.id, start_index, count, changed)


def codes_to_range(
    session: Session, *, brand_id: int, first_code: str, last_code: str
) -> tuple[int, int, int]:
    """First and last code of a roll -> (batch id, start index, count)."""
    first, batch = resolve(session, brand_id=brand_id, text=first_code)
    last, last_batch = resolve(session, brand_id=brand_id, text=last_code)
    if last_batch.id != batch.id or last.serial < first.serial:
        raise RangeOutsideBatch(
            "the last code must follow the first code in the same batch",
            first_batch=batch.id,
            last_batch=last_batch.id,
        )
    return batch.id, first.serial - batch.first_serial, last.serial - first.serial + 1


def select_range(
    session: Session,
    *,
    brand_id: int,
    batch_id: int | None = None,
    start: int = 0,
    count: int | None = None,
    first_code: str | None = None,
    last_code: str | None = None,
) -> tuple[int, int, int]:
    """The codes a request names -> (batch id, start index, count): a batch's positions from
    `start` (`count` of them, or to the end of the batch), or a printed roll's first and last
    code."""
    if first_code is not None or last_code is not None:
        if first_code is None or last_code is None:
            raise InvalidInput("the first and the last code go together")
        return codes_to_range(
            session, brand_id=brand_id, first_code=first_code, last_code=last_code
        )
    if batch_id is None:
        raise InvalidInput("name a batch (with a start and count), or a first and last code")
    batch = get_batch(session, brand_id=brand_id, batch_id=batch_id)
    return batch.id, start, count if count is not None else batch.count - start


def activate_by_parent(
    session: Session, *, brand_id: int, parent_code: str, binding: Binding, actor: str = ""
) -> list[RangeResult]:
    """Activate a case (or pallet…) and everything packed in it, all or nothing."""
    sealed, batch = resolve(session, brand_id=brand_id, text=parent_code)
    product = brands_service.product_by_sku(session, brand_id=brand_id, sku=binding.product_sku)
    campaign_id = _campaign_id(session, brand_id, binding.campaign_slug)
    results = []
    for member_batch, start, end in [
        (batch, sealed.serial, sealed.serial + 1),
        *descendants(session, brand_id=brand_id, batch=batch, serial=sealed.serial),
    ]:
        changed = _activate_serials(
            session,
            batch=member_batch,
            start=start,
            end=end,
            product_id=product.id,
            binding=binding,
            campaign_id=campaign_id,
            actor=actor,
        )
        results.append(
            RangeResult(member_batch.id, start - member_batch.first_serial, end - start, changed)
        )
    return results


def void_range(
    session: Session,
    *,
    brand_id: int,
    batch_id: int,
    start_index: int,
    count: int,
    reason: str,
    actor: str = "",
) -> RangeResult:
    batch = get_batch(session, brand_id=brand_id, batch_id=batch_id)
    start, end = serial_range(batch, start_index, count)
    existing = _overlapping(session, CodeVoid, batch.id, start, end)
    gaps = _gaps(start, end, [(r.start, r.end) for r in existing])
    bump_config_after_commit(session, brand_id)
    for s, e in gaps:
        session.add(
            CodeVoid(
                brand_id=brand_id,
                batch_id=batch.id,
                start=s,
                end=e,
                reason=reason,
                created_by=actor,
            )
        )
    session.flush()
    return RangeResult(batch.id, start_index, count, sum(e - s for s, e in gaps))


def void_of(session: Session, batch_id: int, serial: int) -> CodeVoid | None:
    return session.scalar(
        select(CodeVoid)
        .where(CodeVoid.batch_id == batch_id, CodeVoid.start <= serial, CodeVoid.end > serial)
        .limit(1)
    )


def activation_of(session: Session, batch_id: int, serial: int) -> Activation | None:
    return session.scalar(
        select(Activation)
        .where(Activation.batch_id == batch_id, Activation.start <= serial, Activation.end > serial)
        .order_by(Activation.start.desc())
        .limit(1)
    )
