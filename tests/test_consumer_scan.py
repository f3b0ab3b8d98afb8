"""The consumer scan against real Redis and the database: outcomes, exactly-once claims,
budgets never exceeded, daily budgets resetting at the campaign's local midnight."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import codegen
from brands import service as brands
from infra.db import session_scope
from infra.redis import brand_key, get_redis
from rewards import campaigns, consumer_scan, recorder
from rewards.campaigns import CampaignSpec
from rewards.claims import DAY_KEY_TTL, WINS_KEY_TTL, wins_key
from rewards.consumer_scan import ConsumerScan, spent_fen
from rewards.models import Award, ScanRecord
from tests.conftest import BrandCtx
from tests.helpers import code, issue

SHANGHAI_NOON = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


def _campaign(brand: BrandCtx, **overrides: Any) -> CampaignSpec:
    spec: dict[str, Any] = {
        "slug": "spring",
        "name": "Spring",
        "status": "active",
        "starts_at": "2026-11-01T00:00:00+08:00",
        "ends_at": "2027-03-01T00:00:00+08:00",
        "total_budget_fen": 1_000_000,
        "prize_table": {
            "tiers": [
                {"key": "cash-188", "kind": "cash", "amount_fen": 188, "probability": 1.0},
            ]
        },
    }
    spec.update(overrides)
    return CampaignSpec.model_validate(spec)


def _setup(brand: BrandCtx, caps: int = 100, **overrides: Any) -> int:
    """A cap batch, all of it activated into a running campaign; returns the batch id."""
    with session_scope() as s:
        for code_, name, parent in (
            ("440000", "广东", None),
            ("440100", "广州", "440000"),
            ("330000", "浙江", None),
        ):
            brands.add_region(s, brand_id=brand.id, code=code_, name=name, parent_code=parent)
        campaigns.create_campaign(
            s, brand_id=brand.id, spec=_campaign(brand, **overrides), actor="t"
        )
    batch = issue(brand.id, "cap", caps)
    with session_scope() as s:
        codegen.activate_range(
            s,
            brand_id=brand.id,
            batch_id=batch,
            start_index=0,
            count=caps,
            binding=codegen.Binding("LAGER-500", campaign_slug="spring"),
        )
    return batch


def _scan(
    brand: BrandCtx,
    batch: int,
    index: int,
    openid: str = "o-1",
    *,
    now: datetime = SHANGHAI_NOON,
    region: str = "",
) -> consumer_scan.ScanAnswer:
    return consumer_scan.scan(
        ConsumerScan(code=code(brand.id, batch, index), openid=openid, region_code=region), now=now
    )


def _campaign_id(brand: BrandCtx) -> int:
    with session_scope() as s:
        return campaigns.get_campaign(s, brand_id=brand.id, slug="spring").id


def test_win_then_the_same_answer_then_claimed_for_others(brand: BrandCtx) -> None:
    batch = _setup(brand)
    first = _scan(brand, batch, 0, "alice")
    assert (first.outcome, first.prize and first.prize.amount_fen, first.repeat) == (
        "won",
        188,
        False,
    )
    again = _scan(brand, batch, 0, "alice")
    assert (again.outcome, again.prize, again.repeat) == ("won", first.prize, True)
    other = _scan(brand, batch, 0, "bob|x|1|y")  # a "|" in an openid confuses nothing
    assert other.outcome == "already_claimed"
    assert other.first_scan_at == SHANGHAI_NOON
    assert _scan(brand, batch, 0, "bob|x|1|y").outcome == "already_claimed"
    assert spent_fen(brand.id, _campaign_id(brand)) == 188
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        recorded = s.execute(
            select(ScanRecord.openid, ScanRecord.outcome).where(ScanRecord.brand_id == brand.id)
        ).all()
    assert sorted(map(tuple, recorded)) == [
        ("alice", "repeat"),
        ("alice", "won"),
        ("bob|x|1|y", "already_claimed"),
        ("bob|x|1|y", "already_claimed"),
    ]


def test_each_refusal_has_its_outcome(brand: BrandCtx) -> None:
    batch = _setup(brand, wins_per_consumer_per_day=2, regions=["440000"])
    blank = issue(brand.id, "cap", 3)
    bottles = issue(brand.id, "bottle", 3)
    with session_scope() as s:
        codegen.void_range(
            s, brand_id=brand.id, batch_id=batch, start_index=99, count=1, reason="x"
        )
    assert _scan(brand, blank, 0).outcome == "not_activated"
    assert _scan(brand, bottles, 0).outcome == "not_a_cap_code"
    assert _scan(brand, batch, 99).outcome == "voided"
    assert _scan(brand, batch, 1, region="330100").outcome == "region_not_in_campaign"
    assert _scan(brand, batch, 1, region="440106").outcome == "won"  # district of 440100
    assert _scan(brand, batch, 2, region="440100").outcome == "won"
    assert _scan(brand, batch, 3, region="440100").outcome == "limit_reached"
    assert _scan(brand, batch, 3, "carol", region="440100").outcome == "won"  # not consumed
    late = SHANGHAI_NOON + timedelta(days=200)
    assert _scan(brand, batch, 4, "dave", now=late, region="440100").outcome == "campaign_over"
    early = datetime(2026, 10, 1, tzinfo=UTC)
    assert (
        _scan(brand, batch, 4, "dave", now=early, region="440100").outcome == "campaign_not_running"
    )


def test_a_consumers_counters_expire_and_the_campaign_limit_still_holds(brand: BrandCtx) -> None:
    """One counter per account and campaign kept for good would outgrow every campaign."""
    batch = _setup(brand, wins_per_consumer=1)
    assert _scan(brand, batch, 0, "frank").outcome == "won"
    assert _scan(brand, batch, 1, "frank").outcome == "limit_reached"
    client = get_redis()
    campaign_id = _campaign_id(brand)
    total = wins_key(brand.id, campaign_id, "frank")
    day = brand_key(brand.id, "wins", campaign_id, "frank", "day", "20261123")
    assert int(client.get(total) or 0) == 1
    assert 399 * 86_400 < client.ttl(total) <= WINS_KEY_TTL
    assert 0 < client.ttl(day) <= DAY_KEY_TTL


def test_500_concurrent_scans_of_one_code_claim_it_once(brand: BrandCtx) -> None:
    batch = _setup(brand)
    text = code(brand.id, batch, 7)
    start = threading.Barrier(500)

    def scan(i: int) -> consumer_scan.ScanAnswer:
        start.wait()
        return consumer_scan.scan(ConsumerScan(code=text, openid=f"user-{i}"), now=SHANGHAI_NOON)

    with ThreadPoolExecutor(500) as pool:
        answers = list(pool.map(scan, range(500)))
    outcomes = [a.outcome for a in answers]
    assert outcomes.count("won") == 1
    assert outcomes.count("already_claimed") == 499
    assert spent_fen(brand.id, _campaign_id(brand)) == 188
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        assert (
            s.scalar(select(func.count()).select_from(Award).where(Award.brand_id == brand.id)) == 1
        )
        scans = s.scalar(
            select(func.count()).select_from(ScanRecord).where(ScanRecord.brand_id == brand.id)
        )
        assert scans == 500


def test_1000_concurrent_consumers_never_exceed_the_budget(brand: BrandCtx) -> None:
    budget = 10_000
    batch = _setup(
        brand,
        caps=1000,
        total_budget_fen=budget,
        prize_table={
            "tiers": [
                {"key": "cash-300", "kind": "cash", "amount_fen": 300, "probability": 0.7},
                {"key": "cash-50", "kind": "cash", "amount_fen": 50, "probability": 0.3},
            ]
        },
    )
    with session_scope() as s:
        b = codegen.get_batch(s, brand_id=brand.id, batch_id=batch)
        codes = [codegen.code_at(s, b, i) for i in range(1000)]
    start = threading.Barrier(1000)

    def scan(i: int) -> consumer_scan.ScanAnswer:
        start.wait()
        return consumer_scan.scan(ConsumerScan(code=codes[i], openid=f"c-{i}"), now=SHANGHAI_NOON)

    with ThreadPoolExecutor(1000) as pool:
        answers = list(pool.map(scan, range(1000)))
    awarded = sum(a.prize.amount_fen for a in answers if a.prize)
    spent = spent_fen(brand.id, _campaign_id(brand))
    assert awarded == spent <= budget
    assert budget - spent < 50  # drained: not even the cheapest tier is left
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        in_db = s.scalar(select(func.sum(Award.amount_fen)).where(Award.brand_id == brand.id))
    assert in_db == awarded


def test_daily_budget_resets_at_the_campaigns_local_midnight(brand: BrandCtx) -> None:
    batch = _setup(brand, daily_budget_fen=188)
    before_midnight = datetime(2026, 11, 23, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    assert _scan(brand, batch, 0, "a", now=before_midnight).outcome == "won"
    assert (
        _scan(brand, batch, 1, "b", now=before_midnight + timedelta(seconds=30)).outcome == "thanks"
    )
    after_midnight = before_midnight + timedelta(minutes=2)  # 00:01 the next day in Shanghai
    assert _scan(brand, batch, 2, "c", now=after_midnight).outcome == "won"


def test_a_campaign_change_applies_to_the_next_scan(brand: BrandCtx) -> None:
    batch = _setup(brand)
    assert _scan(brand, batch, 0, "a").prize.amount_fen == 188  # type: ignore[union-attr]
    spec = _campaign(
        brand,
        prize_table={
            "tiers": [
                {
                    "key": "voucher-1y",
                    "kind": "voucher",
                    "probability": 1.0,
                    "voucher": {
                        "product_sku": "LAGER-500",
                        "pay_fen": 100,
                        "subsidy_fen": 400,
                        "valid_days": 30,
                    },
                },
            ]
        },
    )
    with session_scope() as s:
        campaigns.update_campaign(s, brand_id=brand.id, slug="spring", spec=spec, actor="ops")
    answer = _scan(brand, batch, 1, "b")
    assert answer.prize is not None
    assert answer.prize.kind == "voucher"
    assert answer.prize.voucher == {
        "product_sku": "LAGER-500",
        "pay_fen": 100,
        "subsidy_fen": 400,
        "valid_days": 30,
    }
    with session_scope() as s:
        history = campaigns.changes(s, brand_id=brand.id, slug="spring")
    assert [h.actor for h in history] == ["t", "ops"]
    assert history[1].before["prize_table"]["tiers"][0]["key"] == "cash-188"  # type: ignore[index]


def test_region_rules_bring_their_own_prizes_and_budgets(brand: BrandCtx) -> None:
    batch = _setup(
        brand,
        region_rules=[
            {
                "region_code": "440100",
                "total_budget_fen": 100,
                "prize_table": {
                    "tiers": [
                        {"key": "cash-100", "kind": "cash", "amount_fen": 100, "probability": 1.0}
                    ]
                },
            }
        ],
    )
    assert _scan(brand, batch, 0, "a", region="440106").prize.amount_fen == 100  # type: ignore[union-attr]
    assert _scan(brand, batch, 1, "b", region="440106").outcome == "thanks"  # region budget spent
    assert _scan(brand, batch, 2, "c", region="330100").prize.amount_fen == 188  # type: ignore[union-attr]


def test_the_recorder_recovers_what_a_crashed_drainer_left(brand: BrandCtx) -> None:
    from infra.redis import get_redis
    from rewards.claims import events_key

    batch = _setup(brand)
    _scan(brand, batch, 0, "a")
    _scan(brand, batch, 1, "b")
    client = get_redis()
    recorder._ensure_group(client, events_key(brand.id))
    taken = client.xreadgroup(
        recorder.GROUP, "crashed-worker", {events_key(brand.id): ">"}, count=10
    )
    assert len(taken[0][1]) == 2  # read, never acked: that worker died
    assert recorder.drain(brand.id) == 0  # still pending with the dead consumer
    assert recorder.drain(brand.id, reclaim_ms=0) == 2
    with session_scope() as s:
        awards = s.scalars(select(Award).where(Award.brand_id == brand.id)).all()
    assert sorted(a.beneficiary for a in awards) == ["a", "b"]
    assert {a.amount_fen for a in awards} == {188}


def test_bad_campaign_settings_are_refused(brand: BrandCtx) -> None:
    from pydantic import ValidationError

    from brands.errors import UnknownReference

    with pytest.raises(ValidationError, match="add up to"):
        _campaign(
            brand,
            prize_table={
                "tiers": [
                    {"key": "a", "kind": "cash", "amount_fen": 1, "probability": 0.6},
                    {"key": "b", "kind": "cash", "amount_fen": 1, "probability": 0.6},
                ]
            },
        )
    with pytest.raises(ValidationError, match="time zone"):
        _campaign(brand, timezone="Mars/Olympus")
    with pytest.raises(UnknownReference), session_scope() as s:
        campaigns.create_campaign(
            s, brand_id=brand.id, spec=_campaign(brand, regions=["999999"]), actor="t"
        )


def test_the_recorder_loop_drains_every_brand(make_brand) -> None:  # type: ignore[no-untyped-def]
    a, b = make_brand(), make_brand()
    scans = []
    for brand in (a, b):
        batch = _setup(brand)
        scans.append(_scan(brand, batch, 0, "x").scan_id)
    stop = threading.Event()
    loop = threading.Thread(target=recorder.run, args=(stop,), kwargs={"interval": 0.05})
    loop.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=20)
        while datetime.now(UTC) < deadline:
            with session_scope() as s:
                found = s.scalar(
                    select(func.count()).select_from(ScanRecord).where(ScanRecord.id.in_(scans))
                )
            if found == 2:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        loop.join(timeout=10)
    assert found == 2


def test_claims_recorded_before_the_held_flag_existed_still_read(brand: BrandCtx) -> None:
    from infra.redis import brand_key, get_redis

    batch = _setup(brand)
    first = _scan(brand, batch, 0, "old|timer")
    key = brand_key(brand.id, "claims", batch)
    record = get_redis().hget(key, "0")
    assert isinstance(record, bytes)
    assert record.endswith(b"|0")
    get_redis().hset(key, "0", record[:-2])  # as the claim script wrote it before
    again = _scan(brand, batch, 0, "old|timer")
    assert (again.outcome, again.repeat, again.held, again.scan_id) == (
        "won",
        True,
        False,
        first.scan_id,
    )
    assert _scan(brand, batch, 0, "someone").outcome == "already_claimed"
