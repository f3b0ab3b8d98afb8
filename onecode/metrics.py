"""Prometheus request metrics, as plain ASGI middleware.

Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs every
request through an extra task and memory streams, which cost about a fifth of a scan's CPU
(py-spy, docs/benchmarks.md). Here the only work is a timer and two metric updates.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from fastapi.routing import APIRoute
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("onecode_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "onecode_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before it answers

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            # The router puts the matched route in the scope: label by its template, so a
            # code in the path does not make a new time series.
            route = scope.get("route")
            name = route.path if isinstance(route, APIRoute) else "unmatched"
            REQUESTS.labels(scope["method"], name, str(status)).inc()
            LATENCY.labels(name).observe(time.perf_counter() - started)


class Backlog(Collector):
    """Work waiting behind the scans, read at each scrape: scans and awards the recorder has not
    written to the database yet (they grow while the database is away; Redis holds them), and
    jobs in each rq queue. A part that cannot be read is left out of the scrape."""

    def __init__(self) -> None:
        self.brand_ids: list[int] = []  # the last list read: kept while the database is away

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import select

        from brands.models import Brand
        from infra.db import session_scope
        from infra.redis import get_queue_redis, get_redis
        from payouts import jobs
        from rewards.claims import events_key

        try:
            with session_scope() as s:
                self.brand_ids = list(s.scalars(select(Brand.id)))
        except Exception:  # noqa: S110 - the last list serves while the database is away
            pass
        unwritten = GaugeMetricFamily(
            "onecode_events_unwritten", "Scans not yet written to the database", labels=["brand"]
        )
        queued = GaugeMetricFamily(
            "onecode_queue_jobs", "Jobs waiting in a queue", labels=["queue"]
        )
        try:
            pipe = get_redis().pipeline(transaction=False)
            for brand_id in self.brand_ids:
                pipe.xlen(events_key(brand_id))
            counts = pipe.execute()
            depths = [get_queue_redis().llen(f"rq:queue:{name}") for name in jobs.QUEUES]
        except Exception:
            return
        for brand_id, n in zip(self.brand_ids, counts, strict=True):
            unwritten.add_metric([str(brand_id)], n)
        for name, n in zip(jobs.QUEUES, depths, strict=True):
            queued.add_metric([name], n)
        yield unwritten
        yield queued


_backlog: Backlog | None = None


def register_backlog() -> None:
    """Once a process (apps are created more than once in tests)."""
    global _backlog
    if _backlog is None:
        _backlog = Backlog()
        REGISTRY.register(_backlog)
