"""The ASGI application: the scan API and the admin API, with health and metrics."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

import admin
import scan_api
from infra.db import get_engine
from infra.errors import catalogue, meaning
from infra.logging import configure_logging, get_logger
from infra.redis import get_redis
from infra.settings import get_settings
from infra.web import TooLargeAsJson, install_error_handlers
from onecode.metrics import MetricsMiddleware, register_backlog
from rewards import recorder

log = get_logger(__name__)

DESCRIPTION = """
onecode puts a unique, sealed code on every bottle, box and case, and pays the people who scan them.

## Who calls what

* **scan** (no credential): the consumer mini-program scans the code under a cap
  (`POST /v1/scan/consumer`); anyone may verify a code (`GET /v1/codes/{code}/verify`), and a
  printed QR leads to `GET /c/{code}`. Codes may be sent as the 19-character code or the whole
  scanned URL; dashes, spaces and case are ignored.
* **field**: store owners and guides. A store signs up once with an invite code
  (`POST /v1/store/register`) and gets a field token; guides and salespeople get theirs from
  the brand's admin. Send `Authorization: Bearer <field token>`.
* **dealer**: PDAs upload cases and pallets scanned in and out (`POST /v1/dealer/uploads`) with
  `Authorization: Bearer <PDA credential>` from the admin.
* **admin**: brand staff; `Authorization: Bearer <token>`
  (`onecode brand token --brand SLUG --user NAME`).

Money is always in integer fen (1 yuan = 100 fen). Times are UTC, ISO 8601.

Every error is `{"error": {"code", "message", "details"}}`; program against `code`, which is
stable, never against `message`. A 503 means nothing was decided: retry after `Retry-After`.
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


def _error_table() -> str:
    rows = [f"| `{cls.code}` | {cls.status} | {meaning(cls)} |" for cls in catalogue()]
    return "\n".join(
        ["## Error codes", "", "| code | HTTP status | meaning |", "|---|---|---|", *rows, ""]
    )


def create_app() -> FastAPI:
    configure_logging()
    app = FastAPI(
        title="onecode",
        version="0.1.0",
        description=DESCRIPTION + "\n" + _error_table(),
        generate_unique_id_function=_operation_id,
        lifespan=_lifespan,
    )
    install_error_handlers(app)
    # FastAPI counts each body as it streams in and stops at the limit, whatever Content-Length
    # says, through the error handlers (PAYLOAD_TOO_LARGE); EPCIS imports set a larger one.
    limit = get_settings().max_body_bytes
    app.include_router(scan_api.router, max_body_size=limit)
    app.include_router(admin.router, max_body_size=limit)
    app.mount("/console", StaticFiles(directory=admin.CONSOLE_DIR, html=True), name="console")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console/")

    app.add_middleware(TooLargeAsJson)
    app.add_middleware(MetricsMiddleware)
    register_backlog()

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
