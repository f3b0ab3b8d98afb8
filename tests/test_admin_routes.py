"""Every admin endpoint, taken from the app's own route table (its OpenAPI document, which
FastAPI builds from every route; tests/test_openapi.py keeps every route in it), refuses a
caller without a valid staff token, lets in exactly the roles docs/roles.md lists, answers
another brand's admin who names this brand's things with a refusal and nothing of them, and
answers its lists as CSV too: a new route cannot forget its authentication, its roles, its
brand or its export unnoticed. Each domain's own isolation tests sit beside it (and in
tests/test_isolation_and_hostile_input.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import risk
from brands import service as brands
from brands.models import ROLES, FieldAccount, Staff
from codegen.models import PrintExport
from infra.db import session_scope
from logistics.models import PdaDevice
from onecode.app import create_app
from payouts import holds
from payouts.models import Payout
from rewards.models import Campaign
from risk.models import RiskRing
from tests.conftest import BrandCtx, auth
from tests.helpers import code
from tests.test_consumer_scan import _scan, _setup
from tests.test_risk_seam import _always, _drain

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
        brands.add_dealer(s, brand_id=brand.id, code="D-ROLES", name="Dealer", region_codes=[])
        staff = {
            role: brands.add_staff(
                s,
                brand_id=brand.id,
                username=f"as-{role}",
                role=role,
                dealer_code="D-ROLES" if role == "dealer" else None,
            )
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


def _world_of_a(client: TestClient, a: BrandCtx, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Brand A with one of everything an admin route can name: a campaign, a batch, codes, a
    held award, a payout, a print export, a ring, a PDA and a field account."""
    now = datetime.now(UTC)
    batch = _setup(a, caps=5, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=9))
    monkeypatch.setattr(risk, "decide", _always("hold"))
    held = _scan(a, batch, 0, "iso-a-held", now=now).scan_id
    monkeypatch.undo()
    _scan(a, batch, 1, "iso-a-paid", now=now)
    _drain(a)
    export = client.post(
        f"/v1/admin/batches/{batch}/exports", json={}, headers=auth(a.admin_token)
    ).json()["id"]
    with session_scope() as s:
        payout = s.scalars(select(Payout.id).where(Payout.brand_id == a.id)).first()
        ring = RiskRing(
            brand_id=a.id,
            key="iso-a",
            size=2,
            density=1.0,
            accounts=["iso-a-held", "x"],
            devices=[],
            networks=[],
        )
        s.add(ring)
        s.flush()
        ring_id = ring.id
    assert payout is not None
    with session_scope() as s:
        brands.add_dealer(s, brand_id=a.id, code="D-A", name="A's", region_codes=["440100"])
    device = client.post(
        "/v1/admin/pda-devices",
        json={"dealer_code": "D-A", "name": "P"},
        headers=auth(a.admin_token),
    ).json()["id"]
    account = client.post(
        "/v1/admin/field-accounts",
        json={"role": "salesperson", "openid": "iso-a-sales", "dealer_code": "D-A"},
        headers=auth(a.admin_token),
    ).json()["id"]
    return {
        "device_id": str(device),
        "account_id": str(account),
        "slug": "spring",
        "batch_id": str(batch),
        "code": code(a.id, batch, 2),
        "export_id": export,
        "file_name": "manifest.json",
        "award_id": held,
        "payout_id": payout,
        "ring_id": str(ring_id),
        "version": "1",
        "backtest_id": f"backtest-{a.id}-{'0' * 32}",
    }


def _state_of(brand_id: int) -> tuple[Any, ...]:
    with session_scope() as s:
        c = s.scalars(select(Campaign).where(Campaign.brand_id == brand_id)).one()
        return (
            c.version,
            c.status,
            [e.award_id for e in holds.waiting(s, brand_id)],
            sorted(s.execute(select(Payout.id, Payout.state).where(Payout.brand_id == brand_id))),
            s.scalars(select(PrintExport.downloads).where(PrintExport.brand_id == brand_id)).all(),
            s.scalars(select(RiskRing.status).where(RiskRing.brand_id == brand_id)).all(),
            s.scalars(select(PdaDevice.revoked_at).where(PdaDevice.brand_id == brand_id)).all(),
            s.scalars(
                select(FieldAccount.revoked_at).where(FieldAccount.brand_id == brand_id)
            ).all(),
        )


def test_no_admin_endpoint_shows_or_changes_another_brands_things(
    client: TestClient, make_brand: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every admin route, called by brand B's admin with brand A's ids, codes and slugs in its
    path: refused when it names A's things, and no answer carries anything of A's, and A is as
    it was after all of them."""
    a: BrandCtx = make_brand()
    b: BrandCtx = make_brand()
    ids = _world_of_a(client, a, monkeypatch)
    before = _state_of(a.id)
    secrets = [ids["code"], "iso-a-", ids["export_id"], ids["payout_id"], ids["award_id"]]
    with session_scope() as s:
        b_admin = s.scalars(
            select(Staff).where(Staff.brand_id == b.id, Staff.role == "brand_admin")
        ).one()
    leaks = []
    for method, path in _ADMIN:
        url = re.sub(r"\{([^}]+)\}", lambda m: ids[m.group(1)], path)
        with session_scope() as s:  # a fresh token a call: one route signs its caller out
            token = brands.issue_token(s, staff=s.merge(b_admin))
        r = client.request(method, url, headers=auth(token), json={})
        if "{" in path and r.status_code < 400:
            leaks.append(f"{method} {path}: {r.status_code} for A's {path}")
        if r.status_code < 300 and any(secret in r.text for secret in secrets):
            leaks.append(f"{method} {path}: shows A's things")
    assert leaks == []
    assert _state_of(a.id) == before
