"""A sandbox payment provider: WeChat Pay's merchant transfer with its published rules, and
faults to order, as a small HTTP service of its own (`onecode sandbox`).

Rules: a bill number is 1 to 32 letters and digits and creates at most one transfer (the
same request again answers the existing bill; other terms under a used number are refused);
0.10 to 200.00 yuan a transfer; a daily limit per user and per merchant; about 100 requests a
second per merchant (429 FREQUENCY_LIMITED beyond); bills move ACCEPTED -> PROCESSING ->
(WAIT_USER_CONFIRM ->) SUCCESS or FAIL as time passes; bills can be queried for 30 days.

When a transfer names a `notify_url`, the sandbox posts the bill's final state there once it
is final, signed (provider.notification_signature), and posts it again until the merchant
answers 2xx (at most four tries), as WeChat does.

Faults (`POST /sandbox/faults`, or ONECODE_SANDBOX_* variables at start): answer 5xx before
doing anything, 5xx after creating the transfer, hang past the client's timeout after creating
it, answer slowly, fail a share of transfers, send each notification more than once, lose some.
`GET /sandbox/stats` counts the notifications. The state is in memory: a restart forgets it.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from payouts.provider import BILL_NO, NOTIFY_EVENT, notification_signature

RETENTION = timedelta(days=30)


class Faults(BaseModel):
    """What the sandbox does wrong, and its limits. Rates are probabilities per request."""

    error_before_rate: float = Field(0.0, ge=0, le=1, description="5xx, nothing created.")
    error_after_rate: float = Field(0.0, ge=0, le=1, description="5xx, transfer created.")
    hang_after_rate: float = Field(0.0, ge=0, le=1, description="Created, then no answer.")
    hang_seconds: float = Field(10.0, ge=0, le=120)
    slow_ms: int = Field(0, ge=0, le=60_000, description="Added to every answer.")
    fail_rate: float = Field(0.0, ge=0, le=1, description="Transfers that end in FAIL.")
    settle_ms: int = Field(0, ge=0, description="From ACCEPTED to a final state.")
    confirm_ms: int = Field(0, ge=0, description="Time waiting for the user to confirm.")
    rate_limit_rps: int = Field(100, ge=0, description="Per merchant; 0 turns it off.")
    min_fen: int = Field(10, ge=1)
    max_fen: int = Field(20_000, ge=1)
    user_daily_fen: int = Field(100_000, ge=1)
    merchant_daily_fen: int = Field(1_000_000_000, ge=1)
    duplicate_callbacks: int = Field(0, ge=0, le=10, description="Extra copies of each notice.")
    callback_drop_rate: float = Field(0.0, ge=0, le=1, description="Notices never sent.")


@dataclass
class _Bill:
    mch_id: str
    out_bill_no: str
    openid: str
    amount: int
    remark: str
    created: float
    transfer_bill_no: str
    fails: bool
    notify_url: str | None = None
    key: str = ""  # the merchant credential the transfer came with: it signs the notices

    def state(self, faults: Faults, now: float) -> str:
        elapsed_ms = (now - self.created) * 1000
        if elapsed_ms < faults.settle_ms / 2:
            return "ACCEPTED"
        if elapsed_ms < faults.settle_ms:
            return "PROCESSING"
        if elapsed_ms < faults.settle_ms + faults.confirm_ms:
            return "WAIT_USER_CONFIRM"
        return "FAIL" if self.fails else "SUCCESS"

    def json(self, faults: Faults, now: float) -> dict[str, Any]:
        state = self.state(faults, now)
        body: dict[str, Any] = {
            "mch_id": self.mch_id,
            "out_bill_no": self.out_bill_no,
            "transfer_bill_no": self.transfer_bill_no,
            "openid": self.openid,
            "transfer_amount": self.amount,
            "transfer_remark": self.remark,
            "state": state,
            "create_time": datetime.fromtimestamp(self.created, UTC).isoformat(),
        }
        if state == "FAIL":
            body["fail_reason"] = "PAYEE_ACCOUNT_ABNORMAL"
        return body


@dataclass
class _Merchant:
    tokens: float = 0.0
    refilled: float = field(default_factory=time.monotonic)
    daily: dict[str, int] = field(default_factory=dict)  # day -> fen


class _Sandbox:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.bills: dict[tuple[str, str], _Bill] = {}
        self.users: dict[tuple[str, str, str], int] = {}  # (mch, openid, day) -> fen
        self.merchants: dict[str, _Merchant] = {}
        self.lock = threading.Lock()
        self.random = random.Random()
        self.notices = {"sent": 0, "acknowledged": 0, "dropped": 0}
        self.tasks: set[asyncio.Task[None]] = set()  # referenced until done

    def admit(self, mch_id: str) -> None:
        """A token bucket per merchant: `rate_limit_rps` a second, bursts of one second."""
        rps = self.faults.rate_limit_rps
        if rps == 0:
            return
        m = self.merchants.setdefault(mch_id, _Merchant(tokens=rps))
        now = time.monotonic()
        m.tokens = min(rps, m.tokens + (now - m.refilled) * rps)
        m.refilled = now
        if m.tokens < 1:
            raise _Refused(429, "FREQUENCY_LIMITED", "too many requests, slow down")
        m.tokens -= 1


class _Refused(Exception):
    """An answer other than 200, in the provider's error format."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _merchant(authorization: str = Header(""), wechatpay_mchid: str = Header("")) -> str:
    """The calling merchant; the sandbox checks that credentials are there, not what they are."""
    if not wechatpay_mchid or not authorization.startswith("Bearer "):
        raise _Refused(401, "SIGN_ERROR", "missing merchant id or credentials")
    return wechatpay_mchid


class TransferIn(BaseModel):
    out_bill_no: str
    openid: str = Field(min_length=1, max_length=64)
    transfer_amount: int
    transfer_remark: str = Field("", max_length=32)
    notify_url: str | None = Field(None, max_length=256)


def _faults_from_env() -> Faults:
    values = {
        name: os.environ[f"ONECODE_SANDBOX_{name.upper()}"]
        for name in Faults.model_fields
        if f"ONECODE_SANDBOX_{name.upper()}" in os.environ
    }
    return Faults.model_validate(values)


def create_app(faults: Faults | None = None) -> FastAPI:
    app = FastAPI(title="onecode payment sandbox", version="1")
    sandbox = _Sandbox(faults or _faults_from_env())
    path = "/v3/fund-app/mch-transfer/transfer-bills"

    @app.exception_handler(_Refused)
    async def _refused(_: Request, exc: _Refused) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status)

    @app.post(path)
    async def transfer(
        body: TransferIn, mch: str = Depends(_merchant), authorization: str = Header("")
    ) -> JSONResponse:
        f = sandbox.faults
        if f.slow_ms:
            await asyncio.sleep(f.slow_ms / 1000)
        with sandbox.lock:
            sandbox.admit(mch)
            if sandbox.random.random() < f.error_before_rate:
                raise _Refused(500, "SYSTEM_ERROR", "injected failure before the transfer")
            known = len(sandbox.bills)
            bill = _create(sandbox, mch, body)
            if len(sandbox.bills) > known and bill.notify_url:
                bill.key = authorization.removeprefix("Bearer ")
                task = asyncio.create_task(_notify(sandbox, bill))
                sandbox.tasks.add(task)
                task.add_done_callback(sandbox.tasks.discard)
            after_error = sandbox.random.random() < f.error_after_rate
            hang = sandbox.random.random() < f.hang_after_rate
        if hang:
            await asyncio.sleep(f.hang_seconds)
        if after_error:
            raise _Refused(502, "SYSTEM_ERROR", "injected failure after the transfer")
        return JSONResponse(bill.json(f, time.time()))

    @app.get(path + "/out-bill-no/{out_bill_no}")
    async def query(out_bill_no: str, mch: str = Depends(_merchant)) -> JSONResponse:
        with sandbox.lock:
            sandbox.admit(mch)
            bill = sandbox.bills.get((mch, out_bill_no))
        if bill is None or time.time() - bill.created > RETENTION.total_seconds():
            raise _Refused(404, "NOT_FOUND", "no such bill")
        return JSONResponse(bill.json(sandbox.faults, time.time()))

    @app.get(path + "/day/{day}")
    async def bills_of_day(day: str, mch: str = Depends(_merchant)) -> JSONResponse:
        now = time.time()
        with sandbox.lock:
            found = [
                b.json(sandbox.faults, now)
                for (m, _), b in sandbox.bills.items()
                if m == mch and datetime.fromtimestamp(b.created, UTC).date().isoformat() == day
            ]
        return JSONResponse({"bills": found})

    @app.get("/sandbox/stats")
    async def stats() -> dict[str, int]:
        """Notifications sent (every try), acknowledged with a 2xx, and dropped by a fault."""
        return dict(sandbox.notices)

    @app.post("/sandbox/faults")
    async def set_faults(faults: Faults) -> Faults:
        sandbox.faults = faults
        return faults

    @app.post("/sandbox/forget")
    async def forget(request: Request) -> dict[str, int]:
        """Drop a bill as if the provider never had it (for reconciliation tests)."""
        body = await request.json()
        with sandbox.lock:
            gone = sandbox.bills.pop((body["mch_id"], body["out_bill_no"]), None)
        return {"forgotten": int(gone is not None)}

    return app


def _create(sandbox: _Sandbox, mch: str, body: TransferIn) -> _Bill:
    """The transfer under `body.out_bill_no`: the existing one, or a new one; or a refusal.
    Called with the lock held."""
    f = sandbox.faults
    if not BILL_NO.match(body.out_bill_no):
        raise _Refused(400, "PARAM_ERROR", "out_bill_no: 1 to 32 letters and digits")
    existing = sandbox.bills.get((mch, body.out_bill_no))
    if existing is not None:
        if (existing.openid, existing.amount) != (body.openid, body.transfer_amount):
            raise _Refused(400, "INVALID_REQUEST", "out_bill_no was used with other terms")
        return existing
    if not f.min_fen <= body.transfer_amount <= f.max_fen:
        raise _Refused(
            400, "PARAM_ERROR", f"transfer_amount must be {f.min_fen} to {f.max_fen} fen"
        )
    now = time.time()
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    m = sandbox.merchants.setdefault(mch, _Merchant(tokens=f.rate_limit_rps))
    user_key = (mch, body.openid, day)
    if sandbox.users.get(user_key, 0) + body.transfer_amount > f.user_daily_fen:
        raise _Refused(403, "QUOTA_EXCEED", "the user's daily limit is reached")
    if m.daily.get(day, 0) + body.transfer_amount > f.merchant_daily_fen:
        raise _Refused(403, "QUOTA_EXCEED", "the merchant's daily limit is reached")
    bill = _Bill(
        mch,
        body.out_bill_no,
        body.openid,
        body.transfer_amount,
        body.transfer_remark,
        now,
        uuid.uuid4().hex,
        sandbox.random.random() < f.fail_rate,
        body.notify_url,
    )
    sandbox.bills[(mch, body.out_bill_no)] = bill
    sandbox.users[user_key] = sandbox.users.get(user_key, 0) + body.transfer_amount
    m.daily[day] = m.daily.get(day, 0) + body.transfer_amount
    return bill


async def _notify(sandbox: _Sandbox, bill: _Bill) -> None:
    """Post the bill's final state to its notify_url once it is final: each copy (one, plus
    `duplicate_callbacks`) until the merchant answers 2xx, at most four tries a copy."""
    f = sandbox.faults
    final_at = bill.created + (f.settle_ms + f.confirm_ms) / 1000
    while time.time() <= final_at:  # the event loop's clock may wake a little early
        await asyncio.sleep(final_at - time.time() + 0.001)
    if sandbox.random.random() < f.callback_drop_rate:
        sandbox.notices["dropped"] += 1
        return
    payload = {
        "id": uuid.uuid4().hex,
        "create_time": datetime.now(UTC).isoformat(),
        "event_type": NOTIFY_EVENT,
        "resource_type": "plain-resource",  # WeChat's is "encrypt-resource"
        "summary": "商家转账单据终态通知",
        "resource": bill.json(f, time.time()),
    }
    body = json.dumps(payload).encode()
    async with httpx.AsyncClient(timeout=5) as client:
        for _copy in range(1 + f.duplicate_callbacks):
            for attempt in range(4):
                timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
                headers = {
                    "Content-Type": "application/json",
                    "Wechatpay-Timestamp": timestamp,
                    "Wechatpay-Nonce": nonce,
                    "Wechatpay-Serial": "SANDBOX",
                    "Wechatpay-Signature": notification_signature(bill.key, timestamp, nonce, body),
                }
                sandbox.notices["sent"] += 1
                try:
                    answer = await client.post(str(bill.notify_url), content=body, headers=headers)
                    if answer.is_success:
                        sandbox.notices["acknowledged"] += 1
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2 * (attempt + 1))


app = create_app()
