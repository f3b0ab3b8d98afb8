"""The audit log: every change through the admin API is logged in its own transaction (a
refused or failed one leaves no entry), reads are not, and each brand sees only its own."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import BrandCtx, auth

CAMPAIGN = {
    "slug": "summer",
    "name": "Summer",
    "status": "draft",
    "total_budget_fen": 100_000,
    "prize_table": {
        "tiers": [{"key": "cash-1", "kind": "cash", "amount_fen": 100, "probability": 0.5}]
    },
}


def _log(client: TestClient, token: str) -> list[dict[str, object]]:
    r = client.get("/v1/admin/audit", headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_changes_are_logged_with_who_what_and_which(client: TestClient, brand: BrandCtx) -> None:
    h = auth(brand.admin_token)
    assert client.post("/v1/admin/campaigns", json=CAMPAIGN, headers=h).status_code == 201
    changed = CAMPAIGN | {"name": "Summer, tuned"}
    assert client.put("/v1/admin/campaigns/summer", json=changed, headers=h).status_code == 200
    assert client.get("/v1/admin/campaigns/summer", headers=h).status_code == 200  # a read
    log = _log(client, brand.admin_token)
    assert [(e["actor"], e["role"], e["action"]) for e in log] == [
        ("admin", "brand_admin", "PUT /v1/admin/campaigns/{slug}"),
        ("admin", "brand_admin", "POST /v1/admin/campaigns"),
    ]
    assert log[0]["target"] == {"slug": "summer"}


def test_refused_and_failed_changes_leave_no_entry(client: TestClient, brand: BrandCtx) -> None:
    # The code operator may not create campaigns; a malformed prize table fails validation in
    # the domain; neither may leave a trace of a change that did not happen.
    r = client.post("/v1/admin/campaigns", json=CAMPAIGN, headers=auth(brand.operator_token))
    assert r.status_code == 403
    bad = CAMPAIGN | {"prize_table": {"tiers": [{"key": "x", "kind": "cash", "probability": 2}]}}
    r = client.post("/v1/admin/campaigns", json=bad, headers=auth(brand.admin_token))
    assert r.status_code == 422
    assert _log(client, brand.admin_token) == []


def test_each_brand_sees_its_own_log_and_only_admins_read_it(
    client: TestClient,
    brand: BrandCtx,
    make_brand,  # type: ignore[no-untyped-def]
) -> None:
    other: BrandCtx = make_brand()
    h = auth(brand.admin_token)
    assert client.post("/v1/admin/campaigns", json=CAMPAIGN, headers=h).status_code == 201
    assert _log(client, other.admin_token) == []
    assert len(_log(client, brand.admin_token)) == 1
    r = client.get("/v1/admin/audit", headers=auth(brand.finance_token))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "ROLE_REQUIRED")
