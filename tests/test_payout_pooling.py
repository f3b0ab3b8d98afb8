"""Small prizes wait until together they reach the payout minimum (the campaign's, or the
provider's 0.10 yuan), then go as one transfer; no award ever rides in two payouts."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from infra.db import session_scope
from payouts import holds, owing, service, statements
from payouts.models import LedgerEntry, Payout, PayoutItem
from payouts.owing import Owed, owe
from payouts.provider import HttpProvider
from tests.conftest import BACKEND, MCH, BrandCtx

CAMPAIGN = 7  # the ledger names campaigns by id; these tests need no campaign row


def _win(brand: BrandCtx, amount: int, *, openid: str = "pat", **kw: Any) -> list[str]:
    """A consumer's cash prize, owed; returns the payouts it caused."""
    kw.setdefault("min_fen", 100)
    with session_scope() as s:
        return owe(
            s,
            [
                Owed(
                    uuid.uuid4().hex,
                    brand.id,
                    datetime.now(UTC),
                    "consumer",
                    openid,
                    amount,
                    kw.pop("campaign_id", CAMPAIGN),
                    kw.pop("region_code", "440100"),
                    **kw,
                )
            ],
        )


def _items(payout_id: str) -> list[PayoutItem]:
    with session_scope() as s:
        return list(s.scalars(select(PayoutItem).where(PayoutItem.payout_id == payout_id)))


def test_small_prizes_wait_for_the_minimum_then_go_as_one(
    brand: BrandCtx, client: TestClient, sandbox: Any
) -> None:
    assert [_win(brand, 30) for _ in range(3)] == [[], [], []]
    wallet = {"brand": brand.slug, "openid": "pat"}
    before = client.get("/v1/consumer/wallet", params=wallet).json()
    assert (before["owed_fen"], before["waiting_fen"], before["payouts"]) == (90, 90, [])

    (payout_id,) = _win(brand, 30, region_code="330100")  # 120 fen: past the minimum
    payout = _payout(payout_id)
    assert (payout.amount_fen, payout.openid, payout.region_code) == (120, "pat", "")
    assert sorted(i.amount_fen for i in _items(payout_id)) == [30, 30, 30, 30]

    assert service.pay(payout_id, HttpProvider(sandbox.url, MCH, "k")).state == "success"
    assert [b["transfer_amount"] for b in sandbox.bills(payout.bill_no)] == [120]
    after = client.get("/v1/consumer/wallet", params=wallet).json()
    assert (after["owed_fen"], after["waiting_fen"], after["paid_fen"]) == (0, 0, 120)
    with session_scope() as s:
        # One debit per award carried: what was paid stays exact by region.
        lines = statements.campaign_statement(s, brand.id, CAMPAIGN)
        assert {(line.region_code, line.paid_fen) for line in lines} == {
            ("440100", 90),
            ("330100", 30),
        }
        debits = s.scalar(
            select(func.count()).where(
                LedgerEntry.payout_id == payout_id, LedgerEntry.kind == "payout"
            )
        )
        assert debits == 4


def test_the_providers_minimum_holds_without_a_campaign_minimum(brand: BrandCtx) -> None:
    assert _win(brand, 6, min_fen=0) == []  # under WeChat's 0.10 yuan
    (payout_id,) = _win(brand, 6, min_fen=0)
    assert _payout(payout_id).amount_fen == 12
    (alone,) = _win(brand, 10, min_fen=0)  # at the minimum: paid on its own
    assert _payout(alone).amount_fen == 10


def test_prizes_at_the_minimum_go_alone_and_pools_are_per_campaign(brand: BrandCtx) -> None:
    assert _win(brand, 60, campaign_id=1) == []
    assert _win(brand, 60, campaign_id=2) == []  # another campaign: another pool
    (alone,) = _win(brand, 100, campaign_id=1)
    assert _payout(alone).amount_fen == 100
    (pooled,) = _win(brand, 40, campaign_id=1)
    assert _payout(pooled).amount_fen == 100
    with session_scope() as s:
        assert owing.waiting_fen(s, brand.id, "consumer:pat") == 60


def test_a_pool_past_the_largest_transfer_goes_in_several(brand: BrandCtx) -> None:
    # A campaign minimum of 200 yuan, the provider's largest transfer: 9,000-fen prizes fill
    # a transfer two at a time, and the third waits for more.
    kw = {"min_fen": 20_000, "openid": "quinn"}
    assert _win(brand, 9_000, **kw) == []
    assert _win(brand, 9_000, **kw) == []
    (first,) = _win(brand, 9_000, **kw)
    assert _payout(first).amount_fen == 18_000
    with session_scope() as s:
        assert owing.waiting_fen(s, brand.id, "consumer:quinn") == 9_000


def test_a_released_small_award_waits_with_the_others(brand: BrandCtx) -> None:
    award = uuid.uuid4().hex
    now = datetime.now(UTC)
    with session_scope() as s:
        owe(s, [Owed(award, brand.id, now, "consumer", "rae", 40, CAMPAIGN, held=True)])
    assert _win(brand, 40, openid="rae") == []
    with session_scope() as s:
        assert owing.waiting_fen(s, brand.id, "consumer:rae") == 40  # the held one is not
        released = holds.release(
            s, brand_id=brand.id, award_id=award, actor="ana", payout_min=lambda _: 100
        )
        assert released is None
        assert owing.waiting_fen(s, brand.id, "consumer:rae") == 80
    (payout_id,) = _win(brand, 40, openid="rae")
    assert _payout(payout_id).amount_fen == 120


def test_racing_settlers_carry_each_award_once(brand: BrandCtx) -> None:
    """Four sweepers settle the same ripe pools at once: no award lands in two payouts, and
    every payout is worth exactly its awards."""
    now = datetime.now(UTC)
    rows = [
        owing.item(
            award_id=uuid.uuid4().hex,
            brand_id=brand.id,
            account=f"consumer:s{n % 5}",
            openid=f"s{n % 5}",
            amount_fen=25,
            campaign_id=CAMPAIGN,
            region_code="440100",
            at=now + timedelta(milliseconds=n),
            min_fen=1_000,
        )
        for n in range(300)  # 60 awards a consumer: 1,500 fen each, past the minimum
    ]
    with session_scope() as s:
        s.execute(PayoutItem.__table__.insert(), rows)
    pools = [(brand.id, f"consumer:s{n}", CAMPAIGN) for n in range(5)]
    start = threading.Barrier(4)
    refused: list[Exception] = []

    def settler() -> None:
        start.wait()
        try:
            with session_scope() as s:
                owing.settle(s, pools)
        except Exception as exc:
            refused.append(exc)

    threads = [threading.Thread(target=settler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # PostgreSQL: the settlers skip each other's locked rows, and none fails. SQLite has one
    # writer: a settler whose snapshot is stale is refused, and the next pass does its work.
    allowed = (OperationalError,) if BACKEND == "sqlite" else ()
    assert all(isinstance(exc, allowed) for exc in refused), refused
    assert len(refused) < 4
    with session_scope() as s:
        owing.settle(s, pools)  # what any loser left
    with session_scope() as s:
        carried = {
            payout_id: total
            for payout_id, total in s.execute(
                select(PayoutItem.payout_id, func.sum(PayoutItem.amount_fen))
                .where(PayoutItem.id.in_([r["id"] for r in rows]))
                .group_by(PayoutItem.payout_id)
            )
        }
        payouts = {
            p.id: p.amount_fen
            for p in s.scalars(select(Payout).where(Payout.account.like("consumer:s%")))
            if p.brand_id == brand.id
        }
    waiting = carried.pop(None, 0)
    assert carried == payouts  # each payout is worth exactly the awards it carries
    assert sum(payouts.values()) + waiting == 300 * 25  # and every award is in one, or waits
    with session_scope() as s:
        # A settler may have locked a few rows while another took the rest: those few wait
        # for more, under the minimum; nothing that could go is left behind.
        assert not [p for p in owing.ripe(s) if p in pools]


def _payout(payout_id: str) -> Payout:
    with session_scope() as s:
        return s.get_one(Payout, payout_id)
