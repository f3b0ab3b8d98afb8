"""The HTTP API: public verification, authenticated admin code endpoints, errors, ops."""

from __future__ import annotations

import io

import pyzipper
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image

from codegen import format as fmt
from rewards import recorder
from tests.conftest import BrandCtx, auth
from tests.helpers import code, issue


def test_healthz_and_metrics(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    client.get("/v1/codes/NOPE/verify")
    metrics = client.get("/metrics").text
    assert "onecode_http_requests_total" in metrics
    assert 'route="/v1/codes/{code}/verify"' in metrics
    # What waits behind the scans: the write-behind's backlog per brand, the payout queue.
    assert 'onecode_queue_jobs{queue="payouts"}' in metrics
    assert "# TYPE onecode_events_unwritten gauge" in metrics


def test_metrics_count_scans_the_recorder_has_not_written(
    client: TestClient, brand: BrandCtx
) -> None:
    from tests.test_consumer_scan import _scan, _setup

    batch = _setup(brand)
    for i in range(3):
        _scan(brand, batch, i, f"m-{i}")
    assert f'onecode_events_unwritten{{brand="{brand.id}"}} 3.0' in client.get("/metrics").text
    while recorder.drain(brand.id):
        pass
    assert f'onecode_events_unwritten{{brand="{brand.id}"}} 0.0' in client.get("/metrics").text


def test_openapi_has_stable_operation_ids(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"verify_code", "issue_batch", "lookup_code", "create_export", "activate"} <= ops
    assert "ErrorResponse" in spec["components"]["schemas"]


def test_verify_genuine_forged_and_typo(client: TestClient, brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 5)
    real = code(brand.id, batch, 0)
    r = client.get(f"/v1/codes/{fmt.display(real).lower()}/verify")
    assert r.status_code == 200
    assert r.json()["genuine"] is True
    assert r.json()["state"] == "blank"
    assert r.json()["kind"] == "cap"
    forged = fmt.assemble(real[:3], 77)
    r = client.get(f"/v1/codes/{forged}/verify")
    assert r.status_code == 200
    assert r.json() == {
        **r.json(),
        "genuine": False,
        "reason": "CODE_NOT_GENUINE",
    }
    typo = real[:5] + ("0" if real[5] != "0" else "1") + real[6:]
    r = client.get(f"/v1/codes/{typo}/verify")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "CODE_CHECK_FAILED"
    r = client.get("/v1/codes/short/verify")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "CODE_MALFORMED"
    r = client.get(f"/C/{real}")
    assert r.status_code == 200
    assert r.json()["code"] == real


def test_admin_needs_a_valid_token_and_role(client: TestClient, brand: BrandCtx) -> None:
    body = {"kind": "cap", "count": 10}
    assert client.post("/v1/admin/batches", json=body).json()["error"]["code"] == "INVALID_TOKEN"
    r = client.post("/v1/admin/batches", json=body, headers=auth("oc_not-a-token"))
    assert r.status_code == 401
    r = client.post("/v1/admin/batches", json=body, headers=auth(brand.finance_token))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "ROLE_REQUIRED"
    assert client.get("/v1/admin/batches", headers=auth(brand.finance_token)).status_code == 200


def test_expired_token_is_refused(client: TestClient, brand: BrandCtx) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from brands import service as brands
    from brands.models import Staff
    from infra.db import session_scope

    with session_scope() as s:
        staff = s.scalars(select(Staff).where(Staff.brand_id == brand.id)).first()
        assert staff is not None
        token = brands.issue_token(s, staff=staff, ttl=timedelta(seconds=-1))
    r = client.get("/v1/admin/batches", headers=auth(token))
    assert r.status_code == 401
    assert "expired" in r.json()["error"]["message"]


def test_issue_activate_lookup_over_http(client: TestClient, brand: BrandCtx) -> None:
    h = auth(brand.operator_token)
    batch = client.post(
        "/v1/admin/batches", json={"kind": "cap", "count": 100, "note": "roll 7"}, headers=h
    )
    assert batch.status_code == 201
    batch_id = batch.json()["id"]
    codes = client.get(f"/v1/admin/batches/{batch_id}/codes?start=10&count=5", headers=h).json()
    assert [c["index"] for c in codes] == [10, 11, 12, 13, 14]
    assert codes[0]["url"] == f"HTTPS://QR.EXAMPLE.CN/C/{codes[0]['code']}"
    r = client.post(
        "/v1/admin/activations",
        json={
            "from_code": codes[0]["code"],
            "to_code": codes[4]["code"],
            "product_sku": "LAGER-500",
            "lot": "L9",
            "production_date": "2026-11-20",
        },
        headers=h,
    )
    assert r.status_code == 200
    assert r.json() == {
        "batch_id": batch_id,
        "start": 10,
        "count": 5,
        "changed": 5,
    }
    got = client.get(f"/v1/admin/codes/{codes[2]['code']}", headers=h).json()
    assert (got["state"], got["product_sku"], got["lot"]) == ("active", "LAGER-500", "L9")
    r = client.post(
        "/v1/admin/activations",
        json={"batch_id": batch_id, "start": 12, "count": 1, "product_sku": "IPA-330"},
        headers=h,
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "ACTIVATION_CONFLICT"
    png = client.get(f"/v1/admin/codes/{codes[2]['code']}/qr.png", headers=h)
    assert [x.text for x in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == [
        codes[2]["url"]
    ]


def test_bad_requests_get_stable_codes_and_change_nothing(
    client: TestClient, brand: BrandCtx
) -> None:
    h = auth(brand.operator_token)
    cases = [
        ("post", "/v1/admin/batches", {"kind": "crate", "count": 10}, 422, "INVALID_REQUEST"),
        ("post", "/v1/admin/batches", {"kind": "cap", "count": -1}, 422, "INVALID_REQUEST"),
        ("post", "/v1/admin/activations", {"product_sku": "LAGER-500"}, 422, "INVALID_REQUEST"),
        (
            "post",
            "/v1/admin/activations",
            {"batch_id": 10**9, "product_sku": "X"},
            404,
            "BATCH_NOT_FOUND",
        ),
        ("get", "/v1/admin/codes/XYZ", None, 422, "CODE_MALFORMED"),
        ("get", "/v1/admin/batches/abc", None, 422, "INVALID_REQUEST"),
        (
            "post",
            "/v1/admin/packing/links",
            {"parent_code": "A" * 19, "child_codes": []},
            422,
            "INVALID_REQUEST",
        ),
        ("get", "/v1/admin/nowhere", None, 404, "NOT_FOUND"),
    ]
    for method, path, body, status, code_ in cases:
        r = client.request(method, path, json=body, headers=h)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code_), (path, r.text)
    assert client.get("/v1/admin/batches", headers=h).json() == []


def test_another_brands_things_are_not_found(client: TestClient, make_brand) -> None:  # type: ignore[no-untyped-def]
    a, b = make_brand(), make_brand()
    batch_b = issue(b.id, "case", 3)
    code_b = code(b.id, batch_b, 0)
    h = auth(a.admin_token)
    for path in (
        f"/v1/admin/batches/{batch_b}",
        f"/v1/admin/codes/{code_b}",
        f"/v1/admin/batches/{batch_b}/codes",
        f"/v1/admin/codes/{code_b}/qr.png",
    ):
        r = client.get(path, headers=h)
        assert r.status_code == 404, path
    r = client.post("/v1/admin/voids", json={"batch_id": batch_b, "reason": "x"}, headers=h)
    assert r.status_code == 404


def test_print_export_over_http(client: TestClient, brand: BrandCtx) -> None:
    h = auth(brand.operator_token)
    batch_id = client.post(
        "/v1/admin/batches", json={"kind": "cap", "count": 50}, headers=h
    ).json()["id"]
    created = client.post(
        f"/v1/admin/batches/{batch_id}/exports", json={"codes_per_file": 20}, headers=h
    )
    assert created.status_code == 202
    export = created.json()
    password = export["password"]
    status = client.get(f"/v1/admin/exports/{export['id']}", headers=h).json()
    assert status["status"] == "done"
    assert status["codes_done"] == 50
    assert "password" not in status
    names = [f["name"] for f in status["manifest"]["files"]]
    assert len(names) == 3
    r = client.get(f"/v1/admin/exports/{export['id']}/files/{names[0]}", headers=h)
    with pyzipper.AESZipFile(io.BytesIO(r.content)) as zf:
        zf.setpassword(password.encode())
        lines = zf.read(zf.namelist()[0]).decode().splitlines()
    assert len(lines) == 20
    for _ in range(2):
        assert (
            client.get(f"/v1/admin/exports/{export['id']}/files/{names[0]}", headers=h).status_code
            == 200
        )
    r = client.get(f"/v1/admin/exports/{export['id']}/files/{names[0]}", headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "DOWNLOAD_LIMIT_REACHED"
    sheet = client.get(f"/v1/admin/batches/{batch_id}/labels?count=8", headers=h)
    assert sheet.headers["content-type"] == "image/png"
    assert len(zxingcpp.read_barcodes(Image.open(io.BytesIO(sheet.content)))) == 8
