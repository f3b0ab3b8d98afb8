"""The admin risk API: model versions, ring review (labels, and the scan path's ring flags),
diversion alerts and the dealer report, each limited to the caller's brand and role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from infra.db import session_scope
from infra.redis import get_redis
from risk import labels, registry
from risk.features import FEATURES, rings_key
from risk.model import from_sklearn
from risk.models import RiskRing
from tests.conftest import BrandCtx, auth
from tests.test_risk import _fitted


def _models(brand: BrandCtx) -> tuple[int, int]:
    with session_scope() as s:
        versions = tuple(
            registry.save(
                s,
                brand_id=brand.id,
                model_json=from_sklearn(_fitted(seed), FEATURES).to_json(),
                metrics={"precision": 0.9, "suggested_hold": 0.7},
                trained_on={"rows": 100},
            ).version
            for seed in (0, 1)
        )
    return versions[0], versions[1]


def test_models_are_listed_promoted_and_rolled_back(client: TestClient, make_brand: Any) -> None:
    brand, other = make_brand(), make_brand()
    v1, v2 = _models(brand)
    admin, finance = auth(brand.admin_token), auth(brand.finance_token)
    listed = client.get("/v1/admin/risk/models", headers=finance).json()
    assert [(m["version"], m["state"]) for m in listed] == [(v1, "candidate"), (v2, "candidate")]
    assert listed[0]["metrics"]["suggested_hold"] == 0.7
    refused = client.post(f"/v1/admin/risk/models/{v1}/promote", headers=finance)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "ROLE_REQUIRED")
    elsewhere = client.post(f"/v1/admin/risk/models/{v1}/promote", headers=auth(other.admin_token))
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (
        404,
        "RISK_MODEL_NOT_FOUND",
    )
    nothing = client.post("/v1/admin/risk/models/rollback", headers=admin)
    assert (nothing.status_code, nothing.json()["error"]["code"]) == (409, "RISK_NO_PREVIOUS_MODEL")
    for v in (v1, v2):
        promoted = client.post(f"/v1/admin/risk/models/{v}/promote", headers=admin)
        assert (promoted.status_code, promoted.json()["state"]) == (200, "active")
    back = client.post("/v1/admin/risk/models/rollback", headers=admin).json()
    assert (back["version"], back["state"]) == (v1, "active")
    with session_scope() as s:
        assert registry.active(s, brand_id=brand.id).version == v1
    assert client.get("/v1/admin/risk/models", headers=auth(other.admin_token)).json() == []


def test_a_confirmed_ring_is_labelled_and_flagged_a_dismissed_one_forgotten(
    client: TestClient, make_brand: Any
) -> None:
    brand, other = make_brand(), make_brand()
    with session_scope() as s:
        rings = [
            RiskRing(
                brand_id=brand.id,
                key=f"k{n}",
                found_at=datetime.now(UTC),
                size=4,
                density=0.5,
                accounts=[f"r{n}-{i}" for i in range(4)],
                devices=[f"phone-{n}"],
                networks=[],
            )
            for n in range(2)
        ]
        s.add_all(rings)
        s.flush()
        keep, drop = rings[0].id, rings[1].id
    # As the graph job publishes them: flagged, not yet confirmed.
    get_redis().hset(rings_key(brand.id), mapping={"a:r1-0": "4|0", "d:phone-1": "4|0"})
    admin = auth(brand.admin_token)
    assert [r["id"] for r in client.get("/v1/admin/risk/rings", headers=admin).json()] == [
        keep,
        drop,
    ]
    refused = client.post(
        f"/v1/admin/risk/rings/{keep}/review",
        json={"verdict": "confirm"},
        headers=auth(brand.finance_token),
    )
    assert refused.json()["error"]["code"] == "ROLE_REQUIRED"
    elsewhere = client.post(
        f"/v1/admin/risk/rings/{keep}/review",
        json={"verdict": "confirm"},
        headers=auth(other.admin_token),
    )
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (
        404,
        "RISK_RING_NOT_FOUND",
    )
    bad = client.post(
        f"/v1/admin/risk/rings/{keep}/review", json={"verdict": "maybe"}, headers=admin
    )
    assert bad.status_code == 422
    confirmed = client.post(
        f"/v1/admin/risk/rings/{keep}/review", json={"verdict": "confirm"}, headers=admin
    )
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "confirmed")
    dismissed = client.post(
        f"/v1/admin/risk/rings/{drop}/review", json={"verdict": "dismiss"}, headers=admin
    )
    assert dismissed.json()["status"] == "dismissed"
    flags = get_redis().hgetall(rings_key(brand.id))
    assert flags[b"a:r0-3"] == b"4|1"
    assert flags[b"d:phone-0"] == b"4|1"
    assert b"a:r1-0" not in flags
    assert b"d:phone-1" not in flags
    with session_scope() as s:
        known = labels.known(s, brand_id=brand.id)
    assert known["r0-0"] is True
    assert known["r1-0"] is False
    open_only = client.get("/v1/admin/risk/rings?status=open", headers=admin).json()
    assert open_only == []
    assert client.get("/v1/admin/risk/rings", headers=auth(other.admin_token)).json() == []


def test_diversion_endpoints_answer_for_the_callers_brand_only(
    client: TestClient, make_brand: Any
) -> None:
    brand = make_brand()
    headers = auth(brand.finance_token)
    assert client.get("/v1/admin/risk/diversion/alerts", headers=headers).json() == []
    assert client.get("/v1/admin/risk/diversion/dealers", headers=headers).json() == []
    refused = client.get("/v1/admin/risk/diversion/alerts", headers=auth(brand.operator_token))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "ROLE_REQUIRED")
    anonymous = client.get("/v1/admin/risk/diversion/dealers")
    assert anonymous.status_code == 401
