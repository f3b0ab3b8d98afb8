"""Reconciliation: the ledger's payouts for a day against the provider's bills for that day.

Every difference is reported, none is fixed here: money questions go to people.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.db import session_scope
from payouts.models import Payout, PayoutEvent
from payouts.provider import Provider


@dataclass(frozen=True)
class Difference:
    bill_no: str
    kind: str  # missing_at_provider | unknown_to_us | state_differs | amount_differs
    ours: str
    theirs: str


@dataclass(frozen=True)
class Report:
    day: date
    bills_ours: int
    bills_theirs: int
    paid_fen_ours: int
    paid_fen_theirs: int
    differences: list[Difference]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"day": self.day.isoformat()}


def reconcile(session: Session, provider: Provider, day: date) -> Report:
    """Compare, for `day` (UTC), every bill number we sent with the provider's bills. One
    merchant account pays for every brand of this deployment, so this covers them all."""
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    sent = dict(
        session.execute(
            select(PayoutEvent.bill_no, PayoutEvent.payout_id).where(
                PayoutEvent.state == "sending",
                PayoutEvent.at >= start,
                PayoutEvent.at < end,
            )
        ).all()
    )
    payouts = {
        p.id: p for p in session.scalars(select(Payout).where(Payout.id.in_(set(sent.values()))))
    }
    theirs = {b.bill_no: b for b in provider.bills_of_day(day)}
    ours_state = {}
    for number, payout_id in sent.items():
        p = payouts[payout_id]
        # The payout's state belongs to its current bill; an earlier bill was failed.
        ours_state[number] = (p.state if p.bill_no == number else "failed", p.amount_fen)
    differences = []
    for number, (state, amount) in sorted(ours_state.items()):
        bill = theirs.get(number)
        if bill is None:
            if state == "success":
                differences.append(Difference(number, "missing_at_provider", state, ""))
            continue
        if (state == "success") != (bill.state == "SUCCESS"):
            differences.append(Difference(number, "state_differs", state, bill.state))
        if amount != bill.amount_fen:
            differences.append(
                Difference(number, "amount_differs", str(amount), str(bill.amount_fen))
            )
    for number, bill in sorted(theirs.items()):
        if number not in ours_state:
            differences.append(Difference(number, "unknown_to_us", "", bill.state))
    return Report(
        day=day,
        bills_ours=len(ours_state),
        bills_theirs=len(theirs),
        paid_fen_ours=sum(a for s, a in ours_state.values() if s == "success"),
        paid_fen_theirs=sum(b.amount_fen for b in theirs.values() if b.state == "SUCCESS"),
        differences=differences,
    )


def reconcile_day(day: date, provider: Provider) -> Report:
    """`reconcile` in a session of its own."""
    with session_scope() as session:
        return reconcile(session, provider, day)
