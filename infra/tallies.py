"""Counters kept beside the rows they count (the dashboard's rollups), exact to the row.

Writers add deltas to a transaction with `add`; at its commit the deltas go out as one upsert a
table (`INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`, which PostgreSQL and SQLite
both speak). So a counter moves in the same transaction as the rows it counts: a rolled-back
batch or a retried stream entry never counts twice, and a crash never leaves a count behind its
rows. The rows of one statement go in key order, so concurrent writers lock counters in one
order and cannot deadlock on them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_PENDING = "onecode_tallies"


def add(session: Session, model: Any, key: dict[str, Any], **deltas: float) -> None:
    """Add `deltas` to the counters of `model`'s row at `key` (its primary key's columns),
    when this session commits."""
    pending: dict[Any, dict[tuple[tuple[str, Any], ...], dict[str, float]]] = (
        session.info.setdefault(_PENDING, {})
    )
    row = pending.setdefault(model, {}).setdefault(tuple(sorted(key.items())), defaultdict(float))
    for name, value in deltas.items():
        row[name] += value


def flush(session: Session) -> None:
    """Write the pending deltas now (commit does it; a caller that reads its own counters
    before committing calls it)."""
    pending = session.info.pop(_PENDING, {})
    if not pending:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for model, rows in pending.items():
        table = model.__table__
        keys = [c.name for c in table.primary_key.columns]
        measures = [c.name for c in table.columns if c.name not in keys]
        params = [
            dict(key) | {m: _typed(table, m, rows[key].get(m, 0)) for m in measures}
            for key in sorted(rows, key=lambda k: [str(v) for _, v in k])
        ]
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={m: table.c[m] + stmt.excluded[m] for m in measures}
        )
        session.execute(stmt, params)


def _typed(table: Any, name: str, value: float) -> float | int:
    """Counts stay integers; sums of coordinates stay floats."""
    return value if table.c[name].type.python_type is float else round(value)


@event.listens_for(Session, "before_commit")
def _flush_before_commit(session: Session) -> None:
    flush(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
