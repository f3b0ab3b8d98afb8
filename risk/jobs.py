"""Risk's offline work as rq jobs on the `risk` queue (run by `onecode worker`): training, the
ring-finding graph job and the diversion scan. Each is also a CLI command (`onecode risk …`).
The workers queue the ring and diversion jobs of every brand on a schedule (`enqueue_due`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rq import Queue
from sqlalchemy import select

from brands.models import Brand
from infra.db import session_scope
from infra.logging import get_logger
from infra.redis import brand_key, get_queue_redis, get_redis
from infra.settings import get_settings
from risk import diversion, graph, training

log = get_logger(__name__)

QUEUE = "risk"


def train_job(brand_id: int, seed: int = 0) -> dict[str, Any]:
    with session_scope() as s:
        row = training.train(s, brand_id=brand_id, seed=seed, note="rq job")
        return {"version": row.version, "metrics": row.metrics}


def rings_job(brand_id: int) -> dict[str, Any]:
    with session_scope() as s:
        rings = graph.run(s, brand_id=brand_id, now=datetime.now(UTC))
        return {"rings": len(rings), "accounts": sum(r.size for r in rings)}


def diversion_job(brand_id: int) -> dict[str, Any]:
    with session_scope() as s:
        alerts = diversion.run(s, brand_id=brand_id, now=datetime.now(UTC))
        return {"alerts": len(alerts)}


def enqueue(job: str, brand_id: int) -> str:
    """Queue `train`, `rings` or `diversion` for a brand; the job id."""
    fn = {"train": train_job, "rings": rings_job, "diversion": diversion_job}[job]
    queued = Queue(QUEUE, connection=get_queue_redis()).enqueue(
        fn, brand_id, job_timeout=3600, result_ttl=7 * 86_400
    )
    return str(queued.id)


def enqueue_due(
    now: datetime, *, send: Callable[[str, int], object] = enqueue
) -> list[tuple[str, int]]:
    """Queue each brand's ring job every ONECODE_RISK_RINGS_EVERY_HOURS and its diversion scan
    every ONECODE_RISK_DIVERSION_EVERY_HOURS, once for the whole deployment: every worker calls
    this, and a key set only if absent, one a brand, job and period, decides which queues it.
    Returns what this call queued."""
    settings = get_settings()
    every = {
        "rings": settings.risk_rings_every_hours * 3600,
        "diversion": settings.risk_diversion_every_hours * 3600,
    }
    with session_scope() as s:
        brand_ids = list(s.scalars(select(Brand.id).order_by(Brand.id)))
    client, queued = get_redis(), []
    for job, seconds in every.items():
        if seconds <= 0:
            continue
        period = str(int(now.timestamp() // seconds))
        for brand_id in brand_ids:
            key = brand_key(brand_id, "risk", "scheduled", job, period)
            if client.set(key, 1, nx=True, ex=int(seconds * 2) + 60):
                try:
                    send(job, brand_id)
                except Exception:
                    client.delete(key)  # the queue's Redis failed: the next check tries again
                    raise
                queued.append((job, brand_id))
    return queued


def schedule_forever(stop: threading.Event, *, interval: float = 60.0) -> None:
    """`enqueue_due` every `interval` seconds until `stop` is set (a thread of `onecode worker`)."""
    while not stop.wait(interval):
        try:
            if queued := enqueue_due(datetime.now(UTC)):
                log.info("risk_jobs_queued", jobs=len(queued))
        except Exception:
            log.exception("risk_schedule_failed")
