"""Replay recorded scans through the consumer-scan pipeline, on scratch state.

Input: JSON Lines, one scan a line (docs/replay.md): `at` (ISO 8601 with offset, or epoch
milliseconds), `code`, `openid`, and optionally `device_id`, `ip`, `latitude`, `longitude`,
`region_code`, `user_agent`. Scans run in time order, each at its own time, through
`rewards.consumer_scan.scan` against a throw-away Redis: campaigns, budgets and codes come from
the database as they are now, and nothing real is claimed or spent. Output: one decision a line,
and a summary of money by tier and region and budget left per campaign.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select

from infra.db import session_scope
from infra.errors import InvalidInput, OnecodeError
from infra.redis import scratch_redis
from rewards import consumer_scan
from rewards.consumer_scan import ConsumerScan
from rewards.models import Campaign


class RecordedScan(BaseModel):
    model_config = ConfigDict(extra="ignore")
    at: datetime
    code: str = Field(max_length=200)
    openid: str = Field(min_length=1, max_length=64)
    device_id: str = ""
    ip: str = ""
    latitude: float | None = None
    longitude: float | None = None
    region_code: str = ""
    user_agent: str = ""

    @field_validator("at", mode="before")
    @classmethod
    def _epoch_ms(cls, value: Any) -> Any:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value / 1000, UTC)
        return value

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("`at` needs a time zone offset")
        return value


@dataclass
class Summary:
    scans: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    fen_by_tier: Counter[str] = field(default_factory=Counter)
    fen_by_region: Counter[str] = field(default_factory=Counter)
    budget_left_fen: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scans": self.scans,
            "outcomes": dict(self.outcomes),
            "awarded_fen": sum(self.fen_by_tier.values()),
            "awarded_fen_by_tier": dict(self.fen_by_tier),
            "awarded_fen_by_region": dict(self.fen_by_region),
            "budget_left_fen": self.budget_left_fen,
        }


def read(lines: Iterable[str]) -> list[tuple[int, RecordedScan]]:
    """Parse and sort by time; a bad line is an error naming the line."""
    scans = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            scans.append((n, RecordedScan.model_validate_json(line)))
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise InvalidInput(f"line {n}: {problem}", line=n) from None
    scans.sort(key=lambda item: (item[1].at, item[0]))
    return scans


def _decide(n: int, s: RecordedScan) -> dict[str, Any]:
    decision: dict[str, Any] = {
        "line": n,
        "at": s.at.isoformat(),
        "code": s.code,
        "openid": s.openid,
    }
    try:
        answer = consumer_scan.scan(
            ConsumerScan(
                code=s.code,
                openid=s.openid,
                device_id=s.device_id,
                ip=s.ip,
                latitude=s.latitude,
                longitude=s.longitude,
                region_code=s.region_code,
                user_agent=s.user_agent,
            ),
            now=s.at,
        )
    except OnecodeError as exc:
        return decision | {"outcome": "error", "error": exc.code}
    prize = answer.prize
    return decision | {
        "outcome": answer.outcome,
        "repeat": answer.repeat,
        "tier": prize.tier if prize else None,
        "kind": prize.kind if prize else None,
        "cost_fen": (
            prize.amount_fen or (int(prize.voucher["subsidy_fen"]) if prize.voucher else 0)
        )
        if prize
        else 0,
        "region": s.region_code,
    }


def replay(scans: list[tuple[int, RecordedScan]]) -> Iterator[dict[str, Any]]:
    """Decisions in time order; the last item is the summary (key "summary")."""
    summary = Summary()
    with scratch_redis():
        for n, s in scans:
            d = _decide(n, s)
            summary.scans += 1
            summary.outcomes[d["outcome"]] += 1
            if d["outcome"] == "won" and not d["repeat"]:
                summary.fen_by_tier[d["tier"]] += d["cost_fen"]
                summary.fen_by_region[d["region"] or "-"] += d["cost_fen"]
            yield d
        with session_scope() as session:
            for c in session.scalars(select(Campaign).where(Campaign.status == "active")):
                spent = consumer_scan.spent_fen(c.brand_id, c.id)  # in the scratch Redis
                if spent:
                    summary.budget_left_fen[c.slug] = c.total_budget_fen - spent
    yield {"summary": summary.to_dict()}


def run(source: Path, out: IO[str]) -> dict[str, Any]:
    with source.open(encoding="utf-8") as fh:
        scans = read(fh)
    summary: dict[str, Any] = {}
    for item in replay(scans):
        if "summary" in item:
            summary = item["summary"]
        else:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return summary
