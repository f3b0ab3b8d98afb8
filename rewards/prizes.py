"""Prize tables: tiers of red packets, points and N-yuan exchange vouchers, plus "thank you".

Money is in integer fen. A tier is drawn by probability, or handed out until a fixed count runs
out; whatever probability the tiers leave is the "thank you" tier.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

TierKind = Literal["cash", "points", "voucher"]


class Voucher(BaseModel):
    """N元换购: pay `pay_fen` at a participating store for one `product_sku`."""

    model_config = ConfigDict(extra="forbid")
    product_sku: str = Field(max_length=64)
    pay_fen: int = Field(
        ge=0, description="What the consumer pays at the store, e.g. 100 = 1 yuan."
    )
    subsidy_fen: int = Field(gt=0, description="What the brand owes the store per redemption.")
    valid_days: int = Field(gt=0, le=366)


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z0-9_-]{1,32}$", description="Stable name, e.g. 'cash-888'.")
    kind: TierKind
    amount_fen: int = Field(0, ge=0, le=20_000, description="Red packet amount (cash tiers).")
    points: int = Field(0, ge=0)
    voucher: Voucher | None = None
    probability: float = Field(ge=0, le=1)
    max_count: int | None = Field(None, gt=0, description="Stop awarding after this many.")

    @model_validator(mode="after")
    def _shape(self) -> Tier:
        if self.kind == "cash" and self.amount_fen <= 0:
            raise ValueError("a cash tier needs amount_fen > 0")
        if self.kind == "points" and self.points <= 0:
            raise ValueError("a points tier needs points > 0")
        if (self.kind == "voucher") != (self.voucher is not None):
            raise ValueError("a voucher tier, and only it, has a voucher")
        return self

    @property
    def cost_fen(self) -> int:
        """What one award of this tier costs the budget: the cash, or the voucher's subsidy."""
        if self.kind == "cash":
            return self.amount_fen
        if self.voucher is not None:
            return self.voucher.subsidy_fen
        return 0


class PrizeTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tiers: list[Tier] = Field(max_length=50)

    @model_validator(mode="after")
    def _odds(self) -> PrizeTable:
        total = sum(t.probability for t in self.tiers)
        if total > 1 + 1e-9:
            raise ValueError(f"tier probabilities add up to {total:.6f}, more than 1")
        keys = [t.key for t in self.tiers]
        if len(set(keys)) != len(keys) or "thanks" in keys:
            raise ValueError("tier keys must be unique and not 'thanks'")
        return self

    @property
    def thanks_probability(self) -> float:
        return max(0.0, 1 - sum(t.probability for t in self.tiers))
