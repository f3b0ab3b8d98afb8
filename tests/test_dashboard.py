"""The dashboard: rollups kept by the recorder and the payouts in the transactions that write
what they count (so equal to a recount, never doubled by a retry, exact under concurrent
writers), and the panels' API with its CSV, periods and brand isolation."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import risk
from infra import tallies
from infra.db import session_scope
from infra.redis import get_redis
from payouts import service
from payouts.models import Payout, PayoutTally
from reports import dashboard
from reports.dashboard import Period
from rewards import consumer_scan, recorder, rollups
from rewards.consumer_scan import ConsumerScan
from rewards.models import ScanDay, ScanMinute
from tests.conftest import BrandCtx, auth
from tests.helpers import code
from tests.test_consumer_scan import SHANGHAI_NOON, _scan, _setup
from tests.test_risk_seam import _always, _drain

DAY = SHANGHAI_NOON.date()  # 12:00 in Shanghai: the same day there
PERIOD = {"since": str(DAY), "until": str(DAY)}


def _located(brand: BrandCtx, batch: int, index: int, openid: str, region: str) -> None:
    consumer_scan.scan(
        ConsumerScan(
            code=code(brand.id, batch, index),
            openid=openid,
            region_code=region,
            latitude=23.1 + index / 100,
            longitude=113.3,
        ),
        now=SHANGHAI_NOON,
    )


def _rollups(brand_id: int) -> tuple[list[Any], list[Any]]:
    with session_scope() as s:
        days = s.execute(
            select(ScanDay).where(ScanDay.brand_id == brand_id).order_by(*ScanDay.__table__.c)
        ).scalars()
        minutes = s.execute(
            select(ScanMinute)
            .where(ScanMinute.brand_id == brand_id)
            .order_by(*ScanMinute.__table__.c)
        ).scalars()
        return [_row(r) for r in days], [_row(r) for r in minutes]


def _row(obj: Any) -> tuple[Any, ...]:
    """A rollup row's values; sums of coordinates to the micro-degree (float addition order)."""
    values = (getattr(obj, c.key) for c in obj.__table__.c)
    return tuple(round(v, 6) if isinstance(v, float) else v for v in values)


def _scans(brand: BrandCtx, monkeypatch: pytest.MonkeyPatch) -> int:
    """Seven wins (one held), a repeat, a second claimant, a blocked scan; in two provinces."""
    batch = _setup(brand, caps=20)
    for i in range(6):
        _located(brand, batch, i, f"o-{i}", "440100")  # 广州: under 广东 in the brand's tree
    _scan(brand, batch, 0, "o-0", region="440100")  # repeat
    _scan(brand, batch, 1, "o-x", region="440100")  # already claimed
    _scan(brand, batch, 6, "o-6", region="330106")  # 杭州西湖区: 浙江 by its code
    monkeypatch.setattr(risk, "decide", _always("hold"))
    _scan(brand, batch, 7, "o-7", region="330106")
    monkeypatch.setattr(risk, "decide", _always("block"))
    _scan(brand, batch, 8, "o-8", region="330106")
    monkeypatch.undo()
    return batch


def test_rollups_follow_the_recorder_and_equal_a_recount(
    brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scans(brand, monkeypatch)
    _drain(brand)
    with session_scope() as s:
        total = dashboard.totals(s, brand.id, Period(DAY, DAY))
        live = dashboard.live(
            s, brand.id, now=SHANGHAI_NOON + timedelta(minutes=1), minutes=3, campaign_id=None
        )
        provinces = dashboard.breakdown(s, brand.id, Period(DAY, DAY), "province")
        other_day = dashboard.totals(s, brand.id, Period(DAY + timedelta(1), DAY + timedelta(1)))
    assert (total.scans, total.claims, total.wins, total.awarded_fen) == (11, 8, 8, 8 * 188)
    assert (total.stopped, total.held, total.held_fen, total.already_claimed) == (1, 1, 188, 1)
    assert other_day.scans == 0
    assert [m.scans for m in live] == [0, 11, 0]  # the minute before, of, and after the scans
    assert (live[1].stopped, live[1].held) == (1, 1)
    assert {(p.key, p.label, p.scans) for p in provinces} == {
        ("440000", "广东", 8),
        ("330000", "浙江", 3),
    }
    before = _rollups(brand.id)
    with session_scope() as s:
        assert rollups.rebuild(s, brand.id) == 11
    assert _rollups(brand.id) == before


def test_a_retried_stream_entry_is_not_counted_twice(
    brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _setup(brand, caps=5)
    for i in range(3):
        _scan(brand, batch, i, f"r-{i}")
    client = get_redis()

    def crash_before_ack(*_: Any) -> None:
        raise ConnectionError("the recorder died after its commit, before its ack")

    monkeypatch.setattr(client, "xack", crash_before_ack)
    with pytest.raises(ConnectionError):
        recorder.drain(brand.id)
    monkeypatch.undo()
    assert recorder.drain(brand.id, reclaim_ms=0) == 3  # the same entries, read again
    with session_scope() as s:
        assert dashboard.totals(s, brand.id, Period(DAY, DAY)).wins == 3


def test_concurrent_writers_count_exactly_without_deadlock(brand: BrandCtx) -> None:
    """Sixteen writers, each adding to the same counters in its own order, many times: every
    delta lands once (PostgreSQL row locks in key order; SQLite one writer at a time)."""
    keys = [{"brand_id": brand.id, "campaign_id": c, "state": "pending"} for c in range(6)]
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for round_ in range(15):
                with session_scope() as s:
                    for key in keys[n % 6 :] + keys[: n % 6]:  # a different order a writer
                        tallies.add(s, PayoutTally, key, payouts=1, amount_fen=round_)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope() as s:
        rows = s.scalars(select(PayoutTally).where(PayoutTally.brand_id == brand.id)).all()
    assert {(r.campaign_id, r.payouts, r.amount_fen) for r in rows} == {
        (c, 16 * 15, 16 * sum(range(15))) for c in range(6)
    }


def test_payout_tallies_move_with_each_state_change(brand: BrandCtx) -> None:
    now = SHANGHAI_NOON
    rows = [
        service.new_payout(
            brand_id=brand.id,
            account=f"consumer:o-{i}",
            openid=f"o-{i}",
            amount_fen=100 + i,
            campaign_id=None,
            region_code="",
            cause=f"test/{brand.id}/{i}",
            now=now,
        )
        for i in range(3)
    ]
    with session_scope() as s:
        assert len(service.create(s, rows)) == 3
        assert service.create(s, rows) == []  # the same payouts again: nothing new to count
    with session_scope() as s:
        p = s.get_one(Payout, rows[0]["id"])
        service._move(s, p, "failed", now, "test")
    with session_scope() as s:
        panel = {x.state: (x.payouts, x.amount_fen) for x in dashboard.payouts(s, brand.id)}
    assert panel == {"pending": (2, 101 + 102), "failed": (1, 100)}


def test_the_panels_answer_json_and_csv_for_their_brand_only(
    client: Any, brand: BrandCtx, make_brand: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _scans(brand, monkeypatch)
    _drain(brand)
    h = auth(brand.finance_token)
    r = client.get("/v1/admin/dashboard/totals", params=PERIOD, headers=h)
    assert (r.status_code, r.json()["wins"], r.json()["awarded_fen"]) == (200, 8, 8 * 188)
    r = client.get("/v1/admin/dashboard/map", params=PERIOD, headers=h)
    provinces = {p["code"]: p for p in r.json()["provinces"]}
    assert (provinces["440000"]["scans"], provinces["440000"]["wins"]) == (8, 6)
    place = next(p for p in r.json()["places"] if p["code"] == "440100")
    assert place["latitude"] == pytest.approx(23.125)  # the six located scans' mean
    r = client.get(
        "/v1/admin/dashboard/breakdown",
        params={**PERIOD, "by": "campaign", "format": "csv"},
        headers=h,
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert [(t["label"], t["wins"]) for t in table] == [("Spring", "8")]
    for params, status, error in (
        ({"since": "2026-11-24", "until": "2026-11-23"}, 422, "INVALID_PERIOD"),
        ({"since": "2020-01-01", "until": "2026-11-23"}, 422, "INVALID_PERIOD"),
        ({"days": "0"}, 422, "INVALID_REQUEST"),
        ({"campaign": "nope"}, 404, "CAMPAIGN_NOT_FOUND"),
        ({"format": "xml"}, 422, "INVALID_REQUEST"),
    ):
        r = client.get("/v1/admin/dashboard/breakdown", params=params, headers=h)
        assert (r.status_code, r.json()["error"]["code"]) == (status, error), params
    other: BrandCtx = make_brand()
    r = client.get("/v1/admin/dashboard/totals", params=PERIOD, headers=auth(other.admin_token))
    assert (r.status_code, r.json()["scans"]) == (200, 0)
    r = client.get(
        "/v1/admin/dashboard/totals",
        params={**PERIOD, "campaign": "spring"},
        headers=auth(other.admin_token),
    )
    assert (r.status_code, r.json()["error"]["code"]) == (404, "CAMPAIGN_NOT_FOUND")
