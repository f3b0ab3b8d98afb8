"""After a run: the books, and whether every prize the clients were told they won is there.

`python -m loadtests.audit WORLD.json ANNOUNCED.json` (in the deployment's environment) prints
JSON: the brand's books (rewards/books.py), how many of the announced prizes (scan id -> fen)
have no award or a different amount, and how far the write-behind and the payouts still are
from done (events not yet written, payouts not final).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from infra.db import session_scope
from infra.redis import get_redis
from payouts import jobs
from payouts.models import PayoutEvent
from rewards import books
from rewards.claims import events_key
from rewards.models import Award, ScanRecord


def audit(brand_id: int, announced: dict[str, int]) -> dict[str, Any]:
    with session_scope() as s:
        report = books.check(s, brand_id)
        found = dict(
            s.execute(
                select(Award.id, Award.amount_fen).where(
                    Award.brand_id == brand_id, Award.id.in_(list(announced))
                )
            ).all()
        ) if announced else {}  # fmt: skip
    missing = [scan_id for scan_id in announced if scan_id not in found]
    wrong = [scan_id for scan_id, fen in announced.items() if found.get(scan_id, fen) != fen]
    return {
        "books": report.as_dict(),
        "provider": provider_side(brand_id),
        "announced": len(announced),
        "announced_missing": len(missing),
        "announced_wrong_amount": len(wrong),
        "outcomes": outcomes(brand_id),
        "events_unwritten": int(get_redis().xlen(events_key(brand_id))),
        "payouts_not_final": sum(
            n
            for state, n in report.payouts_by_state.items()
            if state not in ("success", "failed", "cancelled")
        ),
    }


def outcomes(brand_id: int) -> dict[str, dict[str, int]]:
    """Consumer scans' outcomes, the wool farms' (openids `farm-…`, loadtests/population.py)
    apart from everyone else's."""
    farm = ScanRecord.openid.like("farm-%")
    with session_scope() as s:
        rows = s.execute(
            select(farm, ScanRecord.outcome, func.count())
            .where(ScanRecord.brand_id == brand_id, ScanRecord.role == "consumer")
            .group_by(farm, ScanRecord.outcome)
        ).all()
    found: dict[str, dict[str, int]] = {"wool_farms": {}, "everyone_else": {}}
    for is_farm, outcome, n in rows:
        found["wool_farms" if is_farm else "everyone_else"][str(outcome)] = int(n)
    return found


def provider_side(brand_id: int) -> dict[str, int]:
    """What the provider says it paid on the brand's bills (today's and yesterday's, UTC), and
    how many payouts it paid more than once."""
    with session_scope() as s:
        payout_of = dict(
            s.execute(
                select(PayoutEvent.bill_no, PayoutEvent.payout_id).where(
                    PayoutEvent.brand_id == brand_id, PayoutEvent.state == "sending"
                )
            ).all()
        )
    today = datetime.now(UTC).date()
    provider = jobs.provider()
    paid = [
        bill
        for day in (today - timedelta(days=1), today)
        for bill in provider.bills_of_day(day)
        if bill.bill_no in payout_of and bill.state == "SUCCESS"
    ]
    per_payout: dict[str, int] = {}
    for bill in paid:
        per_payout[payout_of[bill.bill_no]] = per_payout.get(payout_of[bill.bill_no], 0) + 1
    return {
        "paid_fen": sum(bill.amount_fen for bill in paid),
        "payouts_paid_twice": sum(n > 1 for n in per_payout.values()),
    }


if __name__ == "__main__":
    world = json.loads(Path(sys.argv[1]).read_text())
    announced = json.loads(Path(sys.argv[2]).read_text())
    print(json.dumps(audit(int(world["brand_id"]), announced)))
