"""The campaign forecast: expected prize money per 10,000 claimed scans, and the budget's
run-out at the current rate of claims."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from infra.db import session_scope
from rewards import campaigns, forecast, rollups
from rewards.campaigns import CampaignSpec
from rewards.models import ScanRecord
from rewards.prizes import PrizeTable
from tests.conftest import BrandCtx, auth

TABLE = {
    "tiers": [
        {"key": "cash", "kind": "cash", "amount_fen": 188, "probability": 0.3},
        {"key": "points", "kind": "points", "points": 10, "probability": 0.5},
        {
            "key": "swap",
            "kind": "voucher",
            "probability": 0.1,
            "voucher": {
                "product_sku": "LAGER-500",
                "pay_fen": 100,
                "subsidy_fen": 400,
                "valid_days": 30,
            },
        },
    ]
}
NOW = datetime(2027, 2, 1, 12, tzinfo=UTC)


def test_cost_counts_cash_and_voucher_subsidies_not_points() -> None:
    table = PrizeTable.model_validate(TABLE)
    assert forecast.expected_cost_fen(table) == 0.3 * 188 + 0.1 * 400
    f = forecast.forecast(
        table=table, budget_fen=1_000_000, spent_fen=100_000, rate_per_hour=100, now=NOW
    )
    assert (f.cost_per_10k_scans_fen, f.awards_per_10k_scans) == (964_000, 9_000)
    hours = 900_000 / (96.4 * 100)
    assert f.runs_out_at is not None
    assert abs((f.runs_out_at - NOW).total_seconds() - hours * 3600) < 1


def test_no_claims_or_no_money_never_run_out() -> None:
    table = PrizeTable.model_validate(TABLE)
    kw = {"budget_fen": 10**12, "spent_fen": 0, "now": NOW}
    assert forecast.forecast(table=table, rate_per_hour=0, **kw).runs_out_at is None  # type: ignore[arg-type]
    tiny = forecast.forecast(table=table, rate_per_hour=1e-9, **kw)  # type: ignore[arg-type]
    assert tiny.runs_out_at is None  # beyond ten years, not an overflow
    points = PrizeTable.model_validate({"tiers": [TABLE["tiers"][1]]})
    assert forecast.forecast(table=points, rate_per_hour=1e6, **kw).runs_out_at is None  # type: ignore[arg-type]


def test_the_endpoint_uses_the_last_days_claims(
    client: TestClient, brand: BrandCtx, make_brand
) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    with session_scope() as s:
        spec = CampaignSpec(
            slug="cny",
            name="CNY",
            status="active",
            total_budget_fen=2_000_000,
            prize_table=PrizeTable.model_validate(TABLE),
            starts_at=now - timedelta(days=3),
        )
        c = campaigns.create_campaign(s, brand_id=brand.id, spec=spec, actor="t")

        def scan(at: datetime, code: str, outcome: str) -> ScanRecord:
            return ScanRecord(
                id=uuid.uuid4().hex,
                brand_id=brand.id,
                at=at,
                role="consumer",
                code=code,
                campaign_id=c.id,
                outcome=outcome,
            )

        for i in range(60):  # 48 claims in the last day, others too old or not claims
            at = now - timedelta(minutes=30 * i)
            outcome = "won" if i % 5 else "thanks"
            if i >= 48:
                at, outcome = now - timedelta(days=2), "won"
            s.add(scan(at, f"c{i}", outcome))
        s.add(scan(now, "x", "already_claimed"))
        s.flush()
        rollups.rebuild(s, brand.id)  # as the recorder would have counted them
    r = client.get("/v1/admin/campaigns/cny/forecast", headers=auth(brand.finance_token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["claims_per_hour"] == 2.0
    assert body["cost_per_10k_scans_fen"] == 964_000
    assert (body["budget_fen"], body["spent_fen"]) == (2_000_000, 0)
    runs_out = datetime.fromisoformat(body["runs_out_at"])
    expected = now + timedelta(hours=2_000_000 / (96.4 * 2))
    assert abs((runs_out - expected).total_seconds()) < 120
    other: BrandCtx = make_brand()
    r = client.get("/v1/admin/campaigns/cny/forecast", headers=auth(other.admin_token))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "CAMPAIGN_NOT_FOUND")
