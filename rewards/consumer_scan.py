"""The consumer scan, the hot path of a big campaign, as a pipeline of small steps:

    open the code (offline) -> its batch, activation and campaign (memory) -> rules (window,
    region) -> risk decision -> claim and draw (one Redis round trip) -> answer

No step reads the database; the scan record and the award are written behind from the brand's
Redis event stream (rewards/recorder.py).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

import risk
from codegen import open_code
from codegen.errors import CodeNotFound
from infra.redis import config_version, get_redis
from rewards import recorder
from rewards.claims import ClaimRequest, claim, draw, spent_key, wins_key
from rewards.prizes import Tier
from rewards.snapshot import BatchView, CampaignView, Snapshot, snapshots
from risk import limits


@dataclass(frozen=True)
class ConsumerScan:
    code: str
    openid: str
    device_id: str = ""
    ip: str = ""
    latitude: float | None = None
    longitude: float | None = None
    region_code: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class Prize:
    tier: str
    kind: str
    amount_fen: int = 0
    points: int = 0
    voucher: dict[str, int | str] | None = None


@dataclass(frozen=True)
class ScanAnswer:
    scan_id: str
    outcome: str
    code: str
    kind: str
    prize: Prize | None = None
    repeat: bool = False
    first_scan_at: datetime | None = None
    held: bool = False
    reasons: list[str] = field(default_factory=list)


class _Stale(Exception):
    """The snapshot is older than the brand's configuration: reload and run the scan again."""


@dataclass
class _Scan:
    """One scan on its way through the pipeline."""

    request: ConsumerScan
    brand_id: int
    key_id: str
    serial: int
    code: str
    now: datetime
    now_ms: int
    scan_id: str
    client: redis.Redis
    record: dict[str, object]
    risk_x: list[float] | None = None  # the scan's risk features, once observed
    brand_now: int = 0  # the brand's consumer scans in this scan's second

    def answer(self, outcome: str, kind: str, **kw: object) -> ScanAnswer:
        """An answer that claimed nothing; its scan record goes to the stream from here."""
        recorder.log_scan(self.brand_id, self.record, outcome)
        return ScanAnswer(self.scan_id, outcome, self.code, kind, **kw)  # type: ignore[arg-type]


def scan(request: ConsumerScan, *, now: datetime | None = None) -> ScanAnswer:
    sealed = open_code(request.code)  # malformed, typo, forged: the caller's error
    now = now or datetime.now(UTC)
    scan_id, now_ms = uuid.uuid4().hex, int(now.timestamp() * 1000)
    record = recorder.scan_record(
        scan_id=scan_id,
        at_ms=now_ms,
        role="consumer",
        code=sealed.code,
        openid=request.openid,
        device_id=request.device_id,
        ip=request.ip,
        latitude=request.latitude,
        longitude=request.longitude,
        region_code=request.region_code,
        user_agent=request.user_agent,
    )
    s = _Scan(
        request,
        sealed.brand_id,
        sealed.key_id,
        sealed.serial,
        sealed.code,
        now,
        now_ms,
        scan_id,
        get_redis(),
        record,
    )
    snap = snapshots.get(s.brand_id)
    for _ in range(3):
        try:
            return _run(s, snap)
        except _Stale:
            snap = snapshots.get(s.brand_id, stale=snap)
    raise RuntimeError("the brand's configuration changed three times during one scan")


def _run(s: _Scan, snap: Snapshot) -> ScanAnswer:
    batch = snap.batch(s.key_id, s.serial)
    if batch is None:
        if snap.version != config_version(s.client, s.brand_id):
            raise _Stale
        raise CodeNotFound("this code was never issued", code=s.code)
    s.record.update(batch_id=batch.id, serial=s.serial)
    if batch.kind != "cap":
        return s.answer("not_a_cap_code", batch.kind)
    if batch.voided(s.serial):
        return s.answer("voided", batch.kind)
    bound = batch.activation(s.serial)
    campaign = snap.campaigns.get(bound[1]) if bound and bound[1] else None
    if bound is None:
        return s.answer("not_activated", batch.kind)
    if campaign is None:
        return s.answer("no_campaign", batch.kind)
    s.record.update(campaign_id=campaign.id, product_id=bound[0])
    if not campaign.running(s.now):
        ended = campaign.ends_at is not None and s.now >= campaign.ends_at
        return s.answer("campaign_over" if ended else "campaign_not_running", batch.kind)
    lineage = snap.lineage(s.request.region_code) if s.request.region_code else []
    if campaign.regions and not set(lineage) & campaign.regions:
        return s.answer("region_not_in_campaign", batch.kind)
    if s.risk_x is None:  # a rerun for a stale snapshot must not record the scan again
        s.risk_x, s.brand_now = risk.observe(s.client, _facts(s, snap, campaign, batch))
    decision = risk.decide(s.risk_x, campaign.risk_policy, snap.risk_model)
    s.record["risk"] = kept = decision.record()
    try:
        limits.check(s.risk_x, s.brand_now)
    except limits.RateLimited as exc:
        reason = f"rate_limit_{exc.details['limit']}"
        kept |= {"action": "rate_limited", "reasons": [*decision.reasons, reason]}
        recorder.log_scan(s.brand_id, s.record, "rate_limited")
        raise
    if decision.action in ("block", "challenge"):
        outcome = "blocked" if decision.action == "block" else "challenge"
        return s.answer(outcome, batch.kind, reasons=list(decision.reasons))
    return _claim(s, snap, batch, campaign, lineage, decision)


def _facts(s: _Scan, snap: Snapshot, campaign: CampaignView, batch: BatchView) -> risk.ScanFacts:
    r = s.request
    case, pallet = snap.case_and_pallet(batch.id, s.serial)
    return risk.ScanFacts(
        brand_id=s.brand_id,
        campaign_id=campaign.id,
        scan_id=s.scan_id,
        openid=r.openid,
        device_id=r.device_id,
        ip=r.ip,
        latitude=r.latitude,
        longitude=r.longitude,
        user_agent=r.user_agent,
        batch_id=batch.id,
        serial=s.serial,
        at_ms=s.now_ms,
        case_key=case,
        pallet_key=pallet,
        wins_key=wins_key(s.brand_id, campaign.id, r.openid),
    )


def _claim(
    s: _Scan,
    snap: Snapshot,
    batch: BatchView,
    campaign: CampaignView,
    lineage: list[str],
    decision: risk.Decision,
) -> ScanAnswer:
    region = next((code for code in lineage if code in campaign.region_rules), "")
    rule = campaign.region_rules.get(region)
    table = rule.draw if rule and rule.draw is not None else campaign.draw
    if decision.action == "lower":
        table = draw(s.brand_id, campaign.id, _lowered(table.tiers))
    held = decision.action == "hold"
    s.record.update(held=held, award_region=region)
    result = claim(
        s.client,
        ClaimRequest(
            brand_id=s.brand_id,
            batch_id=batch.id,
            offset=s.serial - batch.first_serial,
            version=snap.version,
            campaign_id=campaign.id,
            region_code=region,
            day=campaign.local_day(s.now),
            openid=s.request.openid,
            draw=table,
            total_budget_fen=campaign.total_budget_fen,
            daily_budget_fen=campaign.daily_budget_fen,
            region_total_fen=rule.total_budget_fen if rule else None,
            region_daily_fen=rule.daily_budget_fen if rule else None,
            wins_per_day=campaign.wins_per_consumer_per_day,
            wins_total=campaign.wins_per_consumer,
            now_ms=s.now_ms,
            scan_json=json.dumps(s.record),
            scan_id=s.scan_id,
            held=held,
        ),
    )
    if result.status == "stale":
        raise _Stale
    if result.status == "limit":
        return ScanAnswer(s.scan_id, "limit_reached", s.code, batch.kind)
    if result.status == "claimed":
        first_at = datetime.fromtimestamp(result.first_at_ms / 1000, UTC)
        # The script has recorded the scan as a repeat or as already claimed.
        if result.first_openid != s.request.openid:
            # Another consumer's code: a signal for risk (copied codes, collected caps).
            return ScanAnswer(
                s.scan_id, "already_claimed", s.code, batch.kind, first_scan_at=first_at
            )
        # The same consumer again: the first answer again, not a second prize; under the first
        # scan's id, which is also the id of a voucher won then.
        return _won_or_thanks(
            s,
            result.first_scan_id,
            batch,
            campaign.draw.tiers + table.tiers,
            result.tier,
            first_at,
            repeat=True,
            held=result.first_held,
        )
    first_at = datetime.fromtimestamp(s.now_ms / 1000, UTC)  # as the claim stored it
    return _won_or_thanks(s, s.scan_id, batch, table.tiers, result.tier, first_at, held=held)


def _won_or_thanks(
    s: _Scan,
    scan_id: str,
    batch: BatchView,
    tiers: tuple[Tier, ...],
    tier_key: str,
    first_at: datetime,
    *,
    repeat: bool = False,
    held: bool = False,
) -> ScanAnswer:
    prize = _prize(tiers, tier_key)
    return ScanAnswer(
        scan_id,
        "won" if prize else "thanks",
        s.code,
        batch.kind,
        prize=prize,
        repeat=repeat,
        first_scan_at=first_at,
        held=held,
    )


def _lowered(tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
    """Risk said "lower": only the cheapest paying tiers stay in the draw."""
    cheapest = min((t.cost_fen for t in tiers if t.cost_fen > 0), default=0)
    return tuple(t for t in tiers if t.cost_fen <= cheapest)


def _prize(tiers: tuple[Tier, ...], key: str) -> Prize | None:
    for t in tiers:
        if t.key == key:
            voucher = t.voucher.model_dump() if t.voucher else None
            return Prize(t.key, t.kind, t.amount_fen, t.points, voucher)
    return None


def spent_fen(brand_id: int, campaign_id: int) -> int:
    """What the campaign has awarded, from the counter the claim script spends against."""
    return int(get_redis().get(spent_key(brand_id, campaign_id)) or 0)
