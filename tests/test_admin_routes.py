"""Every admin endpoint, taken from the app's own route table (its OpenAPI document, which
FastAPI builds from every route; tests/test_openapi.py keeps every route in it), refuses a
caller without a valid staff token, and lets in exactly the roles docs/roles.md lists: a new
route cannot forget its authentication or its roles unnoticed. Brand isolation of each domain
is tested in tests/test_isolation_and_hostile_input.py and beside each endpoint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from brands import service as brands
from brands.models import ROLES
from infra.db import session_scope
from onecode.app import create_app
from tests.conftest import BrandCtx, auth

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


def _table(allowed: dict[tuple[str, str], set[str]]) -> str:
    head = "| endpoint | " + " | ".join(ROLES) + " |\n|---|" + "---|" * len(ROLES) + "\n"
    return head + "".join(
        f"| `{method} {path}` | "
        + " | ".join("✓" if r in allowed[(method, path)] else "" for r in ROLES)
        + " |\n"
        for method, path in sorted(allowed, key=lambda mp: (mp[1], mp[0]))
    )


def _documented() -> str:
    text = (Path(__file__).parent.parent / "docs" / "roles.md").read_text()
    return "".join(line + "\n" for line in text.splitlines() if line.startswith("|"))


def test_every_admin_endpoint_lets_in_exactly_the_roles_docs_roles_md_lists(
    client: TestClient, brand: BrandCtx
) -> None:
    """Each route called with a token of each role: refused with ROLE_REQUIRED, or let past the
    role check (whatever it answers then). A new route, or a changed role, fails here until
    docs/roles.md says so: the table is the reviewed statement of who may do what."""
    with session_scope() as s:
        staff = {
            role: brands.add_staff(s, brand_id=brand.id, username=f"as-{role}", role=role)
            for role in ROLES
        }
    allowed: dict[tuple[str, str], set[str]] = {}
    for method, path in _ADMIN:
        allowed[(method, path)] = set()
        for role in ROLES:
            with session_scope() as s:  # a fresh token a call: one route signs its caller out
                token = brands.issue_token(s, staff=s.merge(staff[role]))
            r = client.request(method, _filled(path), headers=auth(token), json={})
            refused = r.status_code == 403 and r.json()["error"]["code"] == "ROLE_REQUIRED"
            assert r.status_code != 401, (method, path, role, r.text)
            if not refused:
                allowed[(method, path)].add(role)
    assert all("brand_admin" in roles for roles in allowed.values())
    assert _table(allowed) == _documented(), "docs/roles.md should read:\n" + _table(allowed)


def test_every_admin_list_also_answers_as_csv() -> None:
    """Every admin GET answering a JSON array declares `format=csv` and a text/csv body
    (admin/tabular.py), so no tabular page lacks its export."""
    lists = 0
    for path, operations in create_app().openapi()["paths"].items():
        get = operations.get("get") if path.startswith("/v1/admin") else None
        content = (get or {}).get("responses", {}).get("200", {}).get("content", {})
        if content.get("application/json", {}).get("schema", {}).get("type") != "array":
            continue
        lists += 1
        assert "text/csv" in content, path
        assert "format" in {p["name"] for p in get["parameters"]}, path  # type: ignore[index]
    assert lists > 10
