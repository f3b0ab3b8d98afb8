"""The books of a brand, checked: what was awarded is in the ledger once, every fen of it is
paid, on its way, waiting for its minimum, held for review or voided; no code was claimed or
awarded twice; no campaign spent more than its budget.

Run after load or a fault (`onecode books`, loadtests/faults.py) and by operators after an
incident. Aggregates in SQL, so it reads ten million awards as easily as ten.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from payouts.models import LedgerEntry, Payout, PayoutItem
from rewards.models import Award, Campaign, ScanRecord

# Where each cash award's money is now. `unsent` is a fault: owed, not held, and no payout
# item carries it, so no worker would ever pay it.
PLACES = ("paid", "in_flight", "waiting", "held", "voided", "unsent")


@dataclass
class Books:
    brand_id: int
    cash_awarded_fen: int  # cash awards in `awards` (consumers, guides, stores)
    ledger_awards_fen: int  # the ledger's award entries
    paid_fen: int  # the ledger's payout debits
    paid_by_payouts_fen: int  # payouts in state success
    fen_by_place: dict[str, int]  # each award entry's money by PLACES
    payouts_by_state: dict[str, int]
    awards_without_entry: int
    codes_awarded_twice: int
    codes_claimed_twice: int
    budgets: dict[str, dict[str, int]] = field(default_factory=dict)  # slug -> budget, spent

    @property
    def problems(self) -> list[str]:
        found = []
        if self.cash_awarded_fen != self.ledger_awards_fen or self.awards_without_entry:
            found.append(
                f"cash awarded {self.cash_awarded_fen} fen, in the ledger "
                f"{self.ledger_awards_fen} ({self.awards_without_entry} awards without an entry)"
            )
        if self.paid_fen != self.paid_by_payouts_fen or self.paid_fen != self.fen_by_place["paid"]:
            found.append(
                f"ledger debits {self.paid_fen} fen, successful payouts "
                f"{self.paid_by_payouts_fen}, awards they carried {self.fen_by_place['paid']}"
            )
        if sum(self.fen_by_place.values()) != self.ledger_awards_fen:
            found.append("award entries do not add up to their places")
        if self.fen_by_place["unsent"]:
            found.append(f"{self.fen_by_place['unsent']} fen owed with no payout on its way")
        if self.codes_awarded_twice:
            found.append(f"{self.codes_awarded_twice} codes awarded twice")
        if self.codes_claimed_twice:
            found.append(f"{self.codes_claimed_twice} codes claimed twice")
        for slug, b in self.budgets.items():
            if b["spent_fen"] > b["budget_fen"]:
                found.append(f"campaign {slug} spent {b['spent_fen'] - b['budget_fen']} fen over")
        return found

    @property
    def balanced(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"problems": self.problems, "balanced": self.balanced}


def check(session: Session, brand_id: int) -> Books:
    cash = Award.brand_id == brand_id, Award.kind == "cash"
    entries = LedgerEntry.brand_id == brand_id
    awarded, n_awards = session.execute(
        select(func.coalesce(func.sum(Award.amount_fen), 0), func.count()).where(*cash)
    ).one()
    return Books(
        brand_id=brand_id,
        cash_awarded_fen=int(awarded),
        ledger_awards_fen=_sum(session, entries, LedgerEntry.kind == "award"),
        paid_fen=-_sum(session, entries, LedgerEntry.kind == "payout"),
        paid_by_payouts_fen=int(
            session.scalar(
                select(func.coalesce(func.sum(Payout.amount_fen), 0)).where(
                    Payout.brand_id == brand_id, Payout.state == "success"
                )
            )
            or 0
        ),
        fen_by_place=_places(session, brand_id),
        payouts_by_state={
            state: int(n)
            for state, n in session.execute(
                select(Payout.state, func.count())
                .where(Payout.brand_id == brand_id)
                .group_by(Payout.state)
            )
        },
        awards_without_entry=int(n_awards)
        - int(
            session.scalar(
                select(func.count())
                .select_from(Award)
                .join(
                    LedgerEntry,
                    and_(LedgerEntry.award_id == Award.id, LedgerEntry.kind == "award"),
                )
                .where(*cash)
            )
            or 0
        ),
        codes_awarded_twice=_twice(
            session,
            select(Award.code_batch_id, Award.code_serial).where(
                Award.brand_id == brand_id, Award.code_batch_id.is_not(None)
            ),
        ),
        codes_claimed_twice=_twice(
            session,
            select(ScanRecord.batch_id, ScanRecord.serial).where(
                ScanRecord.brand_id == brand_id,
                ScanRecord.role == "consumer",
                ScanRecord.outcome.in_(("won", "thanks")),
            ),
        ),
        budgets=_budgets(session, brand_id),
    )


def _sum(session: Session, *where: Any) -> int:
    return int(
        session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(*where))
        or 0
    )


def _places(session: Session, brand_id: int) -> dict[str, int]:
    void = aliased(LedgerEntry)
    place = case(
        (void.id.is_not(None), "voided"),
        (PayoutItem.id.is_(None), case((LedgerEntry.held, "held"), else_="unsent")),
        (PayoutItem.payout_id.is_(None), "waiting"),
        (Payout.state == "success", "paid"),
        else_="in_flight",
    )
    rows = session.execute(
        select(place, func.sum(LedgerEntry.amount_fen))
        .select_from(LedgerEntry)
        .outerjoin(void, and_(void.award_id == LedgerEntry.award_id, void.kind == "void"))
        .outerjoin(PayoutItem, PayoutItem.id == LedgerEntry.award_id)
        .outerjoin(Payout, Payout.id == PayoutItem.payout_id)
        .where(LedgerEntry.brand_id == brand_id, LedgerEntry.kind == "award")
        .group_by(place)
    )
    found = dict.fromkeys(PLACES, 0)
    found.update({str(p): int(fen) for p, fen in rows})
    return found


def _twice(session: Session, codes: Any) -> int:
    """How many codes appear more than once in `codes` (a select of batch and serial)."""
    grouped = codes.group_by(*codes.selected_columns).having(func.count() > 1).subquery()
    return int(session.scalar(select(func.count()).select_from(grouped)) or 0)


def _budgets(session: Session, brand_id: int) -> dict[str, dict[str, int]]:
    """Each campaign's budget and what its awards (cash, voucher subsidies, field rewards)
    spent of it."""
    spent = (
        select(
            Campaign.slug, Campaign.total_budget_fen, func.coalesce(func.sum(Award.amount_fen), 0)
        )
        .outerjoin(Award, Award.campaign_id == Campaign.id)
        .where(Campaign.brand_id == brand_id)
        .group_by(Campaign.id, Campaign.slug, Campaign.total_budget_fen)
    )
    return {
        slug: {"budget_fen": int(budget), "spent_fen": int(total)}
        for slug, budget, total in session.execute(spent)
    }
