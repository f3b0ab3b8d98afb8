"""POST /v1/payouts/notify: where the payment provider tells us a bill reached its final state
(its `notify_url`). Verified and applied in payouts/notify.py; any answer but 2xx makes the
provider send it again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from infra.web import error_responses
from payouts import notify

router = APIRouter(tags=["payments"])


class NotifyAck(BaseModel):
    code: str = Field("SUCCESS", description="Always SUCCESS: the notification was taken.")
    payout_state: str = Field(
        description="The payout's state after it: success, failed, pending (a new bill number "
        "goes out), or unchanged.",
        examples=["success"],
    )


@router.post(
    "/v1/payouts/notify",
    responses=error_responses(
        notify.NotificationSignatureInvalid,
        notify.NotificationMalformed,
        notify.BillNotFound,
        notify.PayoutBusy,
    ),
)
async def payout_notify(request: Request) -> NotifyAck:
    """A merchant-transfer bill notification (event MCHTRANSFER.BILL.FINISHED), signed in the
    Wechatpay-Timestamp, -Nonce and -Signature headers. Sending one again is harmless."""
    body = await request.body()
    outcome = await run_in_threadpool(notify.receive, request.headers, body)
    return NotifyAck(payout_state=outcome.state)
