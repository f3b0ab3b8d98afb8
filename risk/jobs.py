"""Risk's offline work as rq jobs on the `risk` queue (run by `onecode worker`): training, the
ring-finding graph job and the diversion scan. Each is also a CLI command (`onecode risk …`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rq import Queue

from infra.db import session_scope
from infra.redis import get_queue_redis
from risk import diversion, graph, training

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
