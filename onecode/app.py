"""The ASGI application: the scan API and the admin API, with health and metrics."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

import admin
import scan_api
from infra.db import get_engine
from infra.logging import configure_logging, get_logger
from infra.redis import get_redis
from infra.settings import get_settings
from infra.web import install_error_handlers
from onecode.metrics import MetricsMiddleware
from rewards import recorder

log = get_logger(__name__)

DESCRIPTION = """
onecode puts a unique, sealed code on every bottle, box and case, and pays the people who scan them.

* **scan**: public endpoints the mini-program and WeChat scans call.
* **admin**: brand staff endpoints; send `Authorization: Bearer <token>`
  (`onecode brand token --brand SLUG --user NAME`).

Every error is `{"error": {"code", "message", "details"}}`; program against `code`, which is stable.
"""


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    stop = threading.Event()
    thread = None
    if get_settings().recorder_in_api:
        thread = threading.Thread(target=recorder.run, args=(stop,), name="recorder", daemon=True)
        thread.start()
    yield
    stop.set()
    if thread is not None:
        thread.join(timeout=5)


def create_app() -> FastAPI:
    configure_logging()
    app = FastAPI(
        title="onecode",
        version="0.1.0",
        description=DESCRIPTION,
        generate_unique_id_function=_operation_id,
        lifespan=_lifespan,
    )
    install_error_handlers(app)
    app.include_router(scan_api.router)
    app.include_router(admin.router)

    app.add_middleware(MetricsMiddleware)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> JSONResponse:
        """200 when the database and Redis answer, 503 naming what does not."""
        checks = {}
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            get_redis().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
        healthy = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if healthy else "unavailable", **checks},
            status_code=200 if healthy else 503,
        )

    @app.get("/metrics", tags=["ops"], response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
