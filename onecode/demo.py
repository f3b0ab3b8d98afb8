"""What `onecode demo` prints: calls a newcomer can paste, one per role, with real codes and
credentials of the demo brand.

The field people (a guide, a store owner, a salesperson with an invite code) and a dealer's PDA
are made here, on first use, rather than in the seed file: their credentials are secrets that
are shown once, so each run of the demo issues fresh ones.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import codegen
from brands import field, service as brands
from brands.models import Dealer, FieldAccount, Region, Store
from codegen.models import CodeBatch
from codegen.packing import parent_of
from logistics import service as logistics


@dataclass(frozen=True)
class Example:
    what: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    token: str | None = None
    expect: tuple[str, ...] = ()  # what the answer should say (outcome, or HTTP status)

    def curl(self, base: str) -> str:
        parts = ["curl", "-s"]
        if self.method != "GET":
            parts += ["-X", self.method, "-H", "content-type: application/json"]
        if self.token:
            parts += ["-H", f"authorization: Bearer {self.token}"]
        if self.body is not None:
            parts += ["-d", json.dumps(self.body, ensure_ascii=False)]
        return shlex.join([*parts, base + self.path])


def _account(session: Session, brand_id: int, role: str, openid: str, **kw: Any) -> FieldAccount:
    found = session.scalar(
        select(FieldAccount).where(
            FieldAccount.brand_id == brand_id,
            FieldAccount.role == role,
            FieldAccount.openid == openid,
        )
    )
    if found is not None:
        return found
    return field.add_account(session, brand_id=brand_id, role=role, openid=openid, **kw)


def _parent(session: Session, brand_id: int, batch: CodeBatch, index: int) -> tuple[CodeBatch, int]:
    """The batch and index of a code's parent (cap -> bottle -> case)."""
    found = parent_of(session, batch=batch, serial=batch.first_serial + index)
    if found is None:
        raise LookupError("the demo's codes are not packed")
    parent = codegen.get_batch(session, brand_id=brand_id, batch_id=found[0])
    return parent, found[1] - parent.first_serial


def examples(session: Session, slug: str) -> list[Example]:
    """Example calls against the demo brand, in an order that tells a story: a guide sells a
    bottle, a consumer scans its cap, a store opens a case and redeems a voucher, a dealer's PDA
    ships cases, a new store signs up."""
    b = brands.get_brand(session, slug)
    by_kind: dict[str, CodeBatch] = {}
    for batch in codegen.list_batches(session, brand_id=b.id):
        by_kind.setdefault(batch.kind, batch)
    caps = by_kind.get("cap")
    if caps is None:
        return []
    picks: dict[str, int] = {}
    # The first active cap: on a second run of the demo it was claimed by the first, and the
    # same examples still answer as labelled (repeats and already-claimed).
    for i in range(min(caps.count, 6000)):
        if codegen.state_of(session, caps, caps.first_serial + i).state == "active":
            picks["fresh"] = i
            break
    for i in (caps.count - 1, 7000):
        if i < caps.count:
            state = codegen.state_of(session, caps, caps.first_serial + i).state
            picks.setdefault(state, i)

    def url(batch: CodeBatch, index: int) -> str:
        return f"{b.scan_base_url}/C/{codegen.code_at(session, batch, index)}"

    def scan(index: int, openid: str, region: str = "440106") -> dict[str, Any]:
        return {"code": url(caps, index), "openid": openid, "region_code": region}

    fresh = picks["fresh"]
    out = [
        Example(
            "is a code genuine? (anyone, no credential)",
            "GET",
            f"/v1/codes/{codegen.code_at(session, caps, fresh)}/verify",
            expect=("200",),
        )
    ]
    store = session.scalar(select(Store).where(Store.brand_id == b.id).order_by(Store.id))
    bottle = case = None
    if store is not None and "bottle" in by_kind:
        bottle = _parent(session, b.id, caps, fresh)
        guide = _account(session, b.id, "guide", "demo-guide", name="导购小王", store_id=store.id)
        out.append(
            Example(
                f"a guide at {store.name} records the sale of that cap's bottle (一码双奖)",
                "POST",
                "/v1/guide/sale",
                {"code": url(*bottle)},
                field.issue_token(guide),
                ("200",),
            )
        )
    out += [
        Example(
            "a consumer in Guangzhou scans the cap: a prize (or thanks)",
            "POST",
            "/v1/scan/consumer",
            scan(fresh, "demo-alice"),
            expect=("won", "thanks"),
        ),
        Example(
            "the same consumer again: the same answer, marked repeat",
            "POST",
            "/v1/scan/consumer",
            scan(fresh, "demo-alice"),
            expect=("won", "thanks"),
        ),
        Example(
            "someone else scans that cap: already claimed",
            "POST",
            "/v1/scan/consumer",
            scan(fresh, "demo-bob"),
            expect=("already_claimed",),
        ),
        Example(
            "a consumer in Hangzhou: the campaign's national prizes, vouchers among them",
            "POST",
            "/v1/scan/consumer",
            scan(fresh + 1, "demo-carol", "330106"),
            expect=("won", "thanks"),
        ),
    ]
    for state, what in (("blank", "never activated"), ("voided", "from a voided roll")):
        if state in picks:
            out.append(
                Example(
                    f"a cap {what}",
                    "POST",
                    "/v1/scan/consumer",
                    scan(picks[state], "demo-dave"),
                    expect=("not_activated" if state == "blank" else "voided",),
                )
            )
    if store is not None and bottle is not None and "case" in by_kind:
        case = _parent(session, b.id, *bottle)
        owner = _account(
            session, b.id, "store_owner", "demo-store-owner", name="店主", store_id=store.id
        )
        owner_token = field.issue_token(owner)
        out += [
            Example(
                f"{store.name} opens the case that bottle came in (开箱有礼)",
                "POST",
                "/v1/store/open-case",
                {"code": url(*case)},
                owner_token,
                ("200",),
            ),
            Example(
                "the store redeems a consumer's voucher: put the scan_id of a voucher win here",
                "POST",
                "/v1/store/redeem",
                {"voucher_code": "SCAN_ID_OF_A_VOUCHER_WIN"},
                owner_token,
                ("422",),
            ),
        ]
    if store is not None and store.dealer_id is not None and "case" in by_kind:
        dealer_code = session.get_one(Dealer, store.dealer_id).code
        device, credential = logistics.add_device(
            session, brand_id=b.id, dealer_code=dealer_code, name="demo PDA"
        )
        cases = by_kind["case"]
        first_case = case[1] if case else 0
        out.append(
            Example(
                f"dealer {dealer_code}'s PDA ships two cases to {store.code} (出库)",
                "POST",
                "/v1/dealer/uploads",
                {
                    "upload_id": f"demo-{device.id}",
                    "direction": "out",
                    "to_store": store.code,
                    "codes": [url(cases, first_case), url(cases, first_case + 1)],
                },
                credential,
                ("200",),
            )
        )
        salesperson = _account(
            session, b.id, "salesperson", "demo-sales", name="业务员老李", dealer_id=store.dealer_id
        )
        invite = field.create_invite(session, brand_id=b.id, salesperson_id=salesperson.id)
        region = session.get(Region, store.region_id) if store.region_id else None
        out.append(
            Example(
                "a new store signs up with a salesperson's invite code (store -> salesperson "
                "-> dealer)",
                "POST",
                "/v1/store/register",
                {
                    "invite_code": invite.code,
                    "openid": f"demo-new-store-{invite.code}",
                    "store_name": "新开张便利店",
                    "region_code": region.code if region else None,
                },
                expect=("201",),
            )
        )
    return out
