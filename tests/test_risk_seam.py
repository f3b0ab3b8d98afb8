"""The risk seam: what each decision does to a consumer scan, down to the ledger and payouts.
The model behind it comes with issue 5; here a stand-in decides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import risk
from infra.db import session_scope
from payouts import holds, ledger
from payouts.models import LedgerEntry, Payout
from rewards import recorder
from rewards.models import Award, ScanRecord
from tests.conftest import BrandCtx
from tests.test_consumer_scan import SHANGHAI_NOON, _scan, _setup


def _always(action: risk.Action) -> Any:
    return lambda *_: risk.Decision(action, 0.9, ("stand-in",))


def _drain(brand: BrandCtx) -> None:
    while recorder.drain(brand.id):
        pass


@pytest.mark.parametrize(("action", "outcome"), [("block", "blocked"), ("challenge", "challenge")])
def test_block_and_challenge_claim_nothing(
    brand: BrandCtx, monkeypatch: pytest.MonkeyPatch, action: risk.Action, outcome: str
) -> None:
    batch = _setup(brand)
    monkeypatch.setattr(risk, "decide", _always(action))
    answer = _scan(brand, batch, 0, "mallory")
    assert (answer.outcome, answer.prize) == (outcome, None)
    monkeypatch.undo()
    assert _scan(brand, batch, 0, "olivia").outcome == "won"  # the code was not used up
    _drain(brand)
    with session_scope() as s:
        recorded = s.execute(
            select(ScanRecord.openid, ScanRecord.outcome).where(ScanRecord.brand_id == brand.id)
        ).all()
    assert sorted(map(tuple, recorded)) == [("mallory", outcome), ("olivia", "won")]


def test_lower_keeps_only_the_cheapest_paying_tier(
    brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiers = [
        {"key": "cash-888", "kind": "cash", "amount_fen": 888, "probability": 0.5},
        {"key": "cash-188", "kind": "cash", "amount_fen": 188, "probability": 0.5},
    ]
    batch = _setup(brand, prize_table={"tiers": tiers})
    monkeypatch.setattr(risk, "decide", _always("lower"))
    answers = [_scan(brand, batch, i, f"l-{i}") for i in range(30)]
    won = {a.prize.amount_fen for a in answers if a.prize}
    assert won == {188}  # 30 draws at even odds: the 888 tier would have come up


def test_a_held_win_is_owed_but_paid_only_after_release(
    brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _setup(brand)
    monkeypatch.setattr(risk, "decide", _always("hold"))
    first = _scan(brand, batch, 0, "hugo")
    assert (first.outcome, first.held) == ("won", True)
    monkeypatch.undo()
    again = _scan(brand, batch, 0, "hugo")  # the same answer, still held
    assert (again.outcome, again.repeat, again.held, again.scan_id) == (
        "won",
        True,
        True,
        first.scan_id,
    )
    _drain(brand)
    with session_scope() as s:
        award = s.get_one(Award, first.scan_id)
        entry = s.scalar(select(LedgerEntry).where(LedgerEntry.award_id == first.scan_id))
        assert award.status == "held"
        assert entry is not None
        assert entry.held
        held = select(Payout).where(Payout.brand_id == brand.id, Payout.account == "consumer:hugo")
        assert s.scalar(held) is None
        assert [e.award_id for e in holds.waiting(s, brand.id)] == [first.scan_id]
        assert ledger.balance(s, brand.id, "consumer:hugo") == 188
        payout_id = holds.release(s, brand_id=brand.id, award_id=first.scan_id, actor="ana")
    with session_scope() as s:
        payout = s.get_one(Payout, payout_id)
        assert (payout.account, payout.amount_fen, payout.state) == (
            "consumer:hugo",
            188,
            "pending",
        )


def test_the_review_queue_loses_what_is_released_or_voided(
    brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _setup(brand)
    monkeypatch.setattr(risk, "decide", _always("hold"))
    noon = SHANGHAI_NOON
    ids = [
        _scan(brand, batch, i, f"q-{i}", now=noon + timedelta(seconds=i)).scan_id for i in range(3)
    ]
    monkeypatch.undo()
    _drain(brand)
    with session_scope() as s:
        assert [e.award_id for e in holds.waiting(s, brand.id)] == ids  # oldest first
        holds.release(s, brand_id=brand.id, award_id=ids[0], actor="ana")
        holds.void(s, brand_id=brand.id, award_id=ids[1], actor="ana", reason="ring")
    with session_scope() as s:
        assert [e.award_id for e in holds.waiting(s, brand.id)] == [ids[2]]
        assert holds.waiting(s, brand.id, limit=0) == []
