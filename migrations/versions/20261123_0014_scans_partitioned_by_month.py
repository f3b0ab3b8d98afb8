"""scans partitioned by month in PostgreSQL (rewards/partitions.py); SQLite unchanged

Revision ID: 5c2d8e41a9b7
Revises: 41fdf578e7cb
Create Date: 2026-12-04 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text

revision: str = "5c2d8e41a9b7"
down_revision: str | None = "41fdf578e7cb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(partitioned: bool) -> None:
    """Copy `scans` into a new table (partitioned or plain), swap it in, and put back the
    constraints and indexes under their usual names."""
    by = " PARTITION BY RANGE (at)" if partitioned else ""
    op.execute(f"CREATE TABLE scans_next (LIKE scans INCLUDING DEFAULTS INCLUDING CONSTRAINTS){by}")
    if partitioned:
        op.execute("CREATE TABLE scans_default PARTITION OF scans_next DEFAULT")
    op.execute("INSERT INTO scans_next SELECT * FROM scans")
    op.execute("DROP TABLE scans")
    op.execute("ALTER TABLE scans_next RENAME TO scans")
    key = "id, at" if partitioned else "id"  # a partitioned table's keys include its partition key
    op.execute(f"ALTER TABLE scans ADD CONSTRAINT pk_scans PRIMARY KEY ({key})")
    op.execute(
        "ALTER TABLE scans ADD CONSTRAINT fk_scans_brand_id_brands "
        "FOREIGN KEY (brand_id) REFERENCES brands (id)"
    )
    op.execute("CREATE INDEX ix_scans_brand_at ON scans (brand_id, at)")
    op.execute("CREATE INDEX ix_scans_brand_code ON scans (brand_id, code)")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _rebuild(partitioned=True)
    from rewards import partitions

    # A month for every month the rows there are span, up to the coming ones; rows older than
    # two years (an import of old logs) stay in the default partition.
    oldest = bind.execute(text("SELECT min(at) FROM scans")).scalar()
    now = datetime.now(UTC)
    if oldest is not None and oldest < now:
        behind = min(24, (now.year - oldest.year) * 12 + now.month - oldest.month)
        first = partitions.month_start(now.date(), -behind)
        partitions.ensure(bind, around=first, ahead=behind + partitions.AHEAD)
    partitions.ensure(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(partitioned=False)  # dropping the partitioned table drops its months
