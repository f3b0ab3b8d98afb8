"""Awards held for review (risk said "hold"): owed in the ledger, paid only when staff release
them, or cancelled by a `void` entry. Both decisions are recorded with who made them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from infra.errors import Conflict, NotFound
from payouts import ledger, owing
from payouts.models import LedgerEntry, PayoutItem


class AwardNotFound(NotFound):
    """No award with this id in the brand's ledger."""

    code = "AWARD_NOT_FOUND"


class AwardNotHeld(Conflict):
    """The award is not waiting for review: it was never held, or was released or voided."""

    code = "AWARD_NOT_HELD"


def _resolved(session: Session, entry: LedgerEntry) -> bool:
    """Voided, or released (on its way to a payout)."""
    voided = session.get(LedgerEntry, ledger.entry_id("void", str(entry.award_id)))
    return voided is not None or session.get(PayoutItem, entry.award_id) is not None


def waiting(session: Session, brand_id: int, *, limit: int = 500) -> list[LedgerEntry]:
    """Held awards no one has released or voided yet, oldest first: one query, so a queue of
    tens of thousands does not cost a query an entry."""
    void = aliased(LedgerEntry)
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.brand_id == brand_id,
                LedgerEntry.kind == "award",
                LedgerEntry.held.is_(True),
                ~exists().where(void.kind == "void", void.award_id == LedgerEntry.award_id),
                ~exists().where(PayoutItem.id == LedgerEntry.award_id),
            )
            .order_by(LedgerEntry.at)
            .limit(limit)
        )
    )


def _held(session: Session, brand_id: int, award_id: str) -> LedgerEntry:
    entry = session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.brand_id == brand_id,
            LedgerEntry.kind == "award",
            LedgerEntry.award_id == award_id,
        )
    )
    if entry is None:
        raise AwardNotFound("no such award", award_id=award_id)
    if not entry.held or _resolved(session, entry):
        raise AwardNotHeld("this award is not waiting for review", award_id=award_id)
    return entry


def held_account(session: Session, *, brand_id: int, award_id: str) -> str:
    """Whose held award this is (`consumer:<openid>`); AwardNotFound or AwardNotHeld if it is
    not waiting for review."""
    return _held(session, brand_id, award_id).account


def release(
    session: Session,
    *,
    brand_id: int,
    award_id: str,
    actor: str,
    payout_min: Callable[[int | None], int] = lambda _campaign_id: 0,
) -> str | None:
    """Pay a held award: its payout is created and queued, or, if it is under its campaign's
    payout minimum (`payout_min(campaign_id)`), it waits with the account's other small awards.
    Returns the payout's id, or None while it waits."""
    entry = _held(session, brand_id, award_id)
    # Risk holds consumers' prizes, and a consumer's account is `consumer:<openid>`.
    openid = entry.account.partition(":")[2]
    row = owing.item(
        award_id=award_id,
        brand_id=brand_id,
        account=entry.account,
        openid=openid,
        amount_fen=entry.amount_fen,
        campaign_id=entry.campaign_id,
        region_code=entry.region_code,
        at=datetime.now(UTC),
        min_fen=payout_min(entry.campaign_id),
    )
    owing.carry(session, [row], why=f"released by {actor}")
    return session.scalar(select(PayoutItem.payout_id).where(PayoutItem.id == award_id))


def void(session: Session, *, brand_id: int, award_id: str, actor: str, reason: str) -> None:
    """Cancel a held award: a `void` entry takes its amount off the account's balance."""
    entry = _held(session, brand_id, award_id)
    ledger.post(
        session,
        [
            ledger.award_entry(
                award_id=award_id,
                brand_id=brand_id,
                at=datetime.now(UTC),
                account=entry.account,
                amount_fen=-entry.amount_fen,
                campaign_id=entry.campaign_id,
                region_code=entry.region_code,
                scan_id=entry.scan_id,
                kind="void",
                memo=f"voided by {actor}: {reason}"[:200],
            )
        ],
    )
