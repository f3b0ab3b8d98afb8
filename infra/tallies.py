"""Counters kept beside the rows they count (the dashboard's rollups), exact to the row.

Writers add deltas to a transaction with `add`; at its commit the deltas go out as upserts (one
`INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n` a table, executed for many rows;
PostgreSQL and SQLite both speak it). So a counter moves in the same transaction as the rows it
counts: a rolled-back batch or a retried stream entry never counts twice, and a crash never
leaves a count behind its rows. Rows go in key order, so concurrent writers lock counters in one
order and cannot deadlock on them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Float, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_PENDING = "onecode_tallies"


class _Pending:
    """One table's deltas in one transaction: key values -> column -> delta."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.rows: dict[tuple[Any, ...], defaultdict[str, float]] = {}


def add(session: Session, model: Any, key: dict[str, Any], **deltas: float) -> None:
    """Add `deltas` to the counters of `model`'s row at `key` (its primary key's columns,
    always given in the same order), when this session commits."""
    tables: dict[Any, _Pending] = session.info.setdefault(_PENDING, {})
    pending = tables.get(model)
    if pending is None:
        pending = tables[model] = _Pending(tuple(key))
    values = tuple(key.values())
    row = pending.rows.get(values)
    if row is None:
        row = pending.rows[values] = defaultdict(float)
    for name, value in deltas.items():
        row[name] += value


def flush(session: Session) -> None:
    """Write the pending deltas now (commit does it; a caller that reads its own counters
    before committing calls it)."""
    tables: dict[Any, _Pending] = session.info.pop(_PENDING, {})
    if not tables:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for model, pending in tables.items():
        table = model.__table__
        keys = [c.name for c in table.primary_key.columns]
        measures = [c.name for c in table.columns if c.name not in keys]
        floats = {c.name for c in table.columns if isinstance(c.type, Float)}
        rows = [
            dict(zip(pending.names, values, strict=True))
            | {m: _typed(pending.rows[values].get(m, 0), m in floats) for m in measures}
            for values in sorted(pending.rows, key=lambda v: [str(x) for x in v])
        ]
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={m: table.c[m] + stmt.excluded[m] for m in measures}
        )
        session.execute(stmt, rows)  # executemany: one statement, compiled once


def _typed(value: float, is_float: bool) -> float | int:
    """Counts stay integers; sums of coordinates stay floats."""
    return value if is_float else round(value)


@event.listens_for(Session, "before_commit")
def _flush_before_commit(session: Session) -> None:
    flush(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
