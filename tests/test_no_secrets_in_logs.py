"""No secret reaches the logs: passwords, staff sessions, field tokens, PDA credentials, print
file passwords and the master key are never written, whatever a flow logs on its way."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from brands import service as brands
from infra.db import session_scope
from tests.conftest import BrandCtx, auth
from tests.helpers import code, issue
from tests.test_login import PASSWORD, _set, _sign_in


def test_flows_log_no_secret(
    client: TestClient,
    brand: BrandCtx,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    _set(brand)
    wrong = _sign_in(client, brand.slug, "admin", PASSWORD + "x")[0]
    status, session = _sign_in(client, brand.slug, "admin", PASSWORD)
    assert (wrong, status) == (401, 201)
    admin = auth(session["token"])
    with session_scope() as s:
        brands.add_region(s, brand_id=brand.id, code="440100", name="广州")
        brands.add_dealer(s, brand_id=brand.id, code="D-1", name="One", region_codes=["440100"])
    pda = client.post(
        "/v1/admin/pda-devices", json={"dealer_code": "D-1", "name": "P"}, headers=admin
    ).json()
    field = client.post(
        "/v1/admin/field-accounts",
        json={"role": "salesperson", "openid": "o-s", "dealer_code": "D-1"},
        headers=admin,
    ).json()
    case = code(brand.id, issue(brand.id, "case", 1), 0)
    client.post(
        "/v1/dealer/uploads",
        json={"upload_id": "u", "direction": "in", "codes": [case]},
        headers=auth(pda["credential"]),
    )
    client.get("/v1/field/me", headers=auth(field["token"]))
    export = client.post(
        f"/v1/admin/batches/{issue(brand.id, 'cap', 3)}/exports",
        json={},
        headers=auth(brand.operator_token),
    ).json()
    client.delete("/v1/admin/session", headers=admin)
    out, err = capsys.readouterr()
    logged = out + err
    for event in ("sign_in_failed", "signed_in", "print_export_done"):  # the flows did log
        assert event in logged
    for secret in (
        PASSWORD,
        session["token"],
        pda["credential"],
        field["token"],
        export["password"],
        brand.admin_token,
        os.environ["ONECODE_MASTER_KEY"],
    ):
        assert secret not in logged
