"""Every admin endpoint, taken from the app's own route table (its OpenAPI document, which
FastAPI builds from every route; tests/test_openapi.py keeps every route in it), refuses a
caller without a valid staff token: a new route cannot forget its authentication unnoticed."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from onecode.app import create_app

PUBLIC = {("POST", "/v1/admin/session")}  # signing in: tests/test_login.py

_ADMIN = [
    (method.upper(), path)
    for path, operations in create_app().openapi()["paths"].items()
    if path.startswith("/v1/admin")
    for method in operations
    if (method.upper(), path) not in PUBLIC
]


def _filled(path: str) -> str:
    """Path parameters filled with values of any type they may have."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_route_table_has_admin_endpoints() -> None:
    assert len(_ADMIN) > 20


@pytest.mark.parametrize(("method", "path"), _ADMIN)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic YWRtaW46YWRtaW4="])
def test_every_admin_endpoint_refuses_a_caller_without_a_staff_token(
    client: TestClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    r = client.request(method, _filled(path), headers=headers, json={})
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "INVALID_TOKEN"
