"""Dealer PDA uploads (出入库): idempotent, per-code results, and custody through aggregation."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

import codegen
from brands import service as brands
from codegen import format as fmt
from infra.db import session_scope
from tests.conftest import BrandCtx, auth
from tests.helpers import LAGER, code, issue


def _world(client: TestClient, brand: BrandCtx) -> dict[str, object]:
    with session_scope() as s:
        brands.add_region(s, brand_id=brand.id, code="440100", name="广州")
        brands.add_region(s, brand_id=brand.id, code="330100", name="杭州")
        brands.add_dealer(s, brand_id=brand.id, code="D-GZ", name="GZ", region_codes=["440100"])
        brands.add_dealer(s, brand_id=brand.id, code="D-HZ", name="HZ", region_codes=["330100"])
        brands.add_store(s, brand_id=brand.id, code="S-1", name="Store", dealer_code="D-GZ")
    bottles, cases = issue(brand.id, "bottle", 24), issue(brand.id, "case", 3)
    with session_scope() as s:
        codegen.pack_in_order(
            s, brand_id=brand.id, child_batch_id=bottles, parent_batch_id=cases, per_parent=12
        )
        for batch, n in ((bottles, 24), (cases, 2)):
            codegen.activate_range(
                s, brand_id=brand.id, batch_id=batch, start_index=0, count=n, binding=LAGER
            )
    pda = client.post(
        "/v1/admin/pda-devices",
        json={"dealer_code": "D-GZ", "name": "PDA 1"},
        headers=auth(brand.admin_token),
    )
    assert pda.status_code == 201, pda.text
    return {"bottles": bottles, "cases": cases, "pda": pda.json()}


def test_upload_is_idempotent_and_reports_each_code(client: TestClient, brand: BrandCtx) -> None:
    w = _world(client, brand)
    cases = int(w["cases"])
    good, blank = code(brand.id, cases, 0), code(brand.id, cases, 2)
    forged = fmt.assemble(good[:3], 99)
    body = {
        "upload_id": "u-1",
        "direction": "in",
        "codes": [good, blank, forged, code(brand.id, int(w["bottles"]), 0), "xx"],
    }
    h = auth(w["pda"]["credential"])  # type: ignore[index]
    r = client.post("/v1/dealer/uploads", json=body, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["ok"], out["duplicate"], out["error"]) == (1, 0, 4)
    assert [x["error"] for x in out["results"]] == [
        "",
        "CODE_NOT_ACTIVE",
        "CODE_NOT_GENUINE",
        "NOT_A_CASE_OR_PALLET",
        "CODE_MALFORMED",
    ]
    again = client.post("/v1/dealer/uploads", json=body, headers=h).json()  # the PDA resends
    assert (again["ok"], again["duplicate"]) == (0, 1)


def test_custody_follows_shipments_through_packing(client: TestClient, brand: BrandCtx) -> None:
    w = _world(client, brand)
    case = code(brand.id, int(w["cases"]), 1)
    bottle = code(brand.id, int(w["bottles"]), 13)  # packed in case 1
    h, admin = auth(w["pda"]["credential"]), auth(brand.admin_token)  # type: ignore[index]
    assert client.get(f"/v1/admin/codes/{bottle}/custody", headers=admin).json() is None
    client.post(
        "/v1/dealer/uploads",
        json={"upload_id": "in-1", "direction": "in", "codes": [case]},
        headers=h,
    )
    held = client.get(f"/v1/admin/codes/{bottle}/custody", headers=admin).json()
    assert (
        held["dealer_code"],
        held["store_code"],
        held["authorized_regions"],
        held["via_code"],
    ) == ("D-GZ", None, ["440100"], case)
    r = client.post(
        "/v1/dealer/uploads",
        json={"upload_id": "out-1", "direction": "out", "to_dealer": "D-HZ", "codes": [case]},
        headers=h,
    )
    assert r.json()["ok"] == 1
    held = client.get(f"/v1/admin/codes/{bottle}/custody", headers=admin).json()
    assert (held["dealer_code"], held["authorized_regions"]) == ("D-HZ", ["330100"])


def test_bad_uploads_and_revoked_devices(client: TestClient, brand: BrandCtx) -> None:
    from logistics.models import PdaDevice

    w = _world(client, brand)
    case = code(brand.id, int(w["cases"]), 0)
    h = auth(w["pda"]["credential"])  # type: ignore[index]
    for body, error in [
        ({"upload_id": "x", "direction": "out", "codes": [case]}, "INVALID_INPUT"),
        (
            {"upload_id": "x", "direction": "out", "to_store": "S-404", "codes": [case]},
            "UNKNOWN_REFERENCE",
        ),
        (
            {"upload_id": "x", "direction": "in", "to_store": "S-1", "codes": [case]},
            "INVALID_INPUT",
        ),
        ({"upload_id": "x", "direction": "sideways", "codes": [case]}, "INVALID_REQUEST"),
        ({"upload_id": "x", "direction": "in", "codes": []}, "INVALID_REQUEST"),
    ]:
        r = client.post("/v1/dealer/uploads", json=body, headers=h)
        assert (r.status_code, r.json()["error"]["code"]) == (422, error), body
    with session_scope() as s:
        s.get_one(PdaDevice, w["pda"]["id"]).revoked_at = datetime.now(UTC)  # type: ignore[index]
    r = client.post(
        "/v1/dealer/uploads", json={"upload_id": "y", "direction": "in", "codes": [case]}, headers=h
    )
    assert (r.status_code, r.json()["error"]["code"]) == (401, "INVALID_TOKEN")
    r = client.post(
        "/v1/dealer/uploads",
        json={"upload_id": "y", "direction": "in", "codes": [case]},
        headers=auth(brand.admin_token),
    )  # a staff token is not a PDA credential
    assert r.status_code == 401
