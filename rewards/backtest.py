"""Back-testing a campaign change before it is published: the campaign's recorded consumer scans
of the last days replayed (rewards/replay.py) through the scan pipeline twice, with the
settings it has and with the proposed ones, each on a throw-away Redis.

A back-test runs as an rq job (`onecode worker`, queue `backtest`) and the job runs it in a
child process: a replay points every Redis call of its process at the throw-away server, which
neither an API process nor a worker paying payouts may do. The proposal is applied in a
transaction that is rolled back, so it is validated as a publish would be and never stored.
"""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import datetime, timedelta
from typing import Any

from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from infra.db import get_sessionmaker, session_scope, utcnow
from infra.errors import NotFound
from infra.redis import get_queue_redis, scratch_redis
from rewards import campaigns, replay, snapshot
from rewards.campaigns import CampaignSpec
from rewards.models import ScanRecord

QUEUE = "backtest"
MAX_SCANS = 20_000  # the latest scans of the period beyond this are left out, and said so
RESULT_TTL = 7 * 86_400


class BacktestNotFound(NotFound):
    """No back-test with this id for the brand (or its result has expired)."""

    code = "BACKTEST_NOT_FOUND"


def recorded(
    brand_id: int, campaign_id: int, since: datetime
) -> list[tuple[int, replay.RecordedScan]]:
    """The campaign's consumer scans since `since`, oldest first, as replay input."""
    with session_scope() as s:
        rows = s.scalars(
            select(ScanRecord)
            .where(
                ScanRecord.brand_id == brand_id,
                ScanRecord.campaign_id == campaign_id,
                ScanRecord.role == "consumer",
                ScanRecord.at >= since,
            )
            .order_by(ScanRecord.at)
            .limit(MAX_SCANS)
        )
        return [
            (
                n,
                replay.RecordedScan(
                    at=r.at,
                    code=r.code,
                    openid=r.openid or "-",
                    device_id=r.device_id,
                    ip=r.ip,
                    latitude=r.latitude,
                    longitude=r.longitude,
                    region_code=r.region_code,
                    user_agent=r.user_agent,
                ),
            )
            for n, r in enumerate(rows, start=1)
        ]


def _summary(scans: list[tuple[int, replay.RecordedScan]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for item in replay.replay(scans):
        summary = item.get("summary", summary)
    return summary


def run(brand_id: int, slug: str, proposal: dict[str, Any], days: int) -> dict[str, Any]:
    """Replay the campaign's last `days` days of scans as it is and as proposed."""
    with session_scope() as s:
        campaign = campaigns.get_campaign(s, brand_id=brand_id, slug=slug)
        campaign_id = campaign.id
    scans = recorded(brand_id, campaign_id, utcnow() - timedelta(days=days))
    snapshot.snapshots.forget()
    current = _summary(scans)
    session = get_sessionmaker()()
    try:  # the proposal, applied and read in a transaction that is never committed
        campaigns.update_campaign(
            session,
            brand_id=brand_id,
            slug=slug,
            spec=CampaignSpec.model_validate(proposal),
            actor="backtest",
        )
        session.flush()
        with scratch_redis():  # the snapshot's version is read from Redis: the replay's one
            proposed_config = snapshot.load(brand_id, session=session)
    finally:
        session.rollback()
        session.close()
    snapshot.snapshots.pin(proposed_config)
    try:
        proposed = _summary(scans)
    finally:
        snapshot.snapshots.forget()
    # The replay reads budgets from the database; the proposal's is not there.
    budget = int(proposal.get("total_budget_fen") or 0)
    proposed["budget_left_fen"] = {slug: budget - int(proposed.get("awarded_fen", 0))}
    return {
        "days": days,
        "scans": len(scans),
        "truncated": len(scans) == MAX_SCANS,
        "current": current,
        "proposed": proposed,
    }


def job(brand_id: int, slug: str, proposal: dict[str, Any], days: int) -> dict[str, Any]:
    """The rq job: `run` in a child process of its own (see the module's docstring)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: dict[str, Any] = pool.apply(run, (brand_id, slug, proposal, days))
    return result


def enqueue(brand_id: int, slug: str, proposal: dict[str, Any], days: int) -> str:
    """Queue a back-test; returns its id."""
    job_id = f"backtest-{brand_id}-{uuid.uuid4().hex}"
    Queue(QUEUE, connection=get_queue_redis()).enqueue(
        job,
        brand_id,
        slug,
        proposal,
        days,
        job_id=job_id,
        result_ttl=RESULT_TTL,
        failure_ttl=RESULT_TTL,
        job_timeout=1800,
    )
    return job_id


def status(brand_id: int, job_id: str) -> dict[str, Any]:
    """A back-test's state (queued, started, finished, failed) and, when finished, its result;
    another brand's id is not found."""
    if not job_id.startswith(f"backtest-{brand_id}-"):
        raise BacktestNotFound(f"no back-test {job_id}", id=job_id)
    try:
        found = Job.fetch(job_id, connection=get_queue_redis())
    except NoSuchJobError:
        raise BacktestNotFound(f"no back-test {job_id}", id=job_id) from None
    state = found.get_status(refresh=True)
    out: dict[str, Any] = {
        "id": job_id,
        "status": state.value if state else "unknown",
        "result": None,
        "error": "",
    }
    if state == JobStatus.FINISHED:
        out["result"] = found.return_value()
    elif state == JobStatus.FAILED:
        last = found.latest_result()
        lines = (last.exc_string or "").strip().splitlines() if last else []
        out["error"] = lines[-1] if lines else "failed"
    return out
