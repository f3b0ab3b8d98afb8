"""The ledger: what the brand owes whom, in fen, as append-only entries.

An award adds to its beneficiary's account; a payout or a void subtracts. A balance is a sum,
never a stored number, so it cannot drift from the entries that explain it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.db import insert_new
from payouts.models import LedgerEntry

KINDS = ("award", "subsidy", "coupon", "payout", "void")


def entry_id(*cause: str) -> str:
    """An entry's id from what caused it: the same cause, the same id, one entry."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "onecode-ledger/" + "/".join(cause)).hex


def consumer(openid: str) -> str:
    return f"consumer:{openid}"


def post(session: Session, entries: list[dict[str, Any]]) -> int:
    """Write entries whose id is not in the ledger yet; returns how many were new.

    Each entry is a dict of LedgerEntry columns with `id` from `entry_id`. Under a race the
    primary key refuses the second writer's transaction, which is then retried.
    """
    if not entries:
        return 0
    unique = {e["id"]: e for e in entries}
    for e in unique.values():
        if e["kind"] not in KINDS:
            raise ValueError(f"unknown ledger entry kind {e['kind']!r}")
    return len(insert_new(session, LedgerEntry, list(unique.values())))


def balance(session: Session, brand_id: int, account: str) -> int:
    """What the brand owes `account` now, in fen."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(
            LedgerEntry.brand_id == brand_id, LedgerEntry.account == account
        )
    )
    return int(total or 0)


def award_entry(
    *,
    award_id: str,
    brand_id: int,
    at: datetime,
    account: str,
    amount_fen: int,
    campaign_id: int | None,
    region_code: str = "",
    scan_id: str | None = None,
    kind: str = "award",
    held: bool = False,
    memo: str = "",
) -> dict[str, Any]:
    return {
        "id": entry_id(kind, award_id),
        "brand_id": brand_id,
        "at": at,
        "kind": kind,
        "account": account,
        "amount_fen": amount_fen,
        "campaign_id": campaign_id,
        "region_code": region_code,
        "award_id": award_id,
        "scan_id": scan_id,
        "payout_id": None,
        "held": held,
        "memo": memo,
    }


def payout_entry(
    *,
    payout_id: str,
    award_id: str,
    brand_id: int,
    at: datetime,
    account: str,
    amount_fen: int,
    campaign_id: int | None,
    region_code: str,
    bill_no: str,
) -> dict[str, Any]:
    """The debit, for one award it carried, of a payout the provider completed: what was owed
    is now paid."""
    debit = award_entry(
        award_id=award_id,
        brand_id=brand_id,
        at=at,
        account=account,
        amount_fen=-amount_fen,
        campaign_id=campaign_id,
        region_code=region_code,
        kind="payout",
        memo=f"bill {bill_no}",
    )
    return debit | {"id": entry_id("payout", payout_id, award_id), "payout_id": payout_id}


def paid(session: Session, brand_id: int, account: str) -> int:
    """What has reached `account` through payouts, in fen."""
    total = session.scalar(
        select(func.coalesce(func.sum(-LedgerEntry.amount_fen), 0)).where(
            LedgerEntry.brand_id == brand_id,
            LedgerEntry.account == account,
            LedgerEntry.kind == "payout",
        )
    )
    return int(total or 0)
