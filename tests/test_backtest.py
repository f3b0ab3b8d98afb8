"""Back-testing a campaign change: the campaign's recorded scans replayed as it is and as
proposed, by a worker, without touching the campaign, its budget or its codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from rq import Queue, SimpleWorker

from infra.db import session_scope
from infra.redis import get_queue_redis
from rewards import backtest, campaigns
from rewards.consumer_scan import spent_fen
from tests.conftest import BrandCtx, auth
from tests.test_consumer_scan import _scan, _setup
from tests.test_risk_seam import _drain


def _work() -> None:
    SimpleWorker(
        [Queue(backtest.QUEUE, connection=get_queue_redis())], connection=get_queue_redis()
    ).work(burst=True)


def test_a_cheaper_table_with_a_smaller_budget_is_replayed_before_publishing(
    client: TestClient, brand: BrandCtx, make_brand: Any
) -> None:
    now = datetime.now(UTC)
    batch = _setup(brand, caps=20, starts_at=now - timedelta(days=3), ends_at=now + timedelta(9))
    for i in range(12):
        assert _scan(brand, batch, i, f"b-{i}", now=now - timedelta(hours=i)).outcome == "won"
    _drain(brand)
    h = auth(brand.admin_token)
    proposal = client.get("/v1/admin/campaigns/spring", headers=h).json()
    del proposal["id"], proposal["version"]  # what PUT takes: the settings alone
    proposal["prize_table"]["tiers"][0] |= {"key": "cash-100", "amount_fen": 100}
    proposal["total_budget_fen"] = 500  # five prizes of 1 yuan, then nothing

    r = client.post(
        "/v1/admin/campaigns/spring/backtests", json={"proposal": proposal, "days": 2}, headers=h
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert client.get(f"/v1/admin/campaigns/backtests/{job_id}", headers=h).json()["status"] == (
        "queued"
    )
    _work()
    done = client.get(f"/v1/admin/campaigns/backtests/{job_id}", headers=h).json()
    assert done["status"] == "finished", done
    result = done["result"]
    assert result["scans"] == 12
    assert result["current"]["awarded_fen_by_tier"] == {"cash-188": 12 * 188}
    assert result["proposed"]["awarded_fen_by_tier"] == {"cash-100": 500}
    assert result["proposed"]["outcomes"]["won"] == 5
    assert result["proposed"]["budget_left_fen"] == {"spring": 0}

    with session_scope() as s:  # nothing real moved
        c = campaigns.get_campaign(s, brand_id=brand.id, slug="spring")
        assert (c.version, c.total_budget_fen) == (1, 1_000_000)
        assert spent_fen(brand.id, c.id) == 12 * 188
    other: BrandCtx = make_brand()
    r = client.get(f"/v1/admin/campaigns/backtests/{job_id}", headers=auth(other.admin_token))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "BACKTEST_NOT_FOUND")
    renamed = {"proposal": proposal | {"slug": "autumn"}}
    r = client.post("/v1/admin/campaigns/spring/backtests", json=renamed, headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "CONFLICT")
    r = client.post("/v1/admin/campaigns/spring/backtests", json={"days": 2}, headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_REQUEST")
