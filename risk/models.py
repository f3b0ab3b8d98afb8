"""Risk's tables: trained models, labels, rings found in the account graph, diversion alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class RiskModel(Base):
    """A trained model, versioned per brand. One is `active` at a time; promoting another
    retires it, and rolling back promotes the one active before."""

    __tablename__ = "risk_models"
    __table_args__ = (UniqueConstraint("brand_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="candidate")  # active | retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    model_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trained_on: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    promoted_by: Mapped[str] = mapped_column(String(64), default="")


class RiskLabel(Base):
    """What is known of an account: a reviewer's decision on a held award, a confirmed ring, or
    a simulator's truth. The newest label of an account wins."""

    __tablename__ = "risk_labels"
    __table_args__ = (Index("ix_risk_labels_account", "brand_id", "openid"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    openid: Mapped[str] = mapped_column(String(64))
    fraud: Mapped[bool] = mapped_column()
    source: Mapped[str] = mapped_column(String(16))  # review | ring | simulator | staff
    actor: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskRing(Base):
    """A group of accounts linked by devices, networks or payout accounts (risk/graph.py)."""

    __tablename__ = "risk_rings"
    __table_args__ = (UniqueConstraint("brand_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # the smallest account's hash: stable per ring
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    size: Mapped[int] = mapped_column(Integer)
    density: Mapped[float] = mapped_column(Float)
    accounts: Mapped[list[str]] = mapped_column(JSON)
    devices: Mapped[list[str]] = mapped_column(JSON)
    networks: Mapped[list[str]] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # confirmed | dismissed
    reviewed_by: Mapped[str] = mapped_column(String(64), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DiversionAlert(Base):
    """A case whose bottles are scanned outside the regions its dealer may sell in."""

    __tablename__ = "diversion_alerts"
    __table_args__ = (UniqueConstraint("brand_id", "case_batch_id", "case_serial"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    case_batch_id: Mapped[int] = mapped_column(BigInteger)
    case_serial: Mapped[int] = mapped_column(BigInteger)
    case_code: Mapped[str] = mapped_column(String(40))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    expected_regions: Mapped[list[str]] = mapped_column(JSON)
    observed: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # region, name, scans, kinds
    scans_outside: Mapped[int] = mapped_column(Integer)
    scans_located: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # open | confirmed | dismissed (staff), cleared (the case no longer qualifies)
    status: Mapped[str] = mapped_column(String(16), default="open")
