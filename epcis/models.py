"""What EPCIS imports leave behind: the events seen (for idempotency) and partners' links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class ImportedEvent(Base):
    """An EPCIS event taken in, by its eventID: a resent document changes nothing twice."""

    __tablename__ = "epcis_events"
    __table_args__ = (UniqueConstraint("brand_id", "event_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(32))
    changed: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64), default="")


class ForeignLink(Base):
    """A packing link where parent or child is not this brand's code (a partner's GTIN and
    serial, an SSCC no batch holds, another brand's code), by canonical identifier. As with
    codegen's links, a child's newest link wins, and one with no parent records an unpacking."""

    __tablename__ = "epcis_links"
    __table_args__ = (Index("ix_epcis_links_child", "brand_id", "child"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    child: Mapped[str] = mapped_column(String(300))
    parent: Mapped[str | None] = mapped_column(String(300))
    event_id: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
