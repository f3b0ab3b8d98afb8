"""What is known of accounts, for training: staff review decisions on held awards, rings staff
confirmed, and a simulator's truth. The newest label of an account wins, so a reviewer can
overturn a ring's verdict on one of its members."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.db import insert_rows
from risk.models import RiskLabel


def label(
    session: Session, *, brand_id: int, openids: Iterable[str], fraud: bool, source: str, actor: str
) -> int:
    rows = [
        {"brand_id": brand_id, "openid": o, "fraud": fraud, "source": source, "actor": actor}
        for o in sorted(set(openids))
    ]
    if rows:
        insert_rows(session, RiskLabel, rows)
    return len(rows)


def reviewed(session: Session, *, brand_id: int, account: str, fraud: bool, actor: str) -> None:
    """A reviewer released (honest) or voided (fraud) a consumer's held award."""
    if account.startswith("consumer:"):
        label(
            session,
            brand_id=brand_id,
            openids=[account.removeprefix("consumer:")],
            fraud=fraud,
            source="review",
            actor=actor,
        )


def record_truth(
    session: Session, *, brand_id: int, fraud: Iterable[str], honest: Iterable[str]
) -> None:
    label(session, brand_id=brand_id, openids=fraud, fraud=True, source="simulator", actor="sim")
    label(session, brand_id=brand_id, openids=honest, fraud=False, source="simulator", actor="sim")


def known(session: Session, *, brand_id: int) -> dict[str, bool]:
    """openid -> fraud, by each account's newest label."""
    out: dict[str, bool] = {}
    rows = session.execute(
        select(RiskLabel.openid, RiskLabel.fraud)
        .where(RiskLabel.brand_id == brand_id)
        .order_by(RiskLabel.at, RiskLabel.id)
    )
    for openid, fraud in rows:
        out[openid] = fraud
    return out
