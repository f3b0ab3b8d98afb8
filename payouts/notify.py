"""The provider's notifications: a bill reached its final state (SUCCESS, FAIL, CANCELLED).

A notification saves the workers a query and the consumer a wait, nothing more: it is verified
(signature, and a timestamp within five minutes, so an old one cannot be replayed), then
applied through the same rules as a worker's own query (service.apply_bill). The provider may
send one several times, or never; the first changes the payout, the others find it final, and
a lost one is made up for by the workers' polling.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from infra.errors import InvalidInput, NotFound, ServiceUnavailable, Unauthorized
from infra.settings import get_settings
from payouts import jobs, service
from payouts.provider import NOTIFY_EVENT, bill_from_notification, notification_signature

MAX_AGE = 300  # seconds a notification's timestamp may be off


class NotificationSignatureInvalid(Unauthorized):
    """The notification's signature or timestamp does not verify: it did not come from the
    provider, or is too old. Nothing was changed."""

    code = "NOTIFY_SIGNATURE_INVALID"


class NotificationMalformed(InvalidInput):
    """The notification is not a bill notification this API understands. Nothing was
    changed."""

    code = "NOTIFY_MALFORMED"


class BillNotFound(NotFound):
    """No payout of ours has this bill number."""

    code = "BILL_NOT_FOUND"


class PayoutBusy(ServiceUnavailable):
    """A worker is settling this payout right now; send the notification again later."""

    code = "PAYOUT_BUSY"


def _verify(headers: Mapping[str, str], body: bytes) -> None:
    timestamp = headers.get("wechatpay-timestamp", "")
    nonce = headers.get("wechatpay-nonce", "")
    signature = headers.get("wechatpay-signature", "")
    if not (timestamp.isdigit() and nonce and signature):
        raise NotificationSignatureInvalid("missing Wechatpay-Timestamp, -Nonce or -Signature")
    if abs(time.time() - int(timestamp)) > MAX_AGE:
        raise NotificationSignatureInvalid("the notification's timestamp is too far off")
    key = get_settings().payout_api_key.get_secret_value()
    if not hmac.compare_digest(signature, notification_signature(key, timestamp, nonce, body)):
        raise NotificationSignatureInvalid("the notification's signature does not verify")


def receive(headers: Mapping[str, str], body: bytes) -> service.Outcome:
    """Verify a notification and apply the bill it carries; returns the payout's outcome.
    `headers` must be case-insensitive as HTTP headers are (Starlette's are)."""
    _verify(headers, body)
    try:
        payload: dict[str, Any] = json.loads(body)
        if payload.get("event_type") != NOTIFY_EVENT:
            raise NotificationMalformed(f"not a {NOTIFY_EVENT} notification")
        bill = bill_from_notification(payload)
    except (ValueError, KeyError, TypeError) as exc:
        raise NotificationMalformed(f"unreadable notification: {exc}") from None
    outcome = service.apply_bill(bill)
    if outcome.state == "missing":
        raise BillNotFound("no payout has this bill number", bill_no=bill.bill_no)
    if outcome.state == "busy":
        raise PayoutBusy("the payout is being settled; retry", bill_no=bill.bill_no)
    if outcome.state == "pending":  # the bill failed: a new bill number goes out now
        jobs.try_enqueue([outcome.payout_id])
    return outcome
