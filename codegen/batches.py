"""Issuing batches (serial ranges) and finding the batch of a code."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from codegen.errors import BatchNotFound, CodeNotFound, KeySpaceExhausted, RangeOutsideBatch
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
    """A code of this brand and its batch. Another brand's code is reported as not found."""
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
