"""PDA and field credentials can be revoked by the brand, only its own, and a revoked one is
refused from its next call on."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from brands import service as brands
from infra.db import session_scope
from tests.conftest import auth
from tests.helpers import code, issue


def test_a_revoked_pda_is_refused(client: TestClient, make_brand: Any) -> None:
    brand, other = make_brand(), make_brand()
    with session_scope() as s:
        brands.add_region(s, brand_id=brand.id, code="440100", name="广州")
        brands.add_dealer(s, brand_id=brand.id, code="D-1", name="One", region_codes=["440100"])
    admin = auth(brand.admin_token)
    pda = client.post(
        "/v1/admin/pda-devices", json={"dealer_code": "D-1", "name": "P"}, headers=admin
    ).json()
    case = code(brand.id, issue(brand.id, "case", 1), 0)
    body = {"upload_id": "u", "direction": "in", "codes": [case]}
    assert (
        client.post("/v1/dealer/uploads", json=body, headers=auth(pda["credential"])).status_code
        == 200
    )
    url = f"/v1/admin/pda-devices/{pda['id']}"
    theirs = client.delete(url, headers=auth(other.admin_token))
    assert (theirs.status_code, theirs.json()["error"]["code"]) == (404, "CREDENTIAL_NOT_FOUND")
    assert (
        client.post("/v1/dealer/uploads", json=body, headers=auth(pda["credential"])).status_code
        == 200
    )
    assert client.delete(url, headers=admin).status_code == 204
    refused = client.post("/v1/dealer/uploads", json=body, headers=auth(pda["credential"]))
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    assert client.delete(url, headers=admin).status_code == 204  # again: nothing changes


def test_a_revoked_field_account_is_refused(client: TestClient, make_brand: Any) -> None:
    brand, other = make_brand(), make_brand()
    with session_scope() as s:
        brands.add_region(s, brand_id=brand.id, code="440100", name="广州")
        brands.add_dealer(s, brand_id=brand.id, code="D-1", name="One", region_codes=["440100"])
    admin = auth(brand.admin_token)
    account = client.post(
        "/v1/admin/field-accounts",
        json={"role": "salesperson", "openid": "o-sales", "dealer_code": "D-1"},
        headers=admin,
    ).json()
    me = auth(account["token"])
    assert client.get("/v1/field/me", headers=me).status_code == 200
    url = f"/v1/admin/field-accounts/{account['id']}"
    assert client.delete(url, headers=auth(other.admin_token)).status_code == 404
    assert client.get("/v1/field/me", headers=me).status_code == 200
    assert client.delete(url, headers=admin).status_code == 204
    refused = client.get("/v1/field/me", headers=me)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    rows = client.get("/v1/admin/field-accounts", headers=admin).json()
    assert [r["revoked"] for r in rows if r["id"] == account["id"]] == [True]
