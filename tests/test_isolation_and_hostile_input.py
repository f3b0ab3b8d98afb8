"""Across the scan API's roles: one brand's credentials never reach another brand's codes, and
hostile input gets a clear error code, never a 500, and changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.helpers import code
from tests.test_consumer_scan import _setup
from tests.test_dealer import _world as dealer_world
from tests.test_field import CAMPAIGN


def test_field_and_pda_credentials_stay_in_their_brand(client: TestClient, make_brand) -> None:  # type: ignore[no-untyped-def]
    a, b = make_brand(), make_brand()
    wa = dealer_world(client, a)
    wb = dealer_world(client, b)
    guide = client.post(
        "/v1/admin/field-accounts",
        json={"role": "guide", "openid": "g"},
        headers=auth(a.admin_token),
    ).json()
    bottle_b = code(b.id, int(wb["bottles"]), 0)  # type: ignore[arg-type]
    case_b = code(b.id, int(wb["cases"]), 0)  # type: ignore[arg-type]
    r = client.post("/v1/guide/sale", json={"code": bottle_b}, headers=auth(guide["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "CODE_NOT_FOUND")
    r = client.post(
        "/v1/dealer/uploads",
        json={"upload_id": "x", "direction": "in", "codes": [case_b]},
        headers=auth(wa["pda"]["credential"]),
    )  # type: ignore[index]
    assert r.json()["results"][0]["error"] == "CODE_NOT_FOUND"
    assert (
        client.post(
            "/v1/admin/campaigns", json=CAMPAIGN | {"regions": []}, headers=auth(b.admin_token)
        ).status_code
        == 201
    )
    r = client.get("/v1/admin/campaigns/swap", headers=auth(a.admin_token))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "CAMPAIGN_NOT_FOUND")
    r = client.get(f"/v1/admin/codes/{case_b}/custody", headers=auth(a.admin_token))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "CODE_NOT_FOUND")


def test_hostile_input_gets_clear_errors(client: TestClient, brand) -> None:  # type: ignore[no-untyped-def]
    cap = code(brand.id, _setup(brand, caps=1), 0)  # activated, in a running campaign
    cases = [
        ("/v1/scan/consumer", {"code": "A" * 10_000, "openid": "o"}),
        ("/v1/scan/consumer", {"code": cap, "openid": "o" * 1000}),
        ("/v1/scan/consumer", {"code": cap, "openid": "o", "latitude": "north"}),
        ("/v1/scan/consumer", ["not", "an", "object"]),
        ("/v1/scan/consumer", {"code": "\x00" * 19, "openid": "o"}),
        ("/v1/scan/consumer", {"code": "'; DROP TABLE scans; --", "openid": "o"}),
        ("/v1/store/register", {"invite_code": "x" * 100, "openid": "o", "store_name": "s"}),
        ("/v1/dealer/uploads", {"upload_id": "u", "direction": "in", "codes": [cap] * 2000}),
    ]
    for path, body in cases:
        r = client.post(path, json=body)
        assert r.status_code in (401, 422), (path, r.status_code, r.text[:200])
        assert r.json()["error"]["code"], path
    r = client.post(
        "/v1/scan/consumer", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_REQUEST")
    # none of it claimed the cap
    assert (
        client.post("/v1/scan/consumer", json={"code": cap, "openid": "o"}).json()["outcome"]
        == "won"
    )
