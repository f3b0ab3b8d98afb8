"""The console in a real browser: Debian's headless chromium driven by Playwright, against the
app served on a free port (conftest.api_url) over the same database and Redis as the other tests.

Set ONECODE_SCREENSHOT_DIR=docs to refresh the screenshots docs/console.md shows.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pyzipper
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

import risk
from brands import login, service as brands
from brands.models import Staff
from infra.db import session_scope
from payouts import holds, ledger
from rewards import campaigns
from rewards.campaigns import CampaignSpec
from tests.conftest import BrandCtx
from tests.helpers import code
from tests.test_backtest import _work
from tests.test_consumer_scan import _setup
from tests.test_field import _store, _world
from tests.test_risk_seam import _always, _drain

PASSWORD = "correct horse battery"
WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI miniProgram"
)
SHOTS = os.environ.get("ONECODE_SCREENSHOT_DIR")


def _chromium() -> str:
    path = os.environ.get("ONECODE_CHROMIUM") or shutil.which("chromium")
    if not path:  # a failure, not a skip: `make test` installs it (make browser)
        pytest.fail("the console tests need Debian's chromium: `make browser` installs it")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where chromium's sandbox cannot start.
        b = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    yield context.new_page()
    context.close()


def _password(brand: BrandCtx) -> None:
    with session_scope() as s:
        staff = s.scalar(select(Staff).where(Staff.brand_id == brand.id, Staff.username == "admin"))
        assert staff is not None
        login.set_password(s, staff, PASSWORD)


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"console-{name}.png"), full_page=True)


def _sign_in(page: Page, api_url: str, brand: BrandCtx, password: str = PASSWORD) -> None:
    page.goto(api_url + "/")  # redirected to the console
    page.get_by_label("Brand").fill(brand.slug)
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_create_tune_and_publish_a_campaign(
    page: Page, api_url: str, brand: BrandCtx
) -> None:
    _password(brand)
    _sign_in(page, api_url, brand, password="not the password")
    expect(page.get_by_role("alert")).to_contain_text("INVALID_CREDENTIALS")
    _shot(page, "sign-in")
    _sign_in(page, api_url, brand)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#who")).to_contain_text(f"admin · brand_admin · {brand.slug}")
    page.get_by_role("link", name="Campaigns").click()

    form = page.locator("#new-campaign")
    form.get_by_label("Slug").fill("spring")
    form.get_by_label("Name").fill("Spring festival")
    form.get_by_label("Budget (¥)").fill("5000")
    form.get_by_label("Red packet (¥)").fill("1.88")
    form.get_by_label("Probability").fill("0.3")
    form.get_by_role("button", name="Create draft").click()
    expect(page.locator("#status")).to_have_text("draft")

    expect(page.locator("#forecast")).to_contain_text("¥5,640.00 per 10,000 claims")
    page.get_by_label("probability of cash").fill("0.25")
    expect(page.locator("#preview")).to_contain_text("¥4,700.00 per 10,000 claims")
    page.get_by_role("button", name="Save probabilities").click()
    expect(page.get_by_text("version 2")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#status")).to_have_text("active")
    settings = page.locator("#settings")
    settings.get_by_label("Budget (¥)", exact=True).fill("6000")
    settings.get_by_label("Regions", exact=False).fill("999999")
    settings.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("UNKNOWN_REFERENCE")  # and nothing saved
    settings.get_by_label("Regions", exact=False).fill("")
    settings.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("budget ¥6,000.00")).to_be_visible()
    tier = page.locator("#add-tier")
    tier.get_by_label("Tier key").fill("big")
    tier.get_by_label("Red packet (¥)").fill("8.88")
    tier.get_by_label("Probability").fill("0.01")
    tier.get_by_role("button", name="Add cash tier").click()
    expect(page.locator("#tiers")).to_contain_text("big")
    page.locator("#compare").get_by_label("Version", exact=True).fill("1")
    page.locator("#compare").get_by_role("button", name="Compare").click()
    expect(page.locator("#differences")).to_contain_text("prize_table")
    expect(page.locator("#differences")).to_contain_text("status")
    _shot(page, "campaign")

    with session_scope() as s:  # what the browser did is what the database holds
        c = campaigns.get_campaign(s, brand_id=brand.id, slug="spring")
        assert (c.status, c.total_budget_fen) == ("active", 600_000)
        assert c.prize_table["tiers"][0]["probability"] == 0.25
        assert c.prize_table["tiers"][0]["amount_fen"] == 188
        big = c.prize_table["tiers"][1]
        assert (big["key"], big["amount_fen"], big["probability"]) == ("big", 888, 0.01)

    page.get_by_role("link", name="Campaigns").click()
    expect(page.locator("#campaigns tr[data-slug=spring]")).to_contain_text("active")
    _shot(page, "campaigns")
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("#audit")).to_contain_text("PUT /v1/admin/campaigns/{slug}")
    expect(page.locator("#audit")).to_contain_text("sign in")


def test_another_brands_campaign_is_not_found_and_sign_out_ends_the_session(
    page: Page,
    api_url: str,
    brand: BrandCtx,
    make_brand,  # type: ignore[no-untyped-def]
) -> None:
    other: BrandCtx = make_brand()
    with session_scope() as s:
        spec = CampaignSpec(slug="their-secret", name="Theirs", total_budget_fen=1)
        campaigns.create_campaign(s, brand_id=other.id, spec=spec, actor="them")
    _password(brand)
    _sign_in(page, api_url, brand)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    expect(page.get_by_text("their-secret")).to_have_count(0)
    page.goto(api_url + "/console/#/campaigns/their-secret")
    expect(page.get_by_role("alert")).to_contain_text("CAMPAIGN_NOT_FOUND")
    page.goto(api_url + "/console/#/dashboard?campaign=their-secret")
    expect(page.get_by_role("alert")).to_contain_text("CAMPAIGN_NOT_FOUND")

    token = page.evaluate("sessionStorage.getItem('onecode.token')")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    refused = page.request.get(
        api_url + "/v1/admin/campaigns", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status == 401


def test_scans_reach_the_dashboard_and_map_a_held_win_is_released_a_print_file_downloads(
    page: Page, api_url: str, brand: BrandCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    _password(brand)
    now = datetime.now(UTC)
    window = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=30)}
    batch = _setup(brand, caps=10, **window)
    _sign_in(page, api_url, brand)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("[data-kpi=wins] strong")).to_have_text("0")

    def scan(i: int) -> None:  # the mini-program's call, over HTTP
        r = page.request.post(
            api_url + "/v1/scan/consumer",
            headers={"User-Agent": WECHAT},  # headless Chrome's own would be held as a bot
            data={
                "code": code(brand.id, batch, i),
                "openid": f"o-{i}",
                "region_code": "440100",
                "latitude": 23.13,
                "longitude": 113.26,
            },
        )
        assert r.status == 200, r.text()

    for i in range(3):
        scan(i)
    monkeypatch.setattr(risk, "decide", _always("hold"))
    scan(3)
    monkeypatch.undo()
    _drain(brand)
    page.reload()  # what the page's ten-second refresh would show
    expect(page.locator("[data-kpi=wins] strong")).to_have_text("4")
    expect(page.locator("[data-kpi=held] strong")).to_have_text("1 · ¥1.88")
    expect(page.locator("#provinces tr[data-code='440000']")).to_contain_text("广东")
    expect(page.locator("#budgets")).to_contain_text("¥7.52 of ¥10,000.00")
    colours = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('map')).getOption().series[0].data"
    )
    provinces = {d["name"]: d.get("value") for d in colours}  # one entry a shape of the map
    assert provinces["440000"] == 4
    assert "710000" in provinces  # the shapes are keyed by administrative code, as the data is
    _shot(page, "dashboard")

    page.get_by_role("link", name="Risk review").click()
    held = page.locator("#held tr[data-award]")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("stand-in")  # the decision's reasons, as evidence
    _shot(page, "review")
    held.get_by_role("button", name="Release").click()
    expect(page.locator("#no-held")).to_be_visible()
    with session_scope() as s:
        assert holds.waiting(s, brand.id) == []
        assert ledger.balance(s, brand.id, "consumer:o-3") == 188  # owed, and now payable

    page.goto(api_url + "/console/#/campaigns/spring")
    page.get_by_label("probability of cash-188").fill("0.5")
    page.get_by_role("button", name="Back-test on the last 7 days").click()
    expect(page.locator("#backtest")).to_contain_text("onecode worker")
    _work()  # the worker's turn
    expect(page.locator("#backtest-result")).to_contain_text("as proposed")
    expect(page.locator("#backtest-result tr", has_text="prize money")).to_contain_text("7.52")
    _shot(page, "backtest")

    page.get_by_role("link", name="Codes").click()
    page.locator(f"#batches tr[data-batch='{batch}']").get_by_role(
        "button", name="Print files"
    ).click()
    password = page.locator("#export-password strong").inner_text()
    with page.expect_download() as downloading:
        page.get_by_role("button", name=re.compile(r"^Download ")).first.click()
    with pyzipper.AESZipFile(downloading.value.path()) as zf:
        zf.setpassword(password.encode())
        lines = zf.read(zf.namelist()[0]).decode().splitlines()
    assert len(lines) == 10
    assert code(brand.id, batch, 0) in lines[0]
    _shot(page, "codes")


def test_the_channel_page_shows_dealers_stores_and_leaders(
    page: Page, api_url: str, brand: BrandCtx, client: TestClient
) -> None:
    w = _world(client, brand)
    store = _store(client, str(w["invite"]), "owner-1")
    _password(brand)
    _sign_in(page, api_url, brand)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("link", name="Channel").click()
    expect(page.locator("#dealer-list")).to_contain_text("广州")
    expect(page.locator("#store-list")).to_contain_text(store["store_code"])
    expect(page.locator("#top-sales tbody tr").first).to_contain_text("sales-1")
    with page.expect_download() as downloading:
        page.locator("section", has=page.locator("#store-list")).get_by_role(
            "button", name="CSV"
        ).click()
    sheet = Path(downloading.value.path()).read_text(encoding="utf-8-sig")
    assert store["store_code"] in sheet
    _shot(page, "channel")
    invite = page.locator("#new-invite")
    invite.get_by_label("Salesperson id").fill(str(w["salesperson"]))
    invite.get_by_role("button", name="New invite code").click()
    expect(page.locator("#created")).to_contain_text("Invite code for stores")
    person = page.locator("#new-person")
    person.get_by_label("WeChat openid").fill("guide-9")
    person.get_by_label("Store code (a guide's)").fill("NO-SUCH-STORE")
    person.get_by_role("button", name="Add").click()
    expect(page.get_by_role("alert")).to_contain_text("UNKNOWN_REFERENCE")


def test_a_dealers_user_sees_its_own_page_and_nothing_else(
    page: Page, api_url: str, brand: BrandCtx, client: TestClient
) -> None:
    w = _world(client, brand)
    store = _store(client, str(w["invite"]), "owner-1")
    with session_scope() as s:
        staff = brands.add_staff(
            s, brand_id=brand.id, username="dealer-d1", role="dealer", dealer_code="D1"
        )
        login.set_password(s, staff, PASSWORD)
    page.goto(api_url + "/")
    page.get_by_label("Brand").fill(brand.slug)
    page.get_by_label("User name").fill("dealer-d1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#my-stores")).to_contain_text(store["store_code"])
    expect(page.get_by_role("link", name="Dashboard")).to_be_hidden()
    page.goto(api_url + "/console/#/campaigns")
    expect(page.get_by_role("alert")).to_contain_text("ROLE_REQUIRED")
