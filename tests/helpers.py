"""Small builders shared by tests."""

from __future__ import annotations

from sqlalchemy import func, select

import codegen
from codegen.models import Activation, CodeVoid, PackLink, PackRange
from infra.db import session_scope


def issue(brand_id: int, kind: str, count: int) -> int:
    with session_scope() as s:
        return codegen.issue_batch(s, brand_id=brand_id, kind=kind, count=count).id


def code(brand_id: int, batch_id: int, index: int) -> str:
    with session_scope() as s:
        return codegen.code_at(s, codegen.get_batch(s, brand_id=brand_id, batch_id=batch_id), index)


def info(brand_id: int, text: str) -> codegen.CodeInfo:
    with session_scope() as s:
        return codegen.lookup(s, brand_id=brand_id, text=text)


def row_counts(brand_id: int) -> dict[str, int]:
    """How many rows of each code-state table the brand has: to prove that errors change nothing."""
    with session_scope() as s:
        return {
            m.__tablename__: s.scalar(
                select(func.count()).select_from(m).where(m.brand_id == brand_id)
            )
            or 0
            for m in (Activation, CodeVoid, PackRange, PackLink)
        }


LAGER = codegen.Binding("LAGER-500", lot="L1", factory="GZ-1")
IPA = codegen.Binding("IPA-330", lot="L2", factory="GZ-1")
