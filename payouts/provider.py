"""The payment provider, as onecode sees it: transfer cash to a WeChat user under a merchant
bill number, and query a bill by that number.

Modelled on WeChat Pay's merchant transfer (商家转账, `/v3/fund-app/mch-transfer/...`): the
merchant's bill number (`out_bill_no`, up to 32 letters and digits) makes a retry safe, since
the provider creates at most one transfer per number; bills move through ACCEPTED, PROCESSING,
WAIT_USER_CONFIRM and TRANSFERING to SUCCESS, FAIL or CANCELLED. `HttpProvider` speaks that
API to the sandbox (payouts/sandbox.py) and, with another base URL and credentials, to the real
service; the real one signs each request (WECHATPAY2-SHA256-RSA2048), which plugs in at
`HttpProvider._call`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import urllib3

BILL_NO = re.compile(r"^[A-Za-z0-9]{1,32}$")
FINAL = {"SUCCESS", "FAIL", "CANCELLED"}


@dataclass(frozen=True)
class Bill:
    bill_no: str
    state: str
    openid: str
    amount_fen: int
    created_at: str = ""
    fail_reason: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL


class OutcomeUnknown(Exception):
    """A timeout, a 5xx or a broken connection: the transfer may or may not exist. Query the
    same bill number; never replace it."""


class Rejected(Exception):
    """The provider refused the request: no transfer was created under this bill number."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class RateLimited(Rejected):
    """Too many requests a second for this merchant; nothing was created, try again later."""


class Provider(Protocol):
    def transfer(self, *, bill_no: str, openid: str, amount_fen: int, remark: str) -> Bill: ...

    def query(self, bill_no: str) -> Bill | None: ...

    def bills_of_day(self, day: date) -> list[Bill]: ...


def _bill(data: dict[str, Any]) -> Bill:
    return Bill(
        bill_no=data["out_bill_no"],
        state=data["state"],
        openid=data.get("openid", ""),
        amount_fen=int(data.get("transfer_amount", 0)),
        created_at=data.get("create_time", ""),
        fail_reason=data.get("fail_reason", ""),
    )


class HttpProvider:
    """The merchant-transfer API over HTTP, on one keep-alive connection pool.

    urllib3 rather than httpx: a payout worker is bound by its HTTP client's CPU, and urllib3
    costs about a third of httpx's per request here (docs/benchmarks.md). Retries are off: a
    request that may have arrived is never resent blindly; the payout rules decide (query the
    same bill number, then send it again).
    """

    PATH = "/v3/fund-app/mch-transfer/transfer-bills"

    def __init__(
        self,
        base_url: str,
        mch_id: str,
        api_key: str,
        *,
        timeout: float = 5.0,
        notify_url: str | None = None,
    ):
        self.mch_id = mch_id
        self._notify_url = notify_url
        self._prefix = (urllib3.util.parse_url(base_url).path or "").rstrip("/")
        self._pool = urllib3.connection_from_url(
            base_url, maxsize=4, timeout=urllib3.Timeout(total=timeout), retries=False
        )
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Wechatpay-Mchid": mch_id,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> urllib3.BaseHTTPResponse:
        try:
            response = self._pool.request(
                method,
                self._prefix + path,
                body=json.dumps(body).encode() if body is not None else None,
                headers=self._headers,
            )
        except urllib3.exceptions.HTTPError as exc:  # timeouts, resets, refused connections
            raise OutcomeUnknown(f"{type(exc).__name__} on {method} {path}") from exc
        if response.status >= 500:
            raise OutcomeUnknown(f"HTTP {response.status} on {method} {path}")
        return response

    @staticmethod
    def _refused(response: urllib3.BaseHTTPResponse) -> Rejected:
        try:
            body = json.loads(response.data)
        except ValueError:
            body = {}
        code = str(body.get("code", f"HTTP_{response.status}"))
        cls = RateLimited if response.status == 429 else Rejected
        return cls(code, str(body.get("message", "")), response.status)

    def transfer(self, *, bill_no: str, openid: str, amount_fen: int, remark: str) -> Bill:
        body: dict[str, Any] = {
            "out_bill_no": bill_no,
            "openid": openid,
            "transfer_amount": amount_fen,
            "transfer_remark": remark[:32],
        }
        if self._notify_url:
            body["notify_url"] = self._notify_url
        response = self._call("POST", self.PATH, body)
        if response.status != 200:
            raise self._refused(response)
        return _bill(json.loads(response.data))

    def query(self, bill_no: str) -> Bill | None:
        response = self._call("GET", f"{self.PATH}/out-bill-no/{bill_no}")
        if response.status == 404:
            return None
        if response.status != 200:
            raise self._refused(response)
        return _bill(json.loads(response.data))

    def bills_of_day(self, day: date) -> list[Bill]:
        """Every bill the merchant created on `day` (the provider's daily bill, for
        reconciliation)."""
        response = self._call("GET", f"{self.PATH}/day/{day.isoformat()}")
        if response.status != 200:
            raise self._refused(response)
        return [_bill(b) for b in json.loads(response.data)["bills"]]

    def close(self) -> None:
        self._pool.close()


# Notifications: the provider posts a bill's final state to the merchant's notify_url. WeChat
# signs them with its platform key (RSA) and encrypts the bill (AEAD_AES_256_GCM with the
# merchant's APIv3 key); the sandbox signs with HMAC-SHA256 under the merchant's credential and
# sends the bill in clear. `notification_signature` and `bill_from_notification` are the two
# places the real scheme plugs in; the rest of the path is the same.
NOTIFY_EVENT = "MCHTRANSFER.BILL.FINISHED"


def notification_signature(key: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The signature over a notification, as the `Wechatpay-Signature` header carries it."""
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def bill_from_notification(payload: dict[str, Any]) -> Bill:
    """The bill a (verified) notification carries."""
    return _bill(payload["resource"])
