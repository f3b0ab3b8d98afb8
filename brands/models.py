"""Tables of a brand and its channel (3 + 2 + N: brand, dealers, stores; staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, UTCDateTime, utcnow

ROLES = ("brand_admin", "campaign_manager", "code_operator", "risk_analyst", "finance", "dealer")


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Printed in every QR, e.g. HTTPS://QR.DEMO-BEER.CN (upper case: QR alphanumeric mode).
    scan_base_url: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("brand_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    gtin: Mapped[str | None] = mapped_column(String(14))


class Region(Base):
    """Province, city or district, by its administrative code (e.g. 440000 Guangdong)."""

    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))


dealer_regions = Table(
    "dealer_regions",
    Base.metadata,
    Column("dealer_id", ForeignKey("dealers.id"), primary_key=True),
    Column("region_id", ForeignKey("regions.id"), primary_key=True),
)


class Dealer(Base):
    __tablename__ = "dealers"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class Store(Base):
    __tablename__ = "stores"
    __table_args__ = (UniqueConstraint("brand_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Who signed the store up (store -> salesperson -> dealer).
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("field_accounts.id"))


class Staff(Base):
    """A brand employee who uses the admin and its API."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("brand_id", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    # Argon2id, encoded with its parameters (brands/passwords.py); None: API tokens only.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # A dealer's own user (role "dealer") sees that dealer's view only.
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"))


class ApiToken(Base):
    """A bearer token for a staff member; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One change a staff member made through the admin API (brands/audit.py)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(200))  # "POST /v1/admin/campaigns/{id}/pause"
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # path and query values


FIELD_ROLES = ("guide", "salesperson", "store_owner")


class FieldAccount(Base):
    """Someone in the field with the brand's mini-program: a shopping guide, a salesperson, or
    a store owner. Identified by their WeChat openid; calls carry a signed field token."""

    __tablename__ = "field_accounts"
    __table_args__ = (UniqueConstraint("brand_id", "role", "openid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    openid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="")
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", use_alter=True))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InviteCode(Base):
    """A salesperson's (or a dealer's) invitation for stores to sign up."""

    __tablename__ = "invite_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("field_accounts.id"))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
