"""What rq workers run (`onecode worker`), a queue per kind of work: `payouts` pays payouts, a
batch a job; `reconcile` compares a day's payouts with the provider's bills.

rq carries the news that a payout should be looked at; the database holds the truth. A job
lost with a dead worker or a restarted Redis costs nothing but time: the sweeper
(payouts/sweeper.py) finds every payout that is due and enqueues it again, and paying is
idempotent (payouts/service.py).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from functools import lru_cache
from typing import Any

from rq import Queue
from sqlalchemy.orm import Session

from infra.db import after_commit
from infra.logging import get_logger
from infra.redis import get_queue_redis, get_redis
from infra.settings import get_settings
from payouts import reconcile, service
from payouts.provider import HttpProvider, Provider
from payouts.ratelimit import RateLimitedProvider, SharedRate

log = get_logger(__name__)
QUEUE = "payouts"
RECONCILE_QUEUE = "reconcile"
QUEUES = (QUEUE, RECONCILE_QUEUE)


@lru_cache
def provider() -> Provider:
    """The provider from settings, behind the rate every worker of the merchant shares."""
    settings = get_settings()
    if not settings.payout_provider_url:
        raise RuntimeError("ONECODE_PAYOUT_PROVIDER_URL is not set; payouts cannot be sent")
    client = HttpProvider(
        settings.payout_provider_url,
        settings.payout_mch_id,
        settings.payout_api_key.get_secret_value(),
        timeout=settings.payout_timeout,
        notify_url=settings.payout_notify_url,
    )
    if not settings.payout_rate_per_second:
        return client
    # Merchant-wide, not a brand's key: one merchant account pays for every brand here.
    key = f"oc:provider:{settings.payout_mch_id}:rate"
    return RateLimitedProvider(
        client, SharedRate(get_redis(), key, settings.payout_rate_per_second)
    )


def queue() -> Queue:
    return Queue(QUEUE, connection=get_queue_redis())


BATCH = 200  # payouts a job: two transactions for the batch instead of five a payout


def enqueue(payout_ids: list[str]) -> None:
    """Ask the workers to pay these, BATCH to a job. A payout queued twice is looked at twice,
    harmlessly: paying is idempotent."""
    if not payout_ids:
        return
    batches = [payout_ids[i : i + BATCH] for i in range(0, len(payout_ids), BATCH)]
    queue().enqueue_many(
        [
            Queue.prepare_data(
                pay_job, (batch,), job_id=f"pay-{batch[0]}-{len(batch)}", result_ttl=60
            )
            for batch in batches
        ]
    )


def enqueue_after_commit(session: Session, payout_ids: list[str]) -> None:
    """Enqueue once the session commits (a payout a worker cannot see yet would be lost to
    it); if Redis is down then, the sweeper enqueues them later."""
    for payout_id in payout_ids:
        after_commit(session, "enqueue_payouts", payout_id, try_enqueue)


def try_enqueue(payout_ids: list[str]) -> None:
    """Enqueue if this deployment sends payouts; if Redis is down, leave them to the sweeper."""
    if not get_settings().payout_provider_url:
        return
    try:
        enqueue(payout_ids)
    except Exception:  # the sweeper will find them; the commit stands
        log.warning("payout_enqueue_failed", count=len(payout_ids))


def pay_job(payout_ids: list[str]) -> dict[str, int]:
    outcomes = service.pay_many(payout_ids, provider())
    again = [o.payout_id for o in outcomes if o.state == "pending"]
    enqueue(again)  # a new bill number after an explicit failure: go on now
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.state] = counts.get(o.state, 0) + 1
    return counts


def reconcile_job(day: str) -> dict[str, Any]:
    """Reconcile `day` (YYYY-MM-DD, UTC) with the provider: every difference is logged as an
    error for people to look at, and the report is the job's result."""
    report = reconcile.reconcile_day(date.fromisoformat(day), provider())
    for d in report.differences:
        log.error("reconcile_difference", day=day, **asdict(d))
    log.info(
        "reconciled",
        day=day,
        bills_ours=report.bills_ours,
        bills_theirs=report.bills_theirs,
        differences=len(report.differences),
    )
    return report.as_dict()


def enqueue_reconcile(day: date) -> str:
    """Queue the reconciliation of `day` (its job id names the day; that it is queued once a
    day is the sweeper's doing, payouts/sweeper.py)."""
    job = Queue(RECONCILE_QUEUE, connection=get_queue_redis()).enqueue(
        reconcile_job,
        day.isoformat(),
        job_id=f"reconcile-{day.isoformat()}",
        result_ttl=30 * 86_400,  # the report stays readable for a month
        failure_ttl=30 * 86_400,
    )
    return str(job.id)
