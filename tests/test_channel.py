"""The channel pages' API: dealers, stores, field accounts, invites and leaderboards, each from
what the field did through the field API, for the brand's staff only; and the dashboard counts
the same redemptions."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from infra.db import session_scope, utcnow
from reports import dashboard
from reports.dashboard import Period
from rewards import recorder
from tests.conftest import BrandCtx, auth
from tests.helpers import code
from tests.test_field import _store, _win_voucher, _world


def test_the_channel_as_the_field_built_it(
    client: TestClient,
    brand: BrandCtx,
    make_brand,  # type: ignore[no-untyped-def]
) -> None:
    w = _world(client, brand)
    first = _store(client, str(w["invite"]), "owner-1")
    _store(client, str(w["invite"]), "owner-2", region="440100")
    voucher = _win_voucher(client, brand, int(w["caps"]), 0, "consumer-1")
    r = client.post(
        "/v1/store/redeem", json={"voucher_code": voucher}, headers=auth(first["token"])
    )
    assert r.status_code == 200, r.text
    h = auth(brand.finance_token)

    (dealer,) = client.get("/v1/admin/dealers", headers=h).json()
    assert (dealer["code"], dealer["regions"], dealer["region_names"], dealer["stores"]) == (
        "D1",
        ["440100"],
        ["广州"],
        2,
    )
    stores = {s["code"]: s for s in client.get("/v1/admin/stores", headers=h).json()}
    mine = stores[first["store_code"]]
    assert (mine["dealer"], mine["salesperson"], mine["region_code"], mine["redemptions"]) == (
        "D1",
        "sales-1",
        "440100",
        1,
    )
    people = client.get("/v1/admin/field-accounts", params={"role": "store_owner"}, headers=h)
    assert sorted(a["openid"] for a in people.json()) == ["owner-1", "owner-2"]
    assert [i["code"] for i in client.get("/v1/admin/invites", headers=h).json()] == [w["invite"]]
    (sales,) = client.get(
        "/v1/admin/leaderboard",
        params={"of": "salespeople", "by": "registrations"},
        headers=h,
    ).json()
    assert (sales["rank"], sales["name"], sales["registrations"], sales["redemptions"]) == (
        1,
        "sales-1",
        2,
        1,
    )
    top = client.get("/v1/admin/leaderboard", params={"of": "stores"}, headers=h).json()[0]
    assert (top["name"], top["redemptions"]) == ("Store owner-1", 1)

    sheet = client.get("/v1/admin/stores", params={"format": "csv"}, headers=h)
    rows = list(csv.DictReader(io.StringIO(sheet.text.lstrip("\ufeff"))))
    assert sorted(r["code"] for r in rows) == sorted(stores)

    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        total = dashboard.totals(s, brand.id, Period.last_days(1, now=utcnow()))
    assert (total.redemptions, total.wins) == (1, 1)

    # The field's own views: a salesperson sees the stores they signed up, an owner their store,
    # a dealer (with its PDA credential) its stores; none sees anyone else's.
    sales_token = client.post(
        "/v1/admin/field-accounts",
        json={"role": "salesperson", "openid": "sales-2", "dealer_code": "D1"},
        headers=auth(brand.admin_token),
    ).json()["token"]
    assert client.get("/v1/field/me", headers=auth(sales_token)).json()["stores"] == []
    mine = client.get("/v1/field/me", headers=auth(str(w["sales_token"]))).json()
    assert (len(mine["stores"]), mine["registrations_30d"]) == (2, 2)
    owner = client.get("/v1/field/me", headers=auth(first["token"])).json()
    assert [s["code"] for s in owner["stores"]] == [first["store_code"]]
    pda = client.post(
        "/v1/admin/pda-devices",
        json={"dealer_code": "D1", "name": "PDA 1"},
        headers=auth(brand.admin_token),
    ).json()["credential"]
    view = client.get("/v1/dealer/me", headers=auth(pda)).json()
    assert (view["dealer"]["code"], len(view["stores"])) == ("D1", 2)
    assert client.get("/v1/dealer/me", headers=auth("nope")).status_code == 401

    other: BrandCtx = make_brand()
    for path in ("/v1/admin/dealers", "/v1/admin/stores", "/v1/admin/invites"):
        assert client.get(path, headers=auth(other.admin_token)).json() == []
    bad = client.get("/v1/admin/leaderboard", params={"of": "dealers"}, headers=h)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "INVALID_REQUEST")


def test_a_codes_lookup_shows_its_scans_and_what_it_paid(
    client: TestClient, brand: BrandCtx
) -> None:
    w = _world(client, brand)
    h = auth(brand.admin_token)
    guide = client.post(
        "/v1/admin/field-accounts", json={"role": "guide", "openid": "guide-1"}, headers=h
    ).json()
    bottle = code(brand.id, int(w["bottles"]), 3)
    dashed = "-".join(bottle[i : i + 4] for i in range(0, len(bottle), 4)).lower()
    sale = client.post("/v1/guide/sale", json={"code": dashed}, headers=auth(guide["token"]))
    assert sale.status_code == 200, sale.text
    cap = code(brand.id, int(w["caps"]), 3)
    _win_voucher(client, brand, int(w["caps"]), 3, "consumer-3")
    _win_voucher(client, brand, int(w["caps"]), 3, "consumer-3")  # the same answer again
    while recorder.drain(brand.id):
        pass

    cap_history = client.get(f"/v1/admin/codes/{cap}/history", headers=h).json()
    assert [(s["role"], s["outcome"]) for s in cap_history["scans"]] == [
        ("consumer", "repeat"),  # newest first
        ("consumer", "won"),
    ]
    (prize,) = cap_history["rewards"]
    assert (prize["kind"], prize["who"], prize["tier"]) == ("prize", "consumer-3", "voucher-1y")
    bottle_history = client.get(f"/v1/admin/codes/{bottle}/history", headers=h).json()
    assert [s["role"] for s in bottle_history["scans"]] == ["guide_sale"]  # sent dashed, found
    assert [r["kind"] for r in bottle_history["rewards"]] == ["guide sale"]
    r = client.get("/v1/admin/codes/NOT-A-CODE/history", headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "CODE_MALFORMED")
