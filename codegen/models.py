"""Code tables. Nothing here has a row per code: batches, activations, voids and in-order packing
are serial ranges; only out-of-order packing writes a row per moved child."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT keys are INTEGER there.
BigId = BigInteger().with_variant(Integer, "sqlite")

KINDS = ("cap", "bottle", "box", "case", "pallet")
# A parent must be of a higher rank than its child: cap < bottle < box < case < pallet.
KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


class CodeKey(Base):
    """A brand's secret that seals codes. Rotation adds a key; old keys keep verifying."""

    __tablename__ = "code_keys"

    key_id: Mapped[str] = mapped_column(String(3), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM under the master key
    next_serial: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CodeBatch(Base):
    """`count` codes of one kind: serials [first_serial, first_serial + count) of one key."""

    __tablename__ = "code_batches"
    __table_args__ = (
        UniqueConstraint("key_id", "first_serial"),
        CheckConstraint("count > 0", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("code_keys.key_id"))
    kind: Mapped[str] = mapped_column(String(10))
    first_serial: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    # A case or pallet batch may carry SSCCs (AI 00), one a code in serial order: this is the
    # first one's 17 digits before its check digit (extension digit, company prefix, serial
    # reference). SSCCs are not secret, so they move goods through the channel, never pay.
    sscc_first: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def end_serial(self) -> int:
        return self.first_serial + self.count


class Activation(Base):
    """Blank codes [start, end) bound to a product, lot and optionally a campaign (空码赋值)."""

    __tablename__ = "code_activations"
    __table_args__ = (Index("ix_code_activations_batch_start", "batch_id", "start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    production_date: Mapped[date | None] = mapped_column(Date)
    factory: Mapped[str] = mapped_column(String(100), default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class CodeVoid(Base):
    """Codes [start, end) taken out of use: recall, damaged roll. Wins over any activation."""

    __tablename__ = "code_voids"
    __table_args__ = (Index("ix_code_voids_batch_start", "batch_id", "start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class PackRange(Base):
    """In-order packing: child `child_start + j` is in parent `parent_start + j // per_parent`."""

    __tablename__ = "pack_ranges"
    __table_args__ = (
        Index("ix_pack_ranges_parent", "parent_batch_id", "parent_start"),
        Index("ix_pack_ranges_child", "child_batch_id", "child_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    child_batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    child_start: Mapped[int] = mapped_column(BigInteger)
    child_count: Mapped[int] = mapped_column(BigInteger)
    parent_batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    parent_start: Mapped[int] = mapped_column(BigInteger)
    parent_count: Mapped[int] = mapped_column(BigInteger)
    per_parent: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PackLink(Base):
    """Out-of-order packing, repacking and removal: the newest link of a child wins over ranges.

    A link with no parent records that the child was taken out of its pack.
    """

    __tablename__ = "pack_links"
    __table_args__ = (
        Index("ix_pack_links_child", "child_batch_id", "child_serial"),
        Index("ix_pack_links_parent", "parent_batch_id", "parent_serial"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    child_batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    child_serial: Mapped[int] = mapped_column(BigInteger)
    parent_batch_id: Mapped[int | None] = mapped_column(ForeignKey("code_batches.id"))
    parent_serial: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class PrintExport(Base):
    """An encrypted set of print files for a batch; its password is shown once, never stored."""

    __tablename__ = "print_exports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    status: Mapped[str] = mapped_column(String(16), default="running")
    codes_per_file: Mapped[int] = mapped_column(BigInteger)
    with_children: Mapped[bool] = mapped_column(default=False)
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    max_downloads: Mapped[int] = mapped_column(Integer)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class ExportDownload(Base):
    """Who fetched a print file, when and from where."""

    __tablename__ = "export_downloads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    export_id: Mapped[str] = mapped_column(ForeignKey("print_exports.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
