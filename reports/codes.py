"""A code's history for the console's lookup: its scans and what they won (the code's place in
its packing and its custody come from codegen and logistics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from codegen import resolve
from rewards.models import Award, CaseOpening, GuideSale, ScanRecord

MAX_SCANS = 200


@dataclass(frozen=True)
class ScanLine:
    at: datetime
    role: str
    outcome: str
    openid: str
    device_id: str
    ip: str
    region_code: str
    amount_fen: int
    risk_action: str
    risk_score: float | None


@dataclass(frozen=True)
class RewardLine:
    kind: str  # prize, guide sale, case opening
    at: datetime
    who: str
    tier: str
    amount_fen: int
    status: str
    award_id: str


@dataclass(frozen=True)
class CodeHistory:
    code: str
    scans: list[ScanLine]  # newest first, at most MAX_SCANS
    rewards: list[RewardLine]


def history(session: Session, *, brand_id: int, text: str) -> CodeHistory:
    sealed, batch = resolve(session, brand_id=brand_id, text=text)
    serial = sealed.serial
    scans = session.scalars(
        select(ScanRecord)
        .where(
            ScanRecord.brand_id == brand_id,
            ScanRecord.code == sealed.code,  # as every scan records it (scan_api)
        )
        .order_by(ScanRecord.at.desc())
        .limit(MAX_SCANS)
    )
    lines = [_scan_line(r) for r in scans]
    rewards = [
        RewardLine("prize", a.at, a.beneficiary, a.tier, a.amount_fen, a.status, a.id)
        for a in session.scalars(
            select(Award).where(
                Award.brand_id == brand_id,
                Award.code_batch_id == batch.id,
                Award.code_serial == serial,
            )
        )
    ]
    # What the code earned people in the field: a guide's sale of its bottle, a store's
    # opening of its case (each once, by a unique constraint).
    field: Any = (
        ("guide sale", GuideSale, "bottle", lambda r: f"account:{r.guide_id}", "bonus_award_id"),
        ("case opening", CaseOpening, "case", lambda r: f"store:{r.store_id}", "reward_award_id"),
    )
    for kind, model, prefix, who, award in field:
        for row in session.scalars(
            select(model).where(
                getattr(model, f"{prefix}_batch_id") == batch.id,
                getattr(model, f"{prefix}_serial") == serial,
            )
        ):
            rewards.append(RewardLine(kind, row.at, who(row), "", 0, "", getattr(row, award) or ""))
    return CodeHistory(sealed.code, lines, rewards)


def _scan_line(r: ScanRecord) -> ScanLine:
    decision: dict[str, Any] = r.risk or {}
    return ScanLine(
        r.at,
        r.role,
        r.outcome,
        r.openid,
        r.device_id,
        r.ip,
        r.region_code,
        r.amount_fen,
        str(decision.get("action", "")),
        decision.get("score"),
    )
