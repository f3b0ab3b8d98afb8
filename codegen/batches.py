"""Issuing batches (serial ranges) and finding the batch of a code."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from codegen import gs1
from codegen.errors import (
    BatchNotFound,
    CodeNotFound,
    KeySpaceExhausted,
    RangeOutsideBatch,
    SsccTaken,
)
from codegen.format import MAX_SERIAL
from codegen.keys import active_key
from codegen.models import KINDS, CodeBatch, CodeKey
from codegen.sealing import SealedCode, open_code, seal
from infra.errors import InvalidInput
from infra.redis import bump_config_after_commit

MAX_BATCH = 10_000_000_000


def issue_batch(
    session: Session, *, brand_id: int, kind: str, count: int, note: str = "", actor: str = ""
) -> CodeBatch:
    """Reserve `count` serials of the brand's active key: one row, whatever the count."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", kind=kind)
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInput(f"count must be between 1 and {MAX_BATCH:,}", count=count)
    key = active_key(session, brand_id=brand_id)
    # One atomic UPDATE…RETURNING hands out the range, so concurrent issuers never overlap.
    end = session.execute(
        update(CodeKey)
        .where(CodeKey.key_id == key.key_id)
        .values(next_serial=CodeKey.next_serial + count)
        .returning(CodeKey.next_serial)
    ).scalar_one()
    if end - 1 > MAX_SERIAL:
        raise KeySpaceExhausted("this key has no serials left: rotate the brand key")
    batch = CodeBatch(
        brand_id=brand_id,
        key_id=key.key_id,
        kind=kind,
        first_serial=end - count,
        count=count,
        note=note,
        created_by=actor,
    )
    session.add(batch)
    session.flush()
    bump_config_after_commit(session, brand_id)
    return batch


def get_batch(session: Session, *, brand_id: int, batch_id: int) -> CodeBatch:
    batch = session.scalar(
        select(CodeBatch).where(CodeBatch.id == batch_id, CodeBatch.brand_id == brand_id)
    )
    if batch is None:
        raise BatchNotFound(f"no batch {batch_id}", batch_id=batch_id)
    return batch


def list_batches(session: Session, *, brand_id: int) -> list[CodeBatch]:
    return list(
        session.scalars(
            select(CodeBatch).where(CodeBatch.brand_id == brand_id).order_by(CodeBatch.id)
        )
    )


def key_of(session: Session, batch: CodeBatch) -> CodeKey:
    return session.get_one(CodeKey, batch.key_id)


def batch_of(session: Session, *, brand_id: int, key_id: str, serial: int) -> CodeBatch:
    batch = session.scalar(
        select(CodeBatch)
        .where(
            CodeBatch.brand_id == brand_id,
            CodeBatch.key_id == key_id,
            CodeBatch.first_serial <= serial,
        )
        .order_by(CodeBatch.first_serial.desc())
        .limit(1)
    )
    if batch is None or serial >= batch.end_serial:
        raise CodeNotFound("this code was never issued", key_id=key_id)
    return batch


def resolve(session: Session, *, brand_id: int, text: str) -> tuple[SealedCode, CodeBatch]:
    """A code of this brand and its batch, from any form a scanner sends (an SSCC too). Another
    brand's code is reported as not found."""
    unit = gs1.sscc_in(text)
    if unit is not None:
        return _by_sscc(session, brand_id, unit)
    sealed = open_code(text, session=session)
    if sealed.brand_id != brand_id:
        raise CodeNotFound("no such code for this brand", code=sealed.code)
    return sealed, batch_of(session, brand_id=brand_id, key_id=sealed.key_id, serial=sealed.serial)


def serial_range(batch: CodeBatch, start_index: int, count: int) -> tuple[int, int]:
    """Batch positions (0-based, the line order of the print files) -> [start, end) serials."""
    if count < 1 or start_index < 0 or start_index + count > batch.count:
        raise RangeOutsideBatch(
            f"positions {start_index}..{start_index + count - 1} are outside batch {batch.id} "
            f"(0..{batch.count - 1})",
            batch_id=batch.id,
            start=start_index,
            count=count,
        )
    return batch.first_serial + start_index, batch.first_serial + start_index + count


def code_at(session: Session, batch: CodeBatch, index: int) -> str:
    serial_range(batch, index, 1)
    return seal(key_of(session, batch), batch.first_serial + index)


SSCC_KINDS = ("case", "pallet")


def assign_sscc(
    session: Session,
    *,
    brand_id: int,
    batch_id: int,
    extension: int,
    company_prefix: str,
    first_reference: int,
) -> CodeBatch:
    """Give a case or pallet batch one SSCC a code, serial references counting up from
    `first_reference`; SSCCs are unique world-wide, so no two batches of any brand share one."""
    batch = get_batch(session, brand_id=brand_id, batch_id=batch_id)
    if batch.kind not in SSCC_KINDS:
        raise InvalidInput(f"SSCCs mark cases and pallets, not {batch.kind} codes", kind=batch.kind)
    if batch.sscc_first is not None:
        raise SsccTaken(
            "this batch has its SSCCs already", first=sscc_of(batch, batch.first_serial)
        )
    first = gs1.sscc(extension, company_prefix, first_reference)
    gs1.sscc(extension, company_prefix, first_reference + batch.count - 1)  # the last one fits
    lo = int(first[:17])
    other = session.scalar(
        select(CodeBatch.id).where(
            CodeBatch.sscc_first.is_not(None),
            CodeBatch.sscc_first < lo + batch.count,
            CodeBatch.sscc_first + CodeBatch.count > lo,
        )
    )
    if other is not None:
        raise SsccTaken("some of these SSCCs belong to another batch", batch_id=other)
    batch.sscc_first = lo
    session.flush()
    return batch


def sscc_of(batch: CodeBatch, serial: int) -> str | None:
    if batch.sscc_first is None:
        return None
    payload = f"{batch.sscc_first + serial - batch.first_serial:017d}"
    return payload + str(gs1.sscc_check_digit(payload))


def _by_sscc(session: Session, brand_id: int, unit: str) -> tuple[SealedCode, CodeBatch]:
    payload = int(unit[:17])
    batch = session.scalar(
        select(CodeBatch).where(
            CodeBatch.brand_id == brand_id,
            CodeBatch.sscc_first <= payload,
            CodeBatch.sscc_first + CodeBatch.count > payload,
        )
    )
    if batch is None:
        raise CodeNotFound("no case or pallet of this brand has this SSCC", sscc=unit)
    serial = batch.first_serial + payload - (batch.sscc_first or 0)
    key = key_of(session, batch)
    return SealedCode(seal(key, serial), key.key_id, brand_id, serial), batch
