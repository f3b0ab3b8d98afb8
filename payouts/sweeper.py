"""What the sweeper does every few seconds beside the workers: send off the small awards that
have reached their payout minimum together (a settle that lost a race, an award released from
review), and enqueue every payout that is due (a job lost with a dead worker or Redis, a bill
to look at again after its back-off)."""

from __future__ import annotations

import threading

from infra.db import session_scope
from infra.logging import get_logger
from payouts import jobs, owing, service

log = get_logger(__name__)


def sweep() -> int:
    """One pass; returns how many payouts were enqueued."""
    with session_scope() as s:
        owing.settle(s, owing.ripe(s), why="sweeper")
    with session_scope() as s:
        ids = service.due(s)
    jobs.enqueue(ids)
    return len(ids)


def sweep_forever(stop: threading.Event, *, interval: float = 5.0) -> None:
    while not stop.wait(interval):
        try:
            sweep()
        except Exception:
            log.exception("payout_sweep_failed")
