"""The world a load or fault run plays in, seeded into the deployment the environment names.

`python -m loadtests.world OUT.json [--caps N] [--packed N] [--budget-fen N] ...` creates a
brand with a running campaign (cash red packets, points, 1-yuan vouchers; a guide's bonus per
sold bottle, a store's restock coupon per voucher redeemed and a red packet per case opened),
and writes to OUT.json what the simulated population needs: fresh caps for consumers, caps
packed in bottles and cases for guides and stores, cases for dealers' PDAs, and the field
tokens and PDA credentials of stores, guides and dealers.

By default every scan pays for the full risk pipeline: a model of training's size is promoted
(`promote_cost_model`).
"""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

import codegen
from brands import field, service as brands
from codegen.models import CodeBatch
from infra.db import session_scope
from infra.migrate import upgrade
from logistics import service as logistics
from rewards import campaigns
from rewards.campaigns import CampaignSpec


@dataclass(frozen=True)
class Place:
    region: str
    dealer: str
    lat: float
    lon: float


# Guangzhou and Hangzhou: the campaign's regions, where stores and consumers are.
PLACES = [Place("440100", "D-GZ", 23.13, 113.26), Place("330100", "D-HZ", 30.27, 120.16)]
VOUCHER = {"product_sku": "LAGER-500", "pay_fen": 100, "subsidy_fen": 450, "valid_days": 30}


def campaign_spec(budget_fen: int) -> dict[str, Any]:
    return {
        "slug": "load",
        "name": "Spring Festival load",
        "status": "active",
        "total_budget_fen": budget_fen,
        "wins_per_consumer_per_day": 5,
        "guide_bonus_fen": 50,
        "store_reward": {"kind": "restock_coupon", "amount_fen": 100},
        "open_case_reward_fen": 200,
        "regions": ["440000", "330000"],
        "prize_table": {
            "tiers": [
                {"key": "cash-188", "kind": "cash", "amount_fen": 188, "probability": 0.25},
                {"key": "voucher-1y", "kind": "voucher", "probability": 0.1, "voucher": VOUCHER},
                {"key": "points-10", "kind": "points", "points": 10, "probability": 0.4},
            ]
        },
    }


def promote_cost_model(session: Session, brand_id: int) -> None:
    """A model of the size training makes (risk.training.PARAMS), so every scan pays for the
    full tree walk. It learns fraud as many accounts on one phone, which none of the simulated
    honest consumers are (each has their own): their scans pass and claim, as honest ones do."""
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier

    from risk import registry
    from risk.features import FEATURES, INDEX
    from risk.model import from_sklearn
    from risk.training import PARAMS

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, len(FEATURES))) * 3
    y = x[:, INDEX["dev_accounts"]] > 4
    fitted = GradientBoostingClassifier(random_state=0, **PARAMS).fit(x, y)
    row = registry.save(
        session,
        brand_id=brand_id,
        model_json=from_sklearn(fitted, FEATURES).to_json(),
        metrics={},
        trained_on={"note": "load and bench runs: the cost of a real model"},
    )
    registry.promote(session, brand_id=brand_id, version=row.version, actor="load")


def _issue_active(session: Session, brand_id: int, kind: str, count: int) -> CodeBatch:
    batch = codegen.issue_batch(session, brand_id=brand_id, kind=kind, count=count)
    codegen.activate_range(
        session,
        brand_id=brand_id,
        batch_id=batch.id,
        start_index=0,
        count=count,
        binding=codegen.Binding("LAGER-500", lot="L1", campaign_slug="load"),
    )
    return batch


def build(
    *,
    caps: int,
    packed_cases: int = 0,
    pda_cases: int = 0,
    stores: int = 0,
    guides: int = 0,
    budget_fen: int = 10**12,
    model: bool = True,
) -> dict[str, Any]:
    upgrade()
    slug = f"load-{uuid.uuid4().hex[:8]}"
    with session_scope() as s:
        brand = brands.create_brand(s, slug=slug, name="Load", scan_base_url="https://qr.load.cn")
        b = brand.id
        brands.add_product(s, brand_id=b, sku="LAGER-500", name="Lager")
        brands.add_region(s, brand_id=b, code="440000", name="广东")
        brands.add_region(s, brand_id=b, code="440100", name="广州", parent_code="440000")
        brands.add_region(s, brand_id=b, code="330000", name="浙江")
        brands.add_region(s, brand_id=b, code="330100", name="杭州", parent_code="330000")
        for place in PLACES:
            brands.add_dealer(
                s, brand_id=b, code=place.dealer, name=place.dealer,
                region_codes=[place.region],
            )  # fmt: skip
        campaigns.create_campaign(
            s, brand_id=b, actor="load", spec=CampaignSpec.model_validate(campaign_spec(budget_fen))
        )
        fresh = _issue_active(s, b, "cap", caps)
        world: dict[str, Any] = {
            "brand_id": b,
            "slug": slug,
            "caps": [codegen.code_at(s, fresh, i) for i in range(caps)],
        }
        world["bottles"], world["cases"], world["pda_cases"] = [], [], []
        if packed_cases:
            bottles = packed_cases * 12
            packed_caps = _issue_active(s, b, "cap", bottles)
            bottle_batch = _issue_active(s, b, "bottle", bottles)
            case_batch = _issue_active(s, b, "case", packed_cases)
            for child, parent, per in (
                (packed_caps, bottle_batch, 1),
                (bottle_batch, case_batch, 12),
            ):
                codegen.pack_in_order(
                    s, brand_id=b, child_batch_id=child.id, parent_batch_id=parent.id,
                    per_parent=per,
                )  # fmt: skip
            world["bottles"] = [
                [codegen.code_at(s, packed_caps, i), codegen.code_at(s, bottle_batch, i)]
                for i in range(bottles)
            ]
            world["cases"] = [codegen.code_at(s, case_batch, i) for i in range(packed_cases)]
        if pda_cases:
            shipped = _issue_active(s, b, "case", pda_cases)
            world["pda_cases"] = [codegen.code_at(s, shipped, i) for i in range(pda_cases)]
        world["pdas"] = [
            {"dealer": place.dealer, "token": logistics.add_device(
                s, brand_id=b, dealer_code=place.dealer, name=f"PDA {place.dealer}"
            )[1]}
            for place in PLACES
        ]  # fmt: skip
        world["stores"] = []
        world["guides"] = []
        for i in range(stores):
            place = PLACES[i % len(PLACES)]
            invite = field.create_invite(s, brand_id=b, dealer_code=place.dealer)
            store, owner = field.register_store(
                s,
                invite_code=invite.code,
                openid=f"owner-{i}",
                store_name=f"Store {i}",
                region_code=place.region,
                latitude=place.lat,
                longitude=place.lon,
            )
            world["stores"].append(
                {"code": store.code, "token": field.issue_token(owner)} | asdict(place)
            )
            if i < guides:
                guide = field.add_account(
                    s, brand_id=b, role="guide", openid=f"guide-{i}", store_id=store.id
                )
                world["guides"].append({"token": field.issue_token(guide)} | asdict(place))
        if model:
            promote_cost_model(s, b)
    return world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--caps", type=int, default=10_000)
    parser.add_argument("--packed-cases", type=int, default=0)
    parser.add_argument("--pda-cases", type=int, default=0)
    parser.add_argument("--stores", type=int, default=0)
    parser.add_argument("--guides", type=int, default=0)
    parser.add_argument("--budget-fen", type=int, default=10**12)
    parser.add_argument("--no-model", action="store_true")
    args = parser.parse_args()
    world = build(
        caps=args.caps,
        packed_cases=args.packed_cases,
        pda_cases=args.pda_cases,
        stores=args.stores,
        guides=args.guides,
        budget_fen=args.budget_fen,
        model=not args.no_model,
    )
    args.out.write_text(json.dumps(world))


if __name__ == "__main__":
    main()
