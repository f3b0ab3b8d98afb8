"""The consumer scan and campaign endpoints over HTTP, as a mini-program and the admin call them."""

from __future__ import annotations

import pytest
import redis
from fastapi.testclient import TestClient

import codegen
from brands import service as brands
from codegen import format as fmt
from infra.db import session_scope
from rewards import consumer_scan
from tests.conftest import BrandCtx, auth
from tests.helpers import code, issue

CAMPAIGN = {
    "slug": "summer",
    "name": "Summer",
    "status": "active",
    "total_budget_fen": 100_000,
    "prize_table": {
        "tiers": [{"key": "cash-66", "kind": "cash", "amount_fen": 66, "probability": 1}]
    },
}


def _running(client: TestClient, brand: BrandCtx) -> int:
    h = auth(brand.admin_token)
    r = client.post("/v1/admin/campaigns", json=CAMPAIGN, headers=h)
    assert r.status_code == 201, r.text
    batch = issue(brand.id, "cap", 10)
    with session_scope() as s:
        codegen.activate_range(
            s,
            brand_id=brand.id,
            batch_id=batch,
            start_index=0,
            count=10,
            binding=codegen.Binding("LAGER-500", campaign_slug="summer"),
        )
    return batch


def test_consumer_scan_over_http(client: TestClient, brand: BrandCtx) -> None:
    batch = _running(client, brand)
    url = f"HTTPS://QR.EXAMPLE.CN/C/{code(brand.id, batch, 0)}"
    body = {"code": url, "openid": "o-1", "device_id": "d-1", "latitude": 23.1, "longitude": 113.3}
    r = client.post("/v1/scan/consumer", json=body, headers={"user-agent": "MicroMessenger/8.0"})
    assert r.status_code == 200, r.text
    won = r.json()
    assert won["outcome"] == "won"
    assert won["prize"] == {
        "tier": "cash-66",
        "kind": "cash",
        "amount_fen": 66,
        "points": 0,
        "voucher": None,
    }
    again = client.post("/v1/scan/consumer", json=body).json()
    assert (again["outcome"], again["repeat"], again["first_scan_at"]) == (
        "won",
        True,
        won["first_scan_at"],
    )
    other = client.post("/v1/scan/consumer", json=body | {"openid": "o-2"}).json()
    assert other["outcome"] == "already_claimed"


def test_consumer_scan_bad_input(client: TestClient, brand: BrandCtx) -> None:
    batch = _running(client, brand)
    real = code(brand.id, batch, 1)
    forged = fmt.assemble(real[:3], 5)
    r = client.post("/v1/scan/consumer", json={"code": forged, "openid": "o"})
    assert (r.status_code, r.json()["outcome"], r.json()["genuine"]) == (200, "not_genuine", False)
    cases = [
        (
            {"code": real[:-1] + ("0" if real[-1] != "0" else "1"), "openid": "o"},
            "CODE_CHECK_FAILED",
        ),
        ({"code": "nonsense", "openid": "o"}, "CODE_MALFORMED"),
        ({"code": real}, "INVALID_REQUEST"),
        ({"code": real, "openid": "o", "latitude": 123}, "INVALID_REQUEST"),
        ({"code": real, "openid": "o", "region_code": "GZ"}, "INVALID_REQUEST"),
    ]
    for body, error in cases:
        r = client.post("/v1/scan/consumer", json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (422, error), body
    # none of them claimed the code
    assert (
        client.post("/v1/scan/consumer", json={"code": real, "openid": "o"}).json()["outcome"]
        == "won"
    )


def test_campaign_admin_and_audit(client: TestClient, brand: BrandCtx) -> None:
    with session_scope() as s:
        brands.add_region(s, brand_id=brand.id, code="440000", name="广东")
    h = auth(brand.admin_token)
    assert client.post("/v1/admin/campaigns", json=CAMPAIGN, headers=h).status_code == 201
    again = client.post("/v1/admin/campaigns", json=CAMPAIGN, headers=h)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "CAMPAIGN_EXISTS")
    changed = CAMPAIGN | {"status": "paused", "regions": ["440000"]}
    r = client.put("/v1/admin/campaigns/summer", json=changed, headers=h)
    assert r.status_code == 200
    assert r.json()["version"] == 2
    history = client.get("/v1/admin/campaigns/summer/changes", headers=h).json()
    assert [c["after"]["status"] for c in history] == ["active", "paused"]
    url = "/v1/admin/campaigns/summer/compare"
    diff = client.get(url, params={"a": 1, "b": 2}, headers=h).json()
    assert diff == [
        {"setting": "regions", "a": [], "b": ["440000"]},
        {"setting": "status", "a": "active", "b": "paused"},
    ]
    r = client.get(url, params={"a": 1, "b": 7}, headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "CAMPAIGN_VERSION_NOT_FOUND")
    bad = CAMPAIGN | {
        "prize_table": {"tiers": [{"key": "x", "kind": "cash", "amount_fen": 0, "probability": 1}]}
    }
    r = client.put("/v1/admin/campaigns/summer", json=bad, headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_REQUEST")
    r = client.put("/v1/admin/campaigns/summer", json=CAMPAIGN | {"regions": ["999"]}, headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "UNKNOWN_REFERENCE")
    r = client.put("/v1/admin/campaigns/summer", json=changed, headers=auth(brand.finance_token))
    assert r.status_code == 403
    assert client.get("/v1/admin/campaigns/nope", headers=h).status_code == 404


def test_redis_down_answers_503_and_claims_nothing(
    client: TestClient, brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _running(client, brand)
    body = {"code": code(brand.id, batch, 2), "openid": "o-1"}
    dead = redis.Redis(port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setattr(consumer_scan, "get_redis", lambda: dead)
    r = client.post("/v1/scan/consumer", json=body)
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert r.headers["retry-after"] == "2"
    monkeypatch.undo()
    assert client.post("/v1/scan/consumer", json=body).json()["outcome"] == "won"  # unclaimed
