"""The scan table by month (rewards/partitions.py): partitioned in PostgreSQL, one plain table
in SQLite; months made ahead, rows that came early moved into their month, old months
detached whole."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text
from typer.testing import CliRunner

from infra.db import session_scope
from onecode.cli import app
from rewards import partitions
from rewards.models import ScanRecord
from tests.conftest import BACKEND, BrandCtx

# A month no other test writes in: detaching it touches nothing else.
LONG_AGO = datetime(2001, 1, 15, 8, 0, tzinfo=UTC)


def _scan_at(brand: BrandCtx, at: datetime, scan_id: str) -> None:
    with session_scope() as s:
        s.add(
            ScanRecord(
                id=scan_id, brand_id=brand.id, at=at, role="consumer", code="X", outcome="won"
            )
        )


def _where(scan_id: str) -> str:
    with session_scope() as s:
        return str(
            s.execute(
                text("SELECT tableoid::regclass::text FROM scans WHERE id = :id"), {"id": scan_id}
            ).scalar()
        )


def test_the_scan_table_has_its_coming_months(brand: BrandCtx) -> None:
    with session_scope() as s:
        months = partitions.months(s)
        created = partitions.ensure(s)  # the migration made them already
    if BACKEND == "sqlite":
        assert (months, created) == ([], [])
        return
    this_month = datetime.now(UTC).date().replace(day=1)
    assert f"scans_p{this_month:%Y%m}" in months
    assert created == []
    assert len([m for m in months if m >= f"scans_p{this_month:%Y%m}"]) >= partitions.AHEAD + 1
    _scan_at(brand, datetime.now(UTC), "a" * 32)
    assert _where("a" * 32) == f"scans_p{this_month:%Y%m}"


def test_rows_before_their_month_exists_move_into_it_and_old_months_detach(
    brand: BrandCtx,
) -> None:
    scan_id = "b" * 32
    _scan_at(brand, LONG_AGO, scan_id)
    with session_scope() as s:
        created = partitions.ensure(s, around=date(2001, 1, 1), ahead=0)
    if BACKEND == "sqlite":
        assert created == []
        return
    assert created == ["scans_p200101"]
    assert _where(scan_id) == "scans_p200101"  # it had gone to the default partition
    try:
        with session_scope() as s:
            assert partitions.detach_before(s, date(2001, 2, 1)) == ["scans_p200101"]
        with session_scope() as s:
            assert s.get(ScanRecord, scan_id) is None  # no longer in scans …
            kept = s.execute(text("SELECT count(*) FROM scans_p200101")).scalar()
            assert kept == 1  # … but in its own table, to archive
            assert "scans_p200101" not in partitions.months(s)
    finally:
        with session_scope() as s:
            s.execute(text("DROP TABLE IF EXISTS scans_p200101"))


def test_the_cli_lists_the_months() -> None:
    result = CliRunner().invoke(app, ["db", "scan-partitions"])
    assert result.exit_code == 0, result.output
    if BACKEND == "sqlite":
        assert "not partitioned" in result.output
    else:
        assert f"scans_p{datetime.now(UTC):%Y%m}" in result.output
