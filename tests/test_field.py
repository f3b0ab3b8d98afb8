"""Stores sign up and redeem vouchers; guides record sales and earn when caps are claimed."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

import codegen
from brands import service as brands
from brands.models import Store
from infra.db import session_scope
from payouts import statements
from rewards import recorder, vouchers
from rewards.models import Award
from tests.conftest import BrandCtx, auth
from tests.helpers import code, issue

VOUCHER = {"product_sku": "LAGER-500", "pay_fen": 100, "subsidy_fen": 450, "valid_days": 30}
CAMPAIGN = {
    "slug": "swap",
    "name": "Pay 1 yuan for another",
    "status": "active",
    "total_budget_fen": 100_000,
    "regions": ["440000"],
    "store_reward": {"kind": "restock_coupon", "amount_fen": 50},
    "guide_bonus_fen": 30,
    "prize_table": {
        "tiers": [{"key": "voucher-1y", "kind": "voucher", "probability": 1, "voucher": VOUCHER}]
    },
}


def _world(client: TestClient, brand: BrandCtx) -> dict[str, object]:
    """Regions, a dealer, a campaign, packed and activated caps and bottles, an invite."""
    with session_scope() as s:
        brands.add_region(s, brand_id=brand.id, code="440000", name="广东")
        brands.add_region(s, brand_id=brand.id, code="440100", name="广州", parent_code="440000")
        brands.add_region(s, brand_id=brand.id, code="330000", name="浙江")
        brands.add_dealer(s, brand_id=brand.id, code="D1", name="Dealer", region_codes=["440100"])
    h = auth(brand.admin_token)
    assert client.post("/v1/admin/campaigns", json=CAMPAIGN, headers=h).status_code == 201
    caps, bottles = issue(brand.id, "cap", 20), issue(brand.id, "bottle", 20)
    with session_scope() as s:
        codegen.pack_in_order(
            s, brand_id=brand.id, child_batch_id=caps, parent_batch_id=bottles, per_parent=1
        )
        for batch in (caps, bottles):
            codegen.activate_range(
                s,
                brand_id=brand.id,
                batch_id=batch,
                start_index=0,
                count=20,
                binding=codegen.Binding("LAGER-500", campaign_slug="swap"),
            )
    sales = client.post(
        "/v1/admin/field-accounts",
        json={"role": "salesperson", "openid": "sales-1", "dealer_code": "D1"},
        headers=h,
    ).json()
    invite = client.post(
        "/v1/admin/invites", json={"salesperson_id": sales["id"]}, headers=h
    ).json()
    return {
        "caps": caps,
        "bottles": bottles,
        "invite": invite["code"],
        "salesperson": sales["id"],
        "sales_token": sales["token"],
    }


def _store(client: TestClient, invite: str, openid: str, region: str = "440100") -> dict[str, str]:
    r = client.post(
        "/v1/store/register",
        json={
            "invite_code": invite.lower(),
            "openid": openid,
            "store_name": f"Store {openid}",
            "region_code": region,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def _win_voucher(client: TestClient, brand: BrandCtx, caps: int, index: int, openid: str) -> str:
    r = client.post(
        "/v1/scan/consumer",
        json={"code": code(brand.id, caps, index), "openid": openid, "region_code": "440106"},
    )
    assert r.json()["prize"]["voucher"] == VOUCHER
    return r.json()["scan_id"]


def test_store_signs_up_under_its_salesperson_and_dealer(
    client: TestClient, brand: BrandCtx
) -> None:
    from brands.models import Store

    w = _world(client, brand)
    store = _store(client, str(w["invite"]), "owner-1")
    with session_scope() as s:
        row = s.scalar(select(Store).where(Store.code == store["store_code"]))
        assert row is not None
        assert row.salesperson_id == w["salesperson"]
        assert row.dealer_id is not None
    again = client.post(
        "/v1/store/register",
        json={"invite_code": w["invite"], "openid": "owner-1", "store_name": "x"},
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_REGISTERED")
    bad = client.post(
        "/v1/store/register", json={"invite_code": "NOPE1234", "openid": "o", "store_name": "x"}
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "INVALID_INVITE")


def test_a_voucher_is_redeemed_once_and_rewards_the_store(
    client: TestClient, brand: BrandCtx
) -> None:
    w = _world(client, brand)
    token = _store(client, str(w["invite"]), "owner-1")["token"]
    voucher = _win_voucher(client, brand, int(w["caps"]), 0, "consumer-1")
    # Scanning the cap again shows the same voucher, so the consumer can find it again.
    assert _win_voucher(client, brand, int(w["caps"]), 0, "consumer-1") == voucher
    r = client.post(
        "/v1/store/redeem",
        json={"voucher_code": f"HTTPS://QR.EXAMPLE.CN/V/{voucher}"},
        headers=auth(token),
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "voucher_id": voucher,
        "product_sku": "LAGER-500",
        "pay_fen": 100,
        "subsidy_fen": 450,
        "store_reward_kind": "restock_coupon",
        "store_reward_fen": 50,
    }
    again = client.post("/v1/store/redeem", json={"voucher_code": voucher}, headers=auth(token))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "VOUCHER_ALREADY_REDEEMED")
    with session_scope() as s:
        coupons = s.scalars(
            select(Award).where(Award.brand_id == brand.id, Award.kind == "restock_coupon")
        ).all()
        store = s.scalars(select(Store).where(Store.brand_id == brand.id)).one()
        owed = {
            (x.account, x.subsidy_fen, x.coupon_fen)
            for x in statements.account_statement(s, brand.id, prefix="")
        }
    assert [(c.beneficiary, c.amount_fen) for c in coupons] == [("owner-1", 50)]
    # The store is owed the voucher's subsidy; its dealer, who honours the coupon, the coupon.
    assert owed == {(f"store:{store.id}", 450, 0), (f"dealer:{store.dealer_id}", 0, 50)}
    finance = auth(brand.finance_token)
    dealers = client.get("/v1/admin/dealers/statement.csv", headers=finance).text.splitlines()
    stores = client.get("/v1/admin/stores/statement.csv", headers=finance).text.splitlines()
    assert dealers[1:] == [f"dealer:{store.dealer_id},0,50,0,0,50"]
    assert stores[1:] == [f"store:{store.id},450,0,0,0,450"]


def test_voucher_refusals(client: TestClient, make_brand) -> None:  # type: ignore[no-untyped-def]
    brand, other = make_brand(), make_brand()
    w = _world(client, brand)
    near = _store(client, str(w["invite"]), "owner-near")["token"]
    far = _store(client, str(w["invite"]), "owner-far", region="330000")["token"]
    voucher = _win_voucher(client, brand, int(w["caps"]), 1, "consumer-2")
    w2 = _world(client, other)
    foreign = _store(client, str(w2["invite"]), "owner-other")["token"]
    cases = [
        (far, voucher, 403, "STORE_NOT_PARTICIPATING"),
        (foreign, voucher, 404, "VOUCHER_NOT_FOUND"),
        (near, "not-a-voucher", 422, "VOUCHER_MALFORMED"),
        (near, "0" * 32, 404, "VOUCHER_NOT_FOUND"),
        ("forged.token.here", voucher, 401, "INVALID_TOKEN"),
    ]
    for token, text, status, error in cases:
        r = client.post("/v1/store/redeem", json={"voucher_code": text}, headers=auth(token))
        assert (r.status_code, r.json()["error"]["code"]) == (status, error), error
    # expiry: 30 days after it was won
    from brands.field import authenticate

    with session_scope() as s:
        who = authenticate(s, near)
    later = datetime.now(UTC) + timedelta(days=31)
    try:
        with session_scope() as s:
            vouchers.redeem(s, who=who, code=voucher, now=later)
        raise AssertionError("an expired voucher was redeemed")
    except vouchers.VoucherExpired:
        pass
    assert (
        client.post(
            "/v1/store/redeem", json={"voucher_code": voucher}, headers=auth(near)
        ).status_code
        == 200
    )


def test_concurrent_redemptions_of_one_voucher_succeed_once(
    client: TestClient, brand: BrandCtx
) -> None:
    w = _world(client, brand)
    tokens = [_store(client, str(w["invite"]), f"owner-{i}")["token"] for i in range(20)]
    voucher = _win_voucher(client, brand, int(w["caps"]), 2, "consumer-3")
    start = threading.Barrier(20)

    def redeem(token: str) -> int:
        start.wait()
        return client.post(
            "/v1/store/redeem", json={"voucher_code": voucher}, headers=auth(token)
        ).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(redeem, tokens))
    assert sorted(statuses) == [200] + [409] * 19


def test_guide_sale_then_claim_pays_the_guide_once(client: TestClient, brand: BrandCtx) -> None:
    w = _world(client, brand)
    h = auth(brand.admin_token)
    guide = client.post(
        "/v1/admin/field-accounts", json={"role": "guide", "openid": "guide-1"}, headers=h
    ).json()
    rival = client.post(
        "/v1/admin/field-accounts", json={"role": "guide", "openid": "guide-2"}, headers=h
    ).json()
    bottle = code(brand.id, int(w["bottles"]), 5)
    r = client.post("/v1/guide/sale", json={"code": bottle}, headers=auth(guide["token"]))
    assert r.json() == {"code": bottle, "product_sku": "LAGER-500", "repeat": False}
    assert client.post(
        "/v1/guide/sale", json={"code": bottle}, headers=auth(guide["token"])
    ).json()["repeat"]
    r = client.post("/v1/guide/sale", json={"code": bottle}, headers=auth(rival["token"]))
    assert r.json()["error"]["code"] == "BOTTLE_SOLD_BY_ANOTHER_GUIDE"
    r = client.post(
        "/v1/guide/sale",
        json={"code": code(brand.id, int(w["caps"]), 5)},
        headers=auth(guide["token"]),
    )
    assert r.json()["error"]["code"] == "NOT_A_BOTTLE_CODE"
    client.post(
        "/v1/scan/consumer",
        json={"code": code(brand.id, int(w["caps"]), 5), "openid": "c-5", "region_code": "440106"},
    )
    client.post(
        "/v1/scan/consumer",
        json={"code": code(brand.id, int(w["caps"]), 6), "openid": "c-6", "region_code": "440106"},
    )
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        bonuses = s.scalars(
            select(Award).where(Award.brand_id == brand.id, Award.tier == "guide-bonus")
        ).all()
    assert [(b.beneficiary, b.amount_fen) for b in bonuses] == [("guide-1", 30)]


def test_revoked_field_accounts_are_refused(client: TestClient, brand: BrandCtx) -> None:
    from brands.models import FieldAccount

    w = _world(client, brand)
    guide = client.post(
        "/v1/admin/field-accounts",
        json={"role": "guide", "openid": "g"},
        headers=auth(brand.admin_token),
    ).json()
    with session_scope() as s:
        s.get_one(FieldAccount, guide["id"]).revoked_at = datetime.now(UTC)
    r = client.post(
        "/v1/guide/sale",
        json={"code": code(brand.id, int(w["bottles"]), 1)},
        headers=auth(guide["token"]),
    )
    assert (r.status_code, r.json()["error"]["code"]) == (401, "INVALID_TOKEN")


def test_a_case_is_opened_once_and_rewards_its_store(client: TestClient, brand: BrandCtx) -> None:
    from rewards.models import ScanRecord

    w = _world(client, brand)
    h = auth(brand.admin_token)
    changed = CAMPAIGN | {"open_case_reward_fen": 200}
    assert client.put("/v1/admin/campaigns/swap", json=changed, headers=h).status_code == 200
    cases = issue(brand.id, "case", 3)
    with session_scope() as s:
        codegen.activate_range(
            s,
            brand_id=brand.id,
            batch_id=cases,
            start_index=0,
            count=2,
            binding=codegen.Binding("LAGER-500", campaign_slug="swap"),
        )
    first = _store(client, str(w["invite"]), "owner-a")["token"]
    second = _store(client, str(w["invite"]), "owner-b")["token"]
    case = code(brand.id, cases, 0)
    r = client.post("/v1/store/open-case", json={"code": case}, headers=auth(first))
    assert r.json() == {
        "code": case,
        "product_sku": "LAGER-500",
        "reward_fen": 200,
        "repeat": False,
    }
    r = client.post("/v1/store/open-case", json={"code": case}, headers=auth(first))
    assert r.json() == {"code": case, "product_sku": "LAGER-500", "reward_fen": 200, "repeat": True}
    r = client.post("/v1/store/open-case", json={"code": case}, headers=auth(second))
    assert r.json()["error"]["code"] == "CASE_OPENED_BY_ANOTHER_STORE"
    r = client.post(
        "/v1/store/open-case", json={"code": code(brand.id, cases, 2)}, headers=auth(first)
    )
    assert r.json()["error"]["code"] == "CASE_NOT_ACTIVE"
    r = client.post(
        "/v1/store/open-case",
        json={"code": code(brand.id, int(w["bottles"]), 0)},
        headers=auth(first),
    )
    assert r.json()["error"]["code"] == "NOT_A_CASE_CODE"
    with session_scope() as s:
        rewards = s.scalars(
            select(Award).where(Award.brand_id == brand.id, Award.tier == "open-case")
        ).all()
    assert [(a.beneficiary, a.amount_fen) for a in rewards] == [("owner-a", 200)]
    while recorder.drain(brand.id):
        pass
    with session_scope() as s:
        logged = s.scalars(
            select(ScanRecord.outcome).where(
                ScanRecord.brand_id == brand.id, ScanRecord.role == "store_open_case"
            )
        ).all()
    assert sorted(logged) == sorted(
        ["ok", "ok", "CASE_OPENED_BY_ANOTHER_STORE", "CASE_NOT_ACTIVE", "NOT_A_CASE_CODE"]
    )
    # The reward is owed to the store's account, beside its voucher subsidies, and is paid to
    # its owner's WeChat.
    from brands.models import Store
    from payouts import ledger
    from payouts.models import Payout

    with session_scope() as s:
        store = s.scalar(
            select(Store).where(Store.brand_id == brand.id, Store.name == "Store owner-a")
        )
        assert store is not None
        payout = s.scalar(select(Payout).where(Payout.brand_id == brand.id))
        assert payout is not None
        assert (payout.account, payout.openid) == (f"store:{store.id}", "owner-a")
        assert ledger.balance(s, brand.id, f"store:{store.id}") == 200
