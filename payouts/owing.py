"""Cash the brand now owes someone: its ledger entry, and (unless held for review) the payout
that will settle it, queued for the workers once the caller's transaction commits.

A cash award at or above its payout minimum (the larger of the campaign's `payout_min_fen` and
the provider's smallest transfer) gets a payout of its own. A smaller one waits, as a payout
item without a payout, until the account's waiting awards in that campaign reach the minimum
together; then they go as one transfer, or several if they pass the provider's largest. The
item's primary key is the award's id, so no award rides in two payouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from infra.db import insert_rows
from infra.logging import get_logger
from infra.settings import get_settings
from payouts import jobs, ledger, service
from payouts.models import PayoutItem

log = get_logger(__name__)

# The accounts whose waiting awards may have reached their minimum: (brand, account, campaign).
Pool = tuple[int, str, int | None]
Item = Mapping[str, Any]  # a payout_items row: a dict from `item`, or a row read back


@dataclass(frozen=True)
class Owed:
    award_id: str
    brand_id: int
    at: datetime
    role: str  # consumer, guide or store
    openid: str
    amount_fen: int
    campaign_id: int | None
    region_code: str = ""
    scan_id: str | None = None
    held: bool = False  # risk asked for review: owed, but not paid until staff release it
    owner: str = ""  # the account's id when it is not the openid: a store's id
    min_fen: int = 0  # the campaign's payout minimum

    @property
    def account(self) -> str:
        """Who is owed in the ledger (`<role>:<id>`); the cash goes to `openid`."""
        return f"{self.role}:{self.owner or self.openid}"


def owe(session: Session, owed: list[Owed]) -> list[str]:
    """Post each award to the ledger and send it on its way to a payout; returns the new
    payouts' ids. Posting the same award again changes nothing."""
    ledger.post(
        session,
        [
            ledger.award_entry(
                award_id=o.award_id,
                brand_id=o.brand_id,
                at=o.at,
                account=o.account,
                amount_fen=o.amount_fen,
                campaign_id=o.campaign_id,
                region_code=o.region_code,
                scan_id=o.scan_id,
                held=o.held,
            )
            for o in owed
        ],
    )
    return carry(
        session,
        [
            item(
                award_id=o.award_id,
                brand_id=o.brand_id,
                account=o.account,
                openid=o.openid,
                amount_fen=o.amount_fen,
                campaign_id=o.campaign_id,
                region_code=o.region_code,
                at=o.at,
                min_fen=o.min_fen,
            )
            for o in owed
            if not o.held and o.amount_fen > 0
        ],
    )


def item(
    *,
    award_id: str,
    brand_id: int,
    account: str,
    openid: str,
    amount_fen: int,
    campaign_id: int | None,
    region_code: str,
    at: datetime,
    min_fen: int,
) -> dict[str, Any]:
    """A payout item row: one cash award on its way to `openid`."""
    return {
        "id": award_id,
        "brand_id": brand_id,
        "account": account,
        "openid": openid,
        "amount_fen": amount_fen,
        "campaign_id": campaign_id,
        "region_code": region_code,
        "at": at,
        "min_fen": min_fen,
        "payout_id": None,
    }


def _floor(min_fen: int) -> int:
    return max(min_fen, get_settings().payout_min_fen)


def carry(session: Session, items: list[dict[str, Any]], *, why: str = "") -> list[str]:
    """Give each award (a row from `item`) its payout, or a place among the waiting; awards
    already carried are left as they are. Returns the new payouts' ids, queued for the
    workers once the session commits."""
    known = set(
        session.scalars(select(PayoutItem.id).where(PayoutItem.id.in_([i["id"] for i in items])))
    )
    fresh = list({i["id"]: i for i in items if i["id"] not in known}.values())
    alone = [i for i in fresh if i["amount_fen"] >= _floor(i["min_fen"])]
    for i in alone:
        i["payout_id"] = service.payout_id_for(f"award/{i['id']}")
    created = service.create(session, [_payout_row(i["id"], [i]) for i in alone], why=why)
    insert_rows(session, PayoutItem, fresh)
    pools = {(i["brand_id"], i["account"], i["campaign_id"]) for i in fresh if not i["payout_id"]}
    created += settle(session, pools, why=why)
    jobs.enqueue_after_commit(session, created)
    return created


def _payout_row(cause: str, items: Sequence[Item]) -> dict[str, Any]:
    first = items[0]
    regions = {i["region_code"] for i in items}
    return service.new_payout(
        brand_id=first["brand_id"],
        account=first["account"],
        openid=first["openid"],
        amount_fen=sum(i["amount_fen"] for i in items),
        campaign_id=first["campaign_id"],
        region_code=regions.pop() if len(regions) == 1 else "",
        cause=f"award/{cause}" if len(items) == 1 else f"items/{cause}",
        now=max(i["at"] for i in items),
    )


class _Taken(Exception):
    """Another transaction carried some of these awards first."""


def settle(session: Session, pools: Iterable[Pool], *, why: str = "") -> list[str]:
    """For each pool whose waiting awards reach their minimum, the payouts that carry them
    (as few as the provider's largest transfer allows); returns the new payouts' ids.

    PostgreSQL locks the waiting rows as they are read (FOR UPDATE SKIP LOCKED), so two
    settlers neither take the same award nor wait for each other. Whatever the database, an
    award is given its payout only if it has none yet (`payout_id IS NULL` in the UPDATE); if
    another transaction took one first, this group's payout is rolled back and the rest waits
    for the next pass.
    """
    largest = get_settings().payout_max_fen
    smallest = get_settings().payout_min_fen
    created: list[str] = []
    for brand_id, account, campaign_id in sorted(pools, key=str):
        # Rows as dicts, like the fresh items `carry` builds: one shape for `_payout_row`.
        waiting: list[Item] = [
            dict(row)
            for row in session.execute(
                select(PayoutItem.__table__)
                .where(
                    PayoutItem.payout_id.is_(None),
                    PayoutItem.brand_id == brand_id,
                    PayoutItem.account == account,
                    PayoutItem.campaign_id.is_not_distinct_from(campaign_id),
                )
                .order_by(PayoutItem.at, PayoutItem.id)
                .with_for_update(skip_locked=True)
            ).mappings()
        ]
        if not _ripe(waiting):
            continue
        groups: list[list[Item]] = [[]]
        for i in waiting:
            if _sum(groups[-1]) + i["amount_fen"] > largest:
                groups.append([])
            groups[-1].append(i)
        # Every group but the last is as full as a transfer may be: it goes. The last goes if
        # it reaches the minimum on its own, else it waits for more.
        if not _ripe(groups[-1]):
            groups.pop()
        for group in (g for g in groups if _sum(g) >= smallest):
            created += _carry_together(session, group, why)
    return created


def _sum(items: Sequence[Item]) -> int:
    return sum(i["amount_fen"] for i in items)


def _ripe(items: Sequence[Item]) -> bool:
    """Whether these waiting awards together reach the highest minimum among them."""
    return bool(items) and _sum(items) >= _floor(max(i["min_fen"] for i in items))


def _carry_together(session: Session, group: list[Item], why: str) -> list[str]:
    row = _payout_row(group[0]["id"], group)
    try:
        with session.begin_nested():
            created = service.create(
                session, [row], why=f"{why + ': ' if why else ''}{len(group)} awards together"
            )
            taken = session.scalars(
                update(PayoutItem)
                .where(PayoutItem.id.in_([g["id"] for g in group]), PayoutItem.payout_id.is_(None))
                .values(payout_id=row["id"])
                .returning(PayoutItem.id)
                .execution_options(synchronize_session=False)
            ).all()
            if len(taken) != len(group):
                raise _Taken
    except _Taken:
        log.info("settle_lost_race", payout_id=row["id"], awards=len(group))
        return []
    return created


def ripe(session: Session, *, limit: int = 1000) -> list[Pool]:
    """Pools whose waiting awards have reached their minimum (a settle that lost a race, or an
    award released from review), for the sweeper."""
    total = func.sum(PayoutItem.amount_fen)
    rows = session.execute(
        select(PayoutItem.brand_id, PayoutItem.account, PayoutItem.campaign_id)
        .where(PayoutItem.payout_id.is_(None))
        .group_by(PayoutItem.brand_id, PayoutItem.account, PayoutItem.campaign_id)
        .having(total >= func.max(PayoutItem.min_fen), total >= get_settings().payout_min_fen)
        .limit(limit)
    )
    return [(b, a, c) for b, a, c in rows]


def waiting_fen(session: Session, brand_id: int, account: str) -> int:
    """Won, and waiting for more to reach the payout minimum, in fen."""
    total = session.scalar(
        select(func.coalesce(func.sum(PayoutItem.amount_fen), 0)).where(
            PayoutItem.brand_id == brand_id,
            PayoutItem.account == account,
            PayoutItem.payout_id.is_(None),
        )
    )
    return int(total or 0)
