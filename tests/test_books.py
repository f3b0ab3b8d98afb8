"""The books check (rewards/books.py, `onecode books`): balanced after scans and payouts, and
each kind of fault it exists to find shows up as a problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from infra.db import get_engine, session_scope
from onecode.cli import app
from payouts import service
from payouts.models import LedgerEntry, Payout
from rewards import books, recorder
from rewards.models import Campaign, ScanRecord
from tests.conftest import MCH, BrandCtx
from tests.test_consumer_scan import _scan, _setup


def _paid_brand(brand: BrandCtx, sandbox: Any) -> None:
    """Five red packets of 1.88 won, written behind and paid."""
    from payouts.provider import HttpProvider

    batch = _setup(brand)
    for i in range(5):
        assert _scan(brand, batch, i, f"o-{i}").outcome == "won"
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        owed = books.check(s, brand.id)
        assert owed.balanced, owed.problems
        assert owed.fen_by_place["in_flight"] == 5 * 188
        due = service.due(s)
    service.pay_many(due, HttpProvider(sandbox.url, MCH, "k"))


def test_scans_and_payouts_balance(brand: BrandCtx, sandbox: Any) -> None:
    _paid_brand(brand, sandbox)
    with session_scope() as s:
        report = books.check(s, brand.id)
    assert report.problems == []
    assert report.cash_awarded_fen == report.ledger_awards_fen == report.paid_fen == 5 * 188
    assert report.fen_by_place["paid"] == 5 * 188
    assert report.budgets == {"spring": {"budget_fen": 1_000_000, "spent_fen": 5 * 188}}
    result = CliRunner().invoke(app, ["books", "--brand", brand.slug])
    assert result.exit_code == 0, result.output
    assert "balanced" in result.output


def _first_scan(s: Session, brand_id: int) -> ScanRecord:
    return s.scalars(select(ScanRecord).where(ScanRecord.brand_id == brand_id)).first()


def _lose_a_ledger_entry(s: Session, brand_id: int) -> None:
    scan_id = _first_scan(s, brand_id).id
    s.execute(
        delete(LedgerEntry).where(LedgerEntry.kind == "award", LedgerEntry.scan_id == scan_id)
    )


def _claim_a_code_again(s: Session, brand_id: int) -> None:
    row = _first_scan(s, brand_id)
    s.add(
        ScanRecord(
            id="f" * 32,
            brand_id=brand_id,
            at=row.at,
            role="consumer",
            code=row.code,
            batch_id=row.batch_id,
            serial=row.serial,
            openid="someone-else",
            outcome="won",
        )
    )
    s.flush()


def _shrink_the_budget(s: Session, brand_id: int) -> None:
    s.execute(update(Campaign).where(Campaign.brand_id == brand_id).values(total_budget_fen=500))


def _forget_a_payout_succeeded(s: Session, brand_id: int) -> None:
    payout_id = s.scalars(select(Payout.id).where(Payout.brand_id == brand_id)).first()
    s.execute(update(Payout).where(Payout.id == payout_id).values(state="sending"))


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (_lose_a_ledger_entry, "in the ledger"),
        (_claim_a_code_again, "codes claimed twice"),
        (_shrink_the_budget, "over"),
        (_forget_a_payout_succeeded, "successful payouts"),
    ],
)
def test_each_fault_is_a_problem(
    brand: BrandCtx, sandbox: Any, fault: Callable[[Session, int], None], problem: str
) -> None:
    _paid_brand(brand, sandbox)
    with Session(get_engine()) as s:
        fault(s, brand.id)
        report = books.check(s, brand.id)
        s.rollback()
    assert not report.balanced
    assert any(problem in p for p in report.problems), report.problems
