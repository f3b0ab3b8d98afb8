"""Creating and tuning campaigns. Every change is audited and reaches the scan path on the next
scan: the brand's config version is bumped when the change commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from brands.errors import UnknownReference
from brands.models import Region
from infra.db import utcnow
from infra.errors import Conflict, NotFound
from infra.redis import bump_config_after_commit
from rewards.models import Campaign, CampaignChange, CampaignRegion
from rewards.prizes import PrizeTable
from risk.policy import Policy


class CampaignNotFound(NotFound):
    """No campaign with this slug in the brand."""

    code = "CAMPAIGN_NOT_FOUND"


class VersionNotFound(NotFound):
    """The campaign never had this version."""

    code = "CAMPAIGN_VERSION_NOT_FOUND"


class CampaignExists(Conflict):
    """The brand already has a campaign with this slug."""

    code = "CAMPAIGN_EXISTS"


class StoreReward(BaseModel):
    """What a store gets for each voucher it redeems: a red packet, or a restock coupon
    (补货券) that its dealer honours and the brand reimburses."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["cash", "restock_coupon"]
    amount_fen: int = Field(gt=0, le=100_000)


class RegionRuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region_code: str = Field(max_length=32)
    total_budget_fen: int | None = Field(None, ge=0)
    daily_budget_fen: int | None = Field(None, ge=0)
    prize_table: PrizeTable | None = Field(None, description="Replaces the campaign's table here.")


class CampaignSpec(BaseModel):
    """Everything brand staff set on a campaign. Money in fen; times timezone-aware."""

    model_config = ConfigDict(extra="forbid")
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    name: str = Field(max_length=200)
    status: Literal["draft", "active", "paused", "ended"] = "draft"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: str = "Asia/Shanghai"
    total_budget_fen: int = Field(0, ge=0)
    daily_budget_fen: int | None = Field(None, ge=0)
    wins_per_consumer_per_day: int | None = Field(None, ge=0)
    wins_per_consumer: int | None = Field(None, ge=0)
    prize_table: PrizeTable = PrizeTable(tiers=[])
    regions: list[str] = Field(default_factory=list, description="Empty: every region.")
    store_reward: StoreReward | None = Field(None, description="Per redeemed voucher.")
    guide_bonus_fen: int = Field(0, ge=0, le=20_000, description="Per bottle a guide sold.")
    open_case_reward_fen: int = Field(0, ge=0, le=100_000, description="Per case a store opens.")
    payout_min_fen: int = Field(
        0,
        ge=0,
        le=20_000,
        description="Cash prizes under this wait until together they reach it, then go as one "
        "transfer (the provider's own minimum, ONECODE_PAYOUT_MIN_FEN, applies anyway).",
    )
    region_rules: list[RegionRuleSpec] = Field(default_factory=list)
    risk_policy: Policy = Field(
        default_factory=Policy,
        description="Model score thresholds for lower, challenge, hold and block (docs/risk.md).",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _window(self) -> CampaignSpec:
        for t in (self.starts_at, self.ends_at):
            if t is not None and t.tzinfo is None:
                raise ValueError("starts_at and ends_at need a time zone offset")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


def _check_regions(session: Session, brand_id: int, spec: CampaignSpec) -> None:
    wanted = set(spec.regions) | {r.region_code for r in spec.region_rules}
    if not wanted:
        return
    known = set(session.scalars(select(Region.code).where(Region.brand_id == brand_id)))
    unknown = sorted(wanted - known)
    if unknown:
        raise UnknownReference(f"brand has no region(s) {', '.join(unknown)}", regions=unknown)


def _apply(session: Session, campaign: Campaign, spec: CampaignSpec) -> None:
    for name in (
        "name",
        "status",
        "starts_at",
        "ends_at",
        "timezone",
        "total_budget_fen",
        "daily_budget_fen",
        "wins_per_consumer_per_day",
        "wins_per_consumer",
    ):
        setattr(campaign, name, getattr(spec, name))
    campaign.prize_table = spec.prize_table.model_dump(mode="json")
    campaign.regions = list(spec.regions)
    campaign.store_reward = spec.store_reward.model_dump() if spec.store_reward else None
    campaign.guide_bonus_fen = spec.guide_bonus_fen
    campaign.open_case_reward_fen = spec.open_case_reward_fen
    campaign.payout_min_fen = spec.payout_min_fen
    campaign.risk_policy = spec.risk_policy.model_dump()
    campaign.updated_at = utcnow()
    session.flush()
    session.execute(delete(CampaignRegion).where(CampaignRegion.campaign_id == campaign.id))
    for rule in spec.region_rules:
        session.add(
            CampaignRegion(
                brand_id=campaign.brand_id,
                campaign_id=campaign.id,
                region_code=rule.region_code,
                total_budget_fen=rule.total_budget_fen,
                daily_budget_fen=rule.daily_budget_fen,
                prize_table=rule.prize_table.model_dump(mode="json") if rule.prize_table else None,
            )
        )
    session.flush()


def describe(session: Session, campaign: Campaign) -> dict[str, Any]:
    rules = session.scalars(
        select(CampaignRegion)
        .where(CampaignRegion.campaign_id == campaign.id)
        .order_by(CampaignRegion.region_code)
    )
    spec = CampaignSpec(
        slug=campaign.slug,
        name=campaign.name,
        status=campaign.status,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        timezone=campaign.timezone,
        total_budget_fen=campaign.total_budget_fen,
        daily_budget_fen=campaign.daily_budget_fen,
        wins_per_consumer_per_day=campaign.wins_per_consumer_per_day,
        wins_per_consumer=campaign.wins_per_consumer,
        prize_table=PrizeTable.model_validate(campaign.prize_table),
        regions=list(campaign.regions or []),
        store_reward=StoreReward.model_validate(campaign.store_reward)
        if campaign.store_reward
        else None,
        guide_bonus_fen=campaign.guide_bonus_fen,
        open_case_reward_fen=campaign.open_case_reward_fen,
        payout_min_fen=campaign.payout_min_fen,
        risk_policy=Policy.model_validate(campaign.risk_policy or {}),
        region_rules=[
            RegionRuleSpec(
                region_code=r.region_code,
                total_budget_fen=r.total_budget_fen,
                daily_budget_fen=r.daily_budget_fen,
                prize_table=PrizeTable.model_validate(r.prize_table) if r.prize_table else None,
            )
            for r in rules
        ],
    )
    return spec.model_dump(mode="json") | {"id": campaign.id, "version": campaign.version}


def _changed(
    session: Session, campaign: Campaign, *, actor: str, before: dict[str, Any] | None
) -> None:
    """Audit the change, and have the scan path reload once it commits."""
    session.add(
        CampaignChange(
            brand_id=campaign.brand_id,
            campaign_id=campaign.id,
            actor=actor,
            before=before,
            after=describe(session, campaign),
        )
    )
    bump_config_after_commit(session, campaign.brand_id)


def create_campaign(session: Session, *, brand_id: int, spec: CampaignSpec, actor: str) -> Campaign:
    exists = session.scalar(
        select(Campaign.id).where(Campaign.brand_id == brand_id, Campaign.slug == spec.slug)
    )
    if exists is not None:
        raise CampaignExists(f"campaign {spec.slug!r} exists", slug=spec.slug)
    _check_regions(session, brand_id, spec)
    campaign = Campaign(brand_id=brand_id, slug=spec.slug, name=spec.name)
    session.add(campaign)
    session.flush()
    _apply(session, campaign, spec)
    _changed(session, campaign, actor=actor, before=None)
    return campaign


def get_campaign(session: Session, *, brand_id: int, slug: str) -> Campaign:
    campaign = session.scalar(
        select(Campaign).where(Campaign.brand_id == brand_id, Campaign.slug == slug)
    )
    if campaign is None:
        raise CampaignNotFound(f"no campaign {slug!r}", slug=slug)
    return campaign


def update_campaign(
    session: Session, *, brand_id: int, slug: str, spec: CampaignSpec, actor: str
) -> Campaign:
    campaign = get_campaign(session, brand_id=brand_id, slug=slug)
    if spec.slug != slug:
        raise Conflict("a campaign's slug cannot change", slug=slug)
    _check_regions(session, brand_id, spec)
    before = describe(session, campaign)
    _apply(session, campaign, spec)
    campaign.version += 1
    _changed(session, campaign, actor=actor, before=before)
    return campaign


def list_campaigns(session: Session, *, brand_id: int) -> list[Campaign]:
    return list(
        session.scalars(select(Campaign).where(Campaign.brand_id == brand_id).order_by(Campaign.id))
    )


def changes(session: Session, *, brand_id: int, slug: str) -> list[CampaignChange]:
    campaign = get_campaign(session, brand_id=brand_id, slug=slug)
    return list(
        session.scalars(
            select(CampaignChange)
            .where(CampaignChange.campaign_id == campaign.id)
            .order_by(CampaignChange.id)
        )
    )


@dataclass(frozen=True)
class Difference:
    setting: str
    a: Any
    b: Any


# Settings that change with every version, so say nothing about what changed.
_BOOKKEEPING = ("version", "updated_at")


def compare(session: Session, *, brand_id: int, slug: str, a: int, b: int) -> list[Difference]:
    """The settings that differ between two versions of a campaign, as each version had them
    (from its change history)."""
    versions = {
        int(c.after.get("version", 0)): c.after
        for c in changes(session, brand_id=brand_id, slug=slug)
    }
    for v in (a, b):
        if v not in versions:
            raise VersionNotFound(f"{slug} has no version {v}", version=v, known=sorted(versions))
    first, second = versions[a], versions[b]
    return [
        Difference(key, first.get(key), second.get(key))
        for key in sorted(set(first) | set(second))
        if key not in _BOOKKEEPING and first.get(key) != second.get(key)
    ]
