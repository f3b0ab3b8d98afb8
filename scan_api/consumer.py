"""POST /v1/scan/consumer: a consumer scans the code under a cap in the mini-program."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from codegen.errors import CodeNotGenuine
from infra.web import ErrorResponse
from rewards import consumer_scan

router = APIRouter(tags=["scan"])

Outcome = Literal[
    "won",
    "thanks",
    "already_claimed",
    "not_activated",
    "voided",
    "not_a_cap_code",
    "no_campaign",
    "campaign_not_running",
    "campaign_over",
    "region_not_in_campaign",
    "limit_reached",
    "blocked",
    "challenge",
    "not_genuine",
]


class ConsumerScanIn(BaseModel):
    code: str = Field(
        max_length=200,
        description="The code, or the whole scanned URL.",
        examples=["HTTPS://QR.DEMO-BEER.CN/C/2A9Y42AR4WY0HBHE4TS"],
    )
    openid: str = Field(min_length=1, max_length=64, description="The consumer's WeChat openid.")
    device_id: str = Field("", max_length=128)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    region_code: str = Field(
        "",
        max_length=12,
        pattern=r"^[0-9]*$",
        description="Administrative code of where the scan is (e.g. 440106), if the client knows.",
    )


class VoucherOut(BaseModel):
    product_sku: str
    pay_fen: int
    subsidy_fen: int
    valid_days: int


class PrizeOut(BaseModel):
    tier: str = Field(description="The prize tier's key, e.g. 'cash-888'.")
    kind: Literal["cash", "points", "voucher"]
    amount_fen: int = Field(description="Red packet amount in fen (cash prizes).")
    points: int
    voucher: VoucherOut | None = None


class ConsumerScanOut(BaseModel):
    scan_id: str
    outcome: Outcome = Field(description="What happened; see the list of outcomes in the docs.")
    genuine: bool
    code: str = ""
    kind: str = ""
    prize: PrizeOut | None = None
    repeat: bool = Field(
        False,
        description="The same consumer scanned this code before: the "
        "answer is the first one again, not a second prize.",
    )
    first_scan_at: datetime | None = Field(None, description="When the code was first claimed.")
    held: bool = Field(False, description="Won, but the payout waits for review.")


@router.post(
    "/v1/scan/consumer",
    responses={
        422: {
            "model": ErrorResponse,
            "description": "CODE_MALFORMED, CODE_CHECK_FAILED or INVALID_REQUEST.",
        },
        404: {"model": ErrorResponse, "description": "CODE_NOT_FOUND."},
    },
)
# `async def` on purpose, unlike the endpoints that use the database: the scan's only I/O is one
# Redis round trip, bounded by ONECODE_REDIS_TIMEOUT, so it runs on the event loop. A plain `def`
# would hop to the thread pool and back, which cost more CPU than the scan itself (measured in
# docs/benchmarks.md). The rare database reads (a snapshot reload after a configuration change,
# a key id this process has not seen) hold the loop for a few milliseconds.
async def consumer_scan_endpoint(
    body: ConsumerScanIn,
    request: Request,
    user_agent: Annotated[str, Header()] = "",
) -> ConsumerScanOut:
    """Claim the code under a cap and draw its prize, exactly once.

    Outcomes: `won` (with `prize`), `thanks` (no prize this time), `already_claimed` (another
    consumer claimed it first), `not_activated`, `voided`, `not_a_cap_code`, `no_campaign`,
    `campaign_not_running`, `campaign_over`, `region_not_in_campaign`, `limit_reached`,
    `blocked`, `challenge` (verify the user, then scan again) and `not_genuine`.
    """
    try:
        answer = consumer_scan.scan(
            consumer_scan.ConsumerScan(
                code=body.code,
                openid=body.openid,
                device_id=body.device_id,
                ip=request.client.host if request.client else "",
                latitude=body.latitude,
                longitude=body.longitude,
                region_code=body.region_code,
                user_agent=user_agent[:300],
            )
        )
    except CodeNotGenuine:
        return ConsumerScanOut(scan_id="", outcome="not_genuine", genuine=False)
    prize = answer.prize
    return ConsumerScanOut(
        scan_id=answer.scan_id,
        outcome=answer.outcome,
        genuine=True,
        code=answer.code,
        kind=answer.kind,
        prize=PrizeOut.model_validate(asdict(prize)) if prize else None,
        repeat=answer.repeat,
        first_scan_at=answer.first_scan_at,
        held=answer.held,
    )
