from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class PdaDevice(Base):
    """A dealer's scanner. Its credential is a random token; only its SHA-256 is stored."""

    __tablename__ = "pda_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Shipment(Base):
    """A case or pallet scanned in (`in`) by a dealer, or out (`out`) to a store or sub-dealer.

    A PDA resends an upload on a bad network: (upload id, code) is unique, so it counts once.
    """

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("brand_id", "upload_id", "batch_id", "serial"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    upload_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[int] = mapped_column(ForeignKey("pda_devices.id"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    direction: Mapped[str] = mapped_column(String(3))
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    serial: Mapped[int] = mapped_column(BigInteger)
    to_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    to_dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
