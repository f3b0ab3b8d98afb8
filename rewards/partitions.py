"""The scan table partitioned by month, in PostgreSQL (SQLite keeps one plain table).

A national campaign writes tens of millions of scans a month. Partitioned by `at`, a month is
its own table: queries over a time range read only their months, indexes stay the size of a
month, and an old month is detached and archived in a moment instead of deleted row by row
(`onecode db scan-partitions --detach-before YYYY-MM`).

`scans` is `PARTITION BY RANGE (at)` with primary key (id, at), one partition a UTC month
(`scans_p202612`) and a default partition for rows outside every month (an import of old
logs). The recorder calls `ensure` when it starts and every hour, so the coming months exist
before their first scan; a month created after rows for it reached the default partition takes
them over (`_create`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

TABLE = "scans"
DEFAULT = "scans_default"
AHEAD = 3  # months created ahead of the current one
_PARTITION = re.compile(r"^scans_(p\d{6}|default)$")


def is_partition(name: str | None) -> bool:
    """A partition of `scans`: created here, not by the models (alembic leaves them alone)."""
    return bool(name and _PARTITION.match(name))


def month_start(day: date, add: int = 0) -> date:
    """The first day of `day`'s month, `add` months on."""
    index = day.year * 12 + day.month - 1 + add
    return date(index // 12, index % 12 + 1, 1)


def _partitioned(conn: Connection | Session) -> bool:
    dialect = conn.dialect if isinstance(conn, Connection) else conn.get_bind().dialect
    if dialect.name != "postgresql":
        return False
    return bool(
        conn.execute(
            text(
                "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                "WHERE c.relname = :t AND c.relnamespace = current_schema()::regnamespace"
            ),
            {"t": TABLE},
        ).scalar()
    )


def months(conn: Connection | Session) -> list[str]:
    """The month partitions that exist, oldest first."""
    if not _partitioned(conn):
        return []
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t "
            "AND p.relnamespace = current_schema()::regnamespace"
        ),
        {"t": TABLE},
    ).scalars()
    return sorted(n for n in names if n != DEFAULT)


def ensure(
    conn: Connection | Session, *, around: date | None = None, ahead: int = AHEAD
) -> list[str]:
    """Create the partitions from `around`'s month (today's by default) to `ahead` months on;
    returns those created. Nothing on SQLite."""
    if not _partitioned(conn):
        return []
    first = month_start(around or datetime.now(UTC).date())
    existing = set(months(conn))
    created = []
    for i in range(ahead + 1):
        start = month_start(first, i)
        name = f"{TABLE}_p{start:%Y%m}"
        if name not in existing:
            _create(conn, name, start, month_start(start, 1))
            created.append(name)
    return created


def _create(conn: Connection | Session, name: str, start: date, end: date) -> None:
    """A month's partition, built apart and attached: rows of that month already in the
    default partition move into it first (attaching would fail over them otherwise). Every
    name here is made in this module from a date, never from input."""
    lo, hi = (f"'{d.isoformat()}T00:00:00+00:00'" for d in (start, end))
    statements = [
        f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE at >= {lo} AND at < {hi} RETURNING *) "  # noqa: S608
        f"INSERT INTO {name} SELECT * FROM moved",
        # The check lets ATTACH trust the rows fit instead of scanning them.
        f"ALTER TABLE {name} ADD CONSTRAINT {name}_fits CHECK (at >= {lo} AND at < {hi})",
        f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})",
        f"ALTER TABLE {name} DROP CONSTRAINT {name}_fits",
    ]
    for statement in statements:
        conn.execute(text(statement))


def detach_before(conn: Connection | Session, month: date) -> list[str]:
    """Detach the month partitions older than `month`: their rows leave `scans` (and every
    report) but stay in their own tables, to archive and drop. Returns their names."""
    cut = f"{TABLE}_p{month_start(month):%Y%m}"
    gone = [name for name in months(conn) if name < cut]
    for name in gone:
        conn.execute(text(f"ALTER TABLE {TABLE} DETACH PARTITION {name}"))
    return gone
