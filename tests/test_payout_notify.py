"""The provider's notifications: a bill's final state, posted to /v1/payouts/notify by the
sandbox running as its own process, applied once however many copies arrive; forged, stale or
malformed ones refused with a stable code and no change."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from infra.db import session_scope
from infra.settings import get_settings
from payouts import ledger, service
from payouts.models import LedgerEntry, Payout, PayoutEvent
from payouts.owing import Owed, owe
from payouts.provider import NOTIFY_EVENT, HttpProvider, notification_signature
from tests.conftest import MCH, BrandCtx

KEY = get_settings().payout_api_key.get_secret_value()  # what signs and verifies notices


def _owed(brand: BrandCtx, openid: str, amount: int = 188) -> str:
    with session_scope() as s:
        (payout_id,) = owe(
            s,
            [Owed(uuid.uuid4().hex, brand.id, datetime.now(UTC), "consumer", openid, amount, 3)],
        )
    return payout_id


def _payout(payout_id: str) -> Payout:
    with session_scope() as s:
        return s.get_one(Payout, payout_id)


def _until(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _states(payout_id: str) -> list[str]:
    with session_scope() as s:
        return list(
            s.scalars(
                select(PayoutEvent.state)
                .where(PayoutEvent.payout_id == payout_id)
                .order_by(PayoutEvent.id)
            )
        )


def test_a_notified_bill_settles_its_payout_once_however_often_it_comes(
    brand: BrandCtx, sandbox: Any, api_url: str
) -> None:
    sandbox.faults(rate_limit_rps=0, settle_ms=300, duplicate_callbacks=3)
    before = httpx.get(f"{sandbox.url}/sandbox/stats").json()
    payout_id = _owed(brand, "nina")
    provider = HttpProvider(sandbox.url, MCH, KEY, notify_url=f"{api_url}/v1/payouts/notify")
    assert service.pay(payout_id, provider).state == "accepted"  # not final yet

    # No worker looks again: the notification alone brings the payout to success.
    assert _until(lambda: _payout(payout_id).state == "success")
    assert _until(
        lambda: (
            httpx.get(f"{sandbox.url}/sandbox/stats").json()["acknowledged"]
            >= before["acknowledged"] + 4
        )
    )
    after = httpx.get(f"{sandbox.url}/sandbox/stats").json()
    assert after["sent"] - before["sent"] == 4  # four copies, each taken at the first try
    assert _states(payout_id).count("success") == 1
    with session_scope() as s:
        debits = s.scalar(
            select(func.count()).where(
                LedgerEntry.payout_id == payout_id, LedgerEntry.kind == "payout"
            )
        )
        assert debits == 1
        assert ledger.balance(s, brand.id, "consumer:nina") == 0


def test_a_notified_failure_moves_the_payout_to_a_new_bill_number(
    brand: BrandCtx, sandbox: Any, api_url: str
) -> None:
    sandbox.faults(rate_limit_rps=0, settle_ms=200, fail_rate=1)
    payout_id = _owed(brand, "omar")
    first = _payout(payout_id).bill_no
    provider = HttpProvider(sandbox.url, MCH, KEY, notify_url=f"{api_url}/v1/payouts/notify")
    service.pay(payout_id, provider)
    assert _until(lambda: _payout(payout_id).bills == 2)
    p = _payout(payout_id)
    assert (p.state, p.reason) == ("pending", "FAIL: PAYEE_ACCOUNT_ABNORMAL")
    assert p.bill_no != first


def _notice(bill_no: str, amount: int, openid: str, state: str = "SUCCESS") -> bytes:
    resource = {
        "out_bill_no": bill_no,
        "transfer_bill_no": uuid.uuid4().hex,
        "openid": openid,
        "transfer_amount": amount,
        "state": state,
        "create_time": datetime.now(UTC).isoformat(),
    }
    return json.dumps({"id": "n1", "event_type": NOTIFY_EVENT, "resource": resource}).encode()


def _signed(body: bytes, *, key: str = KEY, age: int = 0) -> dict[str, str]:
    timestamp, nonce = str(int(time.time()) - age), uuid.uuid4().hex
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": notification_signature(key, timestamp, nonce, body),
    }


def test_forged_stale_or_malformed_notifications_change_nothing(
    client: TestClient, brand: BrandCtx
) -> None:
    payout_id = _owed(brand, "pia", 300)
    number = _payout(payout_id).bill_no
    good = _notice(number, 300, "pia")
    url = "/v1/payouts/notify"
    refused = {
        "unsigned": client.post(url, content=good),
        "forged": client.post(url, content=good, headers=_signed(good, key="guess")),
        "replayed": client.post(url, content=good, headers=_signed(good, age=600)),
        "tampered": client.post(url, content=good.replace(b"300", b"900"), headers=_signed(good)),
        "not json": client.post(url, content=b"{oops", headers=_signed(b"{oops")),
        "unknown bill": client.post(
            url, content=(other := _notice("X" * 32, 300, "pia")), headers=_signed(other)
        ),
    }
    codes = {name: (r.status_code, r.json()["error"]["code"]) for name, r in refused.items()}
    assert codes == {
        "unsigned": (401, "NOTIFY_SIGNATURE_INVALID"),
        "forged": (401, "NOTIFY_SIGNATURE_INVALID"),
        "replayed": (401, "NOTIFY_SIGNATURE_INVALID"),
        "tampered": (401, "NOTIFY_SIGNATURE_INVALID"),
        "not json": (422, "NOTIFY_MALFORMED"),
        "unknown bill": (404, "BILL_NOT_FOUND"),
    }
    # Signed, but not what we sent: recorded in the trace, not applied.
    odd = _notice(number, 299, "pia")
    assert client.post(url, content=odd, headers=_signed(odd)).status_code == 200
    assert _payout(payout_id).state == "pending"
    assert _states(payout_id) == ["pending", "pending"]

    taken = client.post(url, content=good, headers=_signed(good))
    assert taken.json() == {"code": "SUCCESS", "payout_state": "success"}
    again = client.post(url, content=good, headers=_signed(good))
    assert again.json() == {"code": "SUCCESS", "payout_state": "success"}
    assert _states(payout_id).count("success") == 1


def test_a_notification_while_a_worker_holds_the_payout_is_asked_again(
    client: TestClient, brand: BrandCtx
) -> None:
    payout_id = _owed(brand, "quin", 200)
    with session_scope() as s:
        s.execute(
            update(Payout)
            .where(Payout.id == payout_id)
            .values(lease_until=datetime.now(UTC) + timedelta(seconds=60))
        )
    body = _notice(_payout(payout_id).bill_no, 200, "quin")
    busy = client.post("/v1/payouts/notify", content=body, headers=_signed(body))
    assert (busy.status_code, busy.json()["error"]["code"]) == (503, "PAYOUT_BUSY")
    assert _payout(payout_id).state == "pending"
    with session_scope() as s:
        s.execute(update(Payout).where(Payout.id == payout_id).values(lease_until=None))
    later = client.post("/v1/payouts/notify", content=body, headers=_signed(body))
    assert later.json()["payout_state"] == "success"
