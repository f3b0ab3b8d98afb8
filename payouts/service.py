"""Payouts: cash owed to a WeChat user, sent through the provider exactly once.

The rules that make it exactly once:

- A payout's bill number is fixed before anything is sent, and is stored with the state
  `sending` in its own transaction before the provider is called. The provider creates at
  most one transfer per number, so sending the same number again is always safe.
- When the provider's answer is unknown (a timeout, a 5xx, a dropped connection), the bill is
  queried by that same number; if the provider has it, its state is taken; if not, the same
  number is sent again. A new number is used only after the provider explicitly failed or
  cancelled the bill (state FAIL or CANCELLED), up to MAX_BILLS numbers.
- One worker at a time holds a payout (a lease in the database, taken by a conditional
  UPDATE); another worker running the same job finds it held and leaves it.
- A payout whose worker died keeps its state and lease expiry; the sweeper enqueues it again
  once it is due, and the rules above pick up where it stopped.
- The ledger is debited once, when the provider says SUCCESS: an entry per award the payout
  carried, each with an id derived from the payout and the award.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from infra import tallies
from infra.db import insert_new, insert_rows, session_scope
from infra.errors import Conflict, NotFound
from infra.logging import get_logger
from infra.settings import get_settings
from payouts import ledger
from payouts.models import Payout, PayoutEvent, PayoutItem, PayoutTally
from payouts.provider import Bill, OutcomeUnknown, Provider, RateLimited, Rejected

log = get_logger(__name__)

MAX_BILLS = 3  # bill numbers a payout may use: the first, and one after each explicit failure
# How long a payout may go without any answer from the provider (timeouts, 5xx) before it is
# `failed` for a person to look at. Its bill number stays: a retry by staff is as safe as ever.
GIVE_UP = timedelta(hours=6)
FINAL = ("success", "failed", "cancelled")
_PROVIDER_STATE = {
    "ACCEPTED": "accepted",
    "PROCESSING": "processing",
    "WAIT_USER_CONFIRM": "wait_user_confirm",
    "TRANSFERING": "processing",
    "CANCELING": "processing",
}


def bill_no(payout_id: str, n: int) -> str:
    """The n-th bill number of a payout: 28 hex characters of its id and a 4-digit counter.
    Derived, not drawn, so a worker that dies before saving a new number finds the same one."""
    return f"{payout_id[:28]}{n:04d}"


def payout_id_for(cause: str) -> str:
    """A payout's id from what caused it (`award/<award id>`): one payout per award."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"onecode-payout/{cause}").hex


def new_payout(
    *,
    brand_id: int,
    account: str,
    openid: str,
    amount_fen: int,
    campaign_id: int | None,
    region_code: str,
    cause: str,
    now: datetime,
) -> dict[str, Any]:
    """A payout row for `payouts` (bulk insert); its id is derived from what caused it."""
    payout_id = payout_id_for(cause)
    return {
        "id": payout_id,
        "brand_id": brand_id,
        "account": account,
        "openid": openid,
        "amount_fen": amount_fen,
        "campaign_id": campaign_id,
        "region_code": region_code,
        "state": "pending",
        "bill_no": bill_no(payout_id, 1),
        "bills": 1,
        "tries": 0,
        "reason": "",
        "created_at": now,
        "updated_at": now,
        "due_at": now,
    }


def create(session: Session, rows: list[dict[str, Any]], *, why: str = "") -> list[str]:
    """Insert payouts not already there, each with its first trace line (what is owed, and
    `why` if given); returns the ids of the new ones."""
    fresh = insert_new(session, Payout, rows)
    for r in fresh:
        _tally(session, r["brand_id"], r["campaign_id"], "pending", r["amount_fen"])
    if fresh:
        insert_rows(
            session,
            PayoutEvent,
            [
                {
                    "brand_id": r["brand_id"],
                    "payout_id": r["id"],
                    "at": r["created_at"],
                    "bill_no": r["bill_no"],
                    "state": "pending",
                    "detail": f"{why + ': ' if why else ''}{r['amount_fen']} fen owed",
                }
                for r in fresh
            ],
        )
    return [r["id"] for r in fresh]


@dataclass(frozen=True)
class Outcome:
    payout_id: str
    state: str  # the payout's state after this attempt, or "busy" if another worker has it
    due_at: datetime | None = None  # when to look again, for a state that is not final
    paid_now: bool = False  # this attempt saw it succeed


def _now() -> datetime:
    return datetime.now(UTC)


def _trace(s: Session, p: Payout, now: datetime, detail: str = "") -> None:
    """Note the payout's state now, and why, in its trace."""
    s.add(
        PayoutEvent(
            brand_id=p.brand_id,
            payout_id=p.id,
            at=now,
            bill_no=p.bill_no,
            state=p.state,
            detail=detail[:300],
        )
    )


def _move(
    s: Session, p: Payout, state: str, now: datetime, detail: str = "", **values: Any
) -> None:
    """Change a payout's state, with its trace and the dashboard's tally."""
    if state != p.state:
        _tally(s, p.brand_id, p.campaign_id, p.state, -p.amount_fen, -1)
        _tally(s, p.brand_id, p.campaign_id, state, p.amount_fen)
    p.state = state
    p.updated_at = now
    for name, value in values.items():
        setattr(p, name, value)
    _trace(s, p, now, detail)


def _tally(
    s: Session, brand_id: int, campaign_id: int | None, state: str, fen: int, n: int = 1
) -> None:
    key = {"brand_id": brand_id, "campaign_id": campaign_id or 0, "state": state}
    tallies.add(s, PayoutTally, key, payouts=n, amount_fen=fen)


def _backoff(tries: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** min(tries, 8)))


def pay(payout_id: str, provider: Provider, *, now: datetime | None = None) -> Outcome:
    """One attempt to move a payout forward: send it, or learn what became of it."""
    return pay_many([payout_id], provider, now=now)[0]


@dataclass(frozen=True)
class _Work:
    payout_id: str
    state: str
    bill_no: str
    openid: str
    amount_fen: int


def pay_many(
    payout_ids: list[str], provider: Provider, *, now: datetime | None = None
) -> list[Outcome]:
    """One attempt for each payout, in three steps: take the free ones and mark them `sending`
    (one transaction, committed before the provider hears of them), ask the provider about
    each, record every answer (one transaction). Two transactions a batch, not five a payout.

    A batch that outlives its lease (a provider answering very slowly) may be taken by another
    worker too: both then send the same bill numbers, which the provider answers with the one
    transfer, and whoever records second finds the payout final and records nothing.
    """
    started = now or _now()
    with session_scope() as s:
        taken = _take(s, payout_ids, started)
        work = []
        others = {}
        for p in s.scalars(select(Payout).where(Payout.id.in_(payout_ids))):
            if p.id not in taken:  # another worker has it, or it is final
                others[p.id] = "busy" if p.state not in FINAL else p.state
                continue
            if p.state == "pending":
                _move(s, p, "sending", started)
            work.append(_Work(p.id, p.state, p.bill_no, p.openid, p.amount_fen))
    answers: dict[str, Bill | Exception] = {}
    for w in work:
        try:
            answers[w.payout_id] = _learn(provider, w.state, w.bill_no, w.openid, w.amount_fen)
        except (OutcomeUnknown, Rejected) as exc:  # RateLimited is a Rejected
            answers[w.payout_id] = exc
        except Exception as exc:
            # Anything else on the way (Redis gone from under the shared rate, a bug): treat it
            # as no answer, so the same bill number is asked about again after the back-off and
            # the batch's leases are released now, not after they run out.
            log.warning("payout_call_failed", payout_id=w.payout_id, error=repr(exc)[:200])
            answers[w.payout_id] = OutcomeUnknown(repr(exc)[:200])
    outcomes = {pid: Outcome(pid, state) for pid, state in others.items()}
    answered = now or _now()  # when each was paid, and from when to look again
    with session_scope() as s:
        payouts = {p.id: p for p in s.scalars(select(Payout).where(Payout.id.in_(taken)))}
        for w in work:
            outcomes[w.payout_id] = _record(
                s, payouts[w.payout_id], w, answers[w.payout_id], answered
            )
        _debit(s, [payouts[pid] for pid, o in outcomes.items() if o.paid_now], answered)
        s.execute(update(Payout).where(Payout.id.in_(taken)).values(lease_until=None))
    return [outcomes.get(pid, Outcome(pid, "missing")) for pid in payout_ids]


def _take(s: Session, payout_ids: list[str], now: datetime) -> set[str]:
    """Lease the payouts that are not final and that no one holds; returns their ids."""
    return set(
        s.scalars(
            update(Payout)
            .where(
                Payout.id.in_(payout_ids),
                Payout.state.not_in(FINAL),
                or_(Payout.lease_until.is_(None), Payout.lease_until < now),
            )
            .values(lease_until=now + timedelta(seconds=get_settings().payout_lease_seconds))
            .returning(Payout.id)
        )
    )


def apply_bill(bill: Bill, *, now: datetime | None = None) -> Outcome:
    """A bill the provider told us about unasked (a notification), applied as a worker applies
    the answer to its own query, under the payout's lease. The outcome's state is "missing"
    for a bill number we never used, "busy" if a worker holds the payout (tell us again
    later); a bill number the payout has moved on from, or a bill that does not match the
    payout, changes nothing."""
    now = now or _now()
    with session_scope() as s:
        payout_id = s.scalar(select(Payout.id).where(Payout.bill_no == bill.bill_no))
        if payout_id is None:
            earlier = s.scalar(
                select(PayoutEvent.payout_id).where(PayoutEvent.bill_no == bill.bill_no).limit(1)
            )
            return Outcome(earlier or "", "superseded" if earlier else "missing")
        taken = _take(s, [payout_id], now)
        p = s.get_one(Payout, payout_id)
        if not taken:
            return Outcome(p.id, p.state if p.state in FINAL else "busy")
        p.lease_until = None
        if (bill.openid, bill.amount_fen) != (p.openid, p.amount_fen):
            _trace(s, p, now, f"notified bill differs: {bill.openid} {bill.amount_fen} fen")
            log.error("notified_bill_differs", payout_id=p.id, bill_no=bill.bill_no)
            return Outcome(p.id, p.state)
        outcome = _apply(s, p, p.bill_no, bill, now)
        _debit(s, [p] if outcome.paid_now else [], now)
        return outcome


def _record(s: Session, p: Payout, w: _Work, answer: Bill | Exception, now: datetime) -> Outcome:
    if isinstance(answer, OutcomeUnknown | RateLimited):
        why = f"{type(answer).__name__}: {answer}"
        if isinstance(answer, OutcomeUnknown):
            p.unknown_since = p.unknown_since or now
            if now - p.unknown_since >= GIVE_UP:
                reason = f"no answer from the provider since {p.unknown_since:%Y-%m-%d %H:%M}Z"
                _move(s, p, "failed", now, why, reason=f"{reason}; {why}"[:200])
                log.warning("payout_gave_up", payout_id=p.id, since=p.unknown_since.isoformat())
                return Outcome(p.id, "failed")
        p.tries += 1
        p.due_at = now + _backoff(p.tries)
        p.reason = why[:200]
        _trace(s, p, now, why)
        return Outcome(p.id, p.state, p.due_at)
    p.unknown_since = None  # the provider answered
    if isinstance(answer, Rejected):
        # The provider refused the request itself (amount, limits, account): no transfer
        # exists, and the same request would be refused again. Visible, owed, not lost.
        _move(s, p, "failed", now, answer.code, reason=f"{answer.code}: {answer.message}"[:200])
        log.warning("payout_refused", payout_id=p.id, code=answer.code)
        return Outcome(p.id, "failed")
    assert isinstance(answer, Bill)
    return _apply(s, p, w.bill_no, answer, now)


def _learn(provider: Provider, state: str, number: str, openid: str, amount: int) -> Bill:
    """The provider's bill for `number`, sending it first if it may never have arrived."""
    if state != "sending":
        found = provider.query(number)
        if found is not None:
            return found
        # An accepted bill the provider no longer knows: the same number again is safe.
    try:
        return provider.transfer(bill_no=number, openid=openid, amount_fen=amount, remark="红包")
    except OutcomeUnknown:
        found = provider.query(number)  # did it arrive after all?
        if found is None:
            raise
        return found


def _apply(s: Session, p: Payout, number: str, bill: Bill, now: datetime) -> Outcome:
    """Take the provider's word on `number`, the payout's current bill. A payout it completes
    still needs its debits (`_debit`), posted once for a whole batch."""
    if p.bill_no != number or p.state in FINAL:  # moved on meanwhile; nothing to do
        return Outcome(p.id, p.state)
    if bill.state == "SUCCESS":
        _move(s, p, "success", now, paid_at=now, reason="")
        return Outcome(p.id, "success", paid_now=True)
    if bill.state in ("FAIL", "CANCELLED"):
        reason = f"{bill.state}: {bill.fail_reason}"[:200]
        if p.bills >= MAX_BILLS:
            _move(s, p, "failed", now, reason, reason=reason)
            log.warning("payout_failed", payout_id=p.id, reason=reason)
            return Outcome(p.id, "failed")
        # An explicit failure: only now may a new bill number be used.
        _move(s, p, "pending", now, reason, reason=reason)
        p.bills += 1
        p.bill_no = bill_no(p.id, p.bills)
        p.due_at = now
        return Outcome(p.id, "pending", now)
    state = _PROVIDER_STATE.get(bill.state, "processing")
    due = now + _backoff(p.tries)
    if state != p.state:
        _move(s, p, state, now, bill.state)
    p.tries += 1
    p.due_at = due
    return Outcome(p.id, state, due)


def _debit(s: Session, paid: list[Payout], now: datetime) -> None:
    """The ledger's debits for payouts just completed: one per award each carried, so that what
    was paid is exact per award, region and campaign even when a payout gathered several small
    prizes."""
    if not paid:
        return
    by_id = {p.id: p for p in paid}
    carried = s.scalars(select(PayoutItem).where(PayoutItem.payout_id.in_(by_id)))
    ledger.post(
        s,
        [
            ledger.payout_entry(
                payout_id=str(i.payout_id),
                award_id=i.id,
                brand_id=i.brand_id,
                at=now,
                account=i.account,
                amount_fen=i.amount_fen,
                campaign_id=i.campaign_id,
                region_code=i.region_code,
                bill_no=by_id[str(i.payout_id)].bill_no,
            )
            for i in carried
        ],
    )


class PayoutNotFound(NotFound):
    """No payout with this id in the brand."""

    code = "PAYOUT_NOT_FOUND"


class PayoutNotFailed(Conflict):
    """Only a failed payout can be sent again; this one is on its way or paid."""

    code = "PAYOUT_NOT_FAILED"


def retry(session: Session, *, brand_id: int, payout_id: str, actor: str) -> Payout:
    """Staff send a failed payout again (the caller queues it once the session commits).
    After an explicit failure of its bill (FAIL, CANCELLED) it gets a new bill number; after a
    refusal or no answer it keeps its number, which the provider either has (and the query
    finds it) or never created."""
    p = session.get(Payout, payout_id)
    if p is None or p.brand_id != brand_id:
        raise PayoutNotFound("no such payout", payout_id=payout_id)
    if p.state != "failed":
        raise PayoutNotFailed(f"the payout is {p.state}, not failed", state=p.state)
    now = _now()
    explicit = p.reason.startswith(("FAIL: ", "CANCELLED: "))  # as _apply writes them
    if explicit:
        p.bills += 1
        p.bill_no = bill_no(p.id, p.bills)
    detail = f"retried by {actor}" + (", new bill number" if explicit else "")
    _move(session, p, "pending", now, detail, tries=0, unknown_since=None, due_at=now, reason="")
    return p


def _is_due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Payout.state.not_in(FINAL),
        Payout.due_at <= now,
        or_(Payout.lease_until.is_(None), Payout.lease_until < now),
    )


def due(session: Session, *, now: datetime | None = None, limit: int = 1000) -> list[str]:
    """Payouts that should be looked at now: not final, due, and held by no worker."""
    now = now or _now()
    return list(
        session.scalars(select(Payout.id).where(_is_due(now)).order_by(Payout.due_at).limit(limit))
    )


SWEEP_HOLD = timedelta(seconds=60)


def take_due(session: Session, *, now: datetime | None = None, limit: int = 1000) -> list[str]:
    """The due payouts, pushed `SWEEP_HOLD` into the future as they are taken: the sweeper
    queues each at most once a hold, however far behind the workers are (re-queued every sweep,
    a backlog of payouts became an ever longer queue of duplicate jobs). Paying sets a payout's
    next look again; a job lost with its worker is found after the hold."""
    now = now or _now()
    taken = select(Payout.id).where(_is_due(now)).order_by(Payout.due_at).limit(limit)
    return list(
        session.scalars(
            update(Payout)
            # due_at again: of two sweepers racing for a row, the one that waited on its lock
            # sees the pushed due_at and leaves it
            .where(Payout.id.in_(taken.scalar_subquery()), Payout.due_at <= now)
            .values(due_at=now + SWEEP_HOLD)
            .returning(Payout.id)
        )
    )
