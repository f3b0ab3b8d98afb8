"""POST /v1/scan/consumer: a consumer scans the code under a cap in the mini-program."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from codegen.errors import CodeCheckFailed, CodeNotFound, CodeNotGenuine, MalformedCode
from infra.redis import get_redis
from infra.web import error_responses
from rewards import consumer_scan
from risk import guessing
from risk.guessing import TooManyGuesses
from risk.limits import RateLimited

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "HTTPS://QR.DEMO-BEER.CN/C/2A9Y42AR4WY0HBHE4TS",
                    "openid": "oQm9x5AbCdEfGhIjKlMnOpQrStUv",
                    "device_id": "a1b2c3d4e5f6",
                    "latitude": 23.1291,
                    "longitude": 113.2644,
                    "region_code": "440106",
                }
            ]
        }
    )

    code: str = Field(
        max_length=200,
        description="What the camera read: the whole scanned URL, or the 19-character code "
        "(dashes, spaces and case are ignored).",
        examples=["HTTPS://QR.DEMO-BEER.CN/C/2A9Y42AR4WY0HBHE4TS", "2A9Y-42AR-4WY0-HBHE-4TS"],
    )
    openid: str = Field(
        min_length=1,
        max_length=64,
        description="The consumer's WeChat openid in the brand's mini-program; prizes, limits "
        "and repeat answers are per openid.",
        examples=["oQm9x5AbCdEfGhIjKlMnOpQrStUv"],
    )
    device_id: str = Field(
        "",
        max_length=128,
        description="A stable id of the phone as the mini-program sees it (for risk).",
        examples=["a1b2c3d4e5f6"],
    )
    # strict: JSON true and false are not coordinates (pydantic would read them as 1 and 0)
    latitude: float | None = Field(
        None,
        ge=-90,
        le=90,
        strict=True,
        description="GCJ-02 latitude from wx.getLocation, if granted.",
    )
    longitude: float | None = Field(
        None,
        ge=-180,
        le=180,
        strict=True,
        description="GCJ-02 longitude from wx.getLocation, if granted.",
    )
    region_code: str = Field(
        "",
        max_length=12,
        pattern=r"^[0-9]*$",
        description="Administrative division code of where the scan is (e.g. 440106 for "
        "Tianhe, Guangzhou), if the client knows it. Campaigns limited to regions need it.",
        examples=["440106"],
    )


class VoucherOut(BaseModel):
    product_sku: str = Field(description="The product the voucher buys.", examples=["LAGER-500"])
    pay_fen: int = Field(description="What the consumer pays at the store, in fen.", examples=[100])
    subsidy_fen: int = Field(
        description="What the brand pays the store for it, in fen.", examples=[500]
    )
    valid_days: int = Field(description="Days the voucher stays valid after the scan.")


class PrizeOut(BaseModel):
    tier: str = Field(description="The prize tier's key, e.g. 'cash-888'.", examples=["cash-188"])
    kind: Literal["cash", "points", "voucher"] = Field(
        description="`cash`: a red packet; `points`: loyalty points; `voucher`: an N-yuan "
        "exchange voucher (its id is the answer's `scan_id`)."
    )
    amount_fen: int = Field(description="Red packet amount in fen (cash prizes; else 0).")
    points: int = Field(description="Points won (points prizes; else 0).")
    voucher: VoucherOut | None = Field(None, description="The voucher's terms (voucher prizes).")


class ConsumerScanOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scan_id": "5f0c9d3e8a7b4c21b9e0d6f1a2b3c4d5",
                    "outcome": "won",
                    "genuine": True,
                    "code": "2A9Y42AR4WY0HBHE4TS",
                    "kind": "cap",
                    "prize": {
                        "tier": "cash-188",
                        "kind": "cash",
                        "amount_fen": 188,
                        "points": 0,
                        "voucher": None,
                    },
                    "repeat": False,
                    "first_scan_at": "2026-11-23T04:00:00Z",
                    "held": False,
                },
                {
                    "scan_id": "0d6f1a2b3c4d55f0c9d3e8a7b4c21b9e",
                    "outcome": "already_claimed",
                    "genuine": True,
                    "code": "2A9Y42AR4WY0HBHE4TS",
                    "kind": "cap",
                    "prize": None,
                    "repeat": False,
                    "first_scan_at": "2026-11-23T04:00:00Z",
                    "held": False,
                },
                {
                    "scan_id": "",
                    "outcome": "not_genuine",
                    "genuine": False,
                    "code": "",
                    "kind": "",
                    "prize": None,
                    "repeat": False,
                    "first_scan_at": None,
                    "held": False,
                },
            ]
        }
    )

    scan_id: str = Field(
        description="This scan's id (32 hex characters); a repeat answer carries the first "
        "scan's. For a voucher prize it is also the voucher's id: show it as a QR for the "
        "store to redeem."
    )
    outcome: Outcome = Field(
        description="What happened: `won` (see `prize`), `thanks` (no prize this time), "
        "`already_claimed` (another consumer claimed this cap first; `first_scan_at` says "
        "when), `not_activated`, `voided`, `not_a_cap_code` (an outer or case code: scan the "
        "code under the cap), `no_campaign`, `campaign_not_running`, `campaign_over`, "
        "`region_not_in_campaign`, `limit_reached` (this consumer's wins per day or campaign), "
        "`blocked`, `challenge` (verify the user, then scan again), `not_genuine` (a forgery)."
    )
    genuine: bool = Field(description="The code was sealed by the brand (anti-counterfeit).")
    code: str = Field("", description="The code, normalized (19 characters).")
    kind: str = Field("", description="The code's kind: cap, bottle, box, case or pallet.")
    prize: PrizeOut | None = Field(None, description="What was won (`won` only).")
    repeat: bool = Field(
        False,
        description="The same consumer scanned this code before: the "
        "answer is the first one again, not a second prize.",
    )
    first_scan_at: datetime | None = Field(
        None,
        description="When the code was first claimed (UTC): a genuine cap claimed long ago "
        "by someone else may be a refilled bottle.",
    )
    held: bool = Field(False, description="Won, but the payout waits for review.")


# `async def` on purpose, unlike the endpoints that use the database: the scan's only I/O is one
# Redis round trip, bounded by ONECODE_REDIS_TIMEOUT, so it runs on the event loop. A plain `def`
# would hop to the thread pool and back, which cost more CPU than the scan itself (measured in
# docs/benchmarks.md). The rare database reads (a snapshot reload after a configuration change,
# a key id this process has not seen) hold the loop for a few milliseconds.
@router.post(
    "/v1/scan/consumer",
    response_model=ConsumerScanOut,
    responses=error_responses(
        MalformedCode, CodeCheckFailed, CodeNotFound, RateLimited, TooManyGuesses
    ),
)
async def consumer_scan_endpoint(
    body: ConsumerScanIn,
    request: Request,
    user_agent: Annotated[str, Header()] = "",
) -> Response:
    """Claim the code under a cap and draw its prize, exactly once.

    Outcomes: `won` (with `prize`), `thanks` (no prize this time), `already_claimed` (another
    consumer claimed it first), `not_activated`, `voided`, `not_a_cap_code`, `no_campaign`,
    `campaign_not_running`, `campaign_over`, `region_not_in_campaign`, `limit_reached`,
    `blocked`, `challenge` (verify the user, then scan again) and `not_genuine`.

    An address that sends many codes that are not genuine is refused for a while
    (`TOO_MANY_GUESSES`, 429, with `Retry-After`), and so is an account, device or address
    scanning faster than any person does (`RATE_LIMITED`).
    """
    address = request.client.host if request.client else ""
    guessing.check(address)
    try:
        answer = consumer_scan.scan(
            consumer_scan.ConsumerScan(
                code=body.code,
                openid=body.openid,
                device_id=body.device_id,
                ip=address,
                latitude=body.latitude,
                longitude=body.longitude,
                region_code=body.region_code,
                user_agent=user_agent[:300],
            )
        )
    except CodeNotGenuine:
        guessing.refused(get_redis(), address)
        return _json(ConsumerScanOut(scan_id="", outcome="not_genuine", genuine=False))
    except (CodeCheckFailed, CodeNotFound):
        guessing.refused(get_redis(), address)
        raise
    prize = answer.prize
    return _json(
        ConsumerScanOut(
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
    )


def _json(answer: ConsumerScanOut) -> Response:
    """The answer serialized by pydantic in one step. Returning the model would have FastAPI
    validate it again and encode it twice (to Python, then JSON): about 30 µs of CPU a scan
    (38 µs against 9, measured with timeit)."""
    return Response(answer.model_dump_json(), media_type="application/json")
