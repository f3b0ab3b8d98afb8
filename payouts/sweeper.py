"""What the sweeper does every few seconds beside the workers: send off the small awards that
have reached their payout minimum together (a settle that lost a race, an award released from
review), enqueue every payout that is due (a job lost with a dead worker or Redis, a bill to
look at again after its back-off), and, once a day, the reconciliation of the day before."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from infra.db import session_scope
from infra.logging import get_logger
from infra.redis import get_redis
from infra.settings import get_settings
from payouts import jobs, owing, service

log = get_logger(__name__)


def sweep() -> int:
    """One pass; returns how many payouts were enqueued."""
    with session_scope() as s:
        owing.settle(s, owing.ripe(s), why="sweeper")
    with session_scope() as s:
        ids = service.take_due(s)
    jobs.enqueue(ids)
    reconcile_yesterday(datetime.now(UTC))
    return len(ids)


def reconcile_yesterday(now: datetime) -> bool:
    """Queue the reconciliation of the UTC day before `now`, once for the whole deployment
    (every worker sweeps; a key set only if absent decides), and not before 01:00, so that the
    day's last bills have settled. Returns whether this call queued it."""
    settings = get_settings()
    if not settings.payout_provider_url or now.hour < 1:
        return False
    day = (now - timedelta(days=1)).date()
    key = f"oc:provider:{settings.payout_mch_id}:reconcile:{day.isoformat()}"
    if not get_redis().set(key, 1, nx=True, ex=3 * 86_400):
        return False
    jobs.enqueue_reconcile(day)
    return True


def sweep_forever(stop: threading.Event, *, interval: float = 5.0) -> None:
    while not stop.wait(interval):
        try:
            sweep()
        except Exception:
            log.exception("payout_sweep_failed")
