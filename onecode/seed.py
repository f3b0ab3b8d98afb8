"""`onecode seed FILE`: a brand with its master data and codes, from one declarative YAML file.

The file format is documented in docs/seed-file.md; `seeds/demo.yaml` is a complete example.
Everything happens in one transaction: an error anywhere leaves the database as it was.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.orm import Session

import codegen
from brands import login, service as brands
from brands.models import Brand
from infra.errors import InvalidInput
from rewards import campaigns
from rewards.campaigns import CampaignSpec


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrandSpec(_Model):
    slug: str
    name: str
    scan_base_url: str


class ProductSpec(_Model):
    sku: str
    name: str
    gtin: str | None = None


class RegionSpec(_Model):
    code: str
    name: str
    parent: str | None = None


class DealerSpec(_Model):
    code: str
    name: str
    regions: list[str] = []


class StoreSpec(_Model):
    code: str
    name: str
    dealer: str | None = None
    region: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class StaffSpec(_Model):
    username: str
    role: str
    display_name: str = ""
    dealer: str | None = None  # a dealer user's dealer (role dealer)


class BatchSpec(_Model):
    name: str = Field(description="How later sections refer to this batch.")
    kind: str
    count: int = Field(gt=0)
    note: str = ""


class PackingSpec(_Model):
    children: str
    parents: str
    per_parent: int = Field(gt=0)
    children_start: int = 0
    children_count: int | None = None
    parents_start: int = 0


class BindingSpec(_Model):
    product: str
    lot: str = ""
    production_date: date | None = None
    factory: str = ""
    campaign: str | None = None

    def binding(self) -> codegen.Binding:
        return codegen.Binding(
            product_sku=self.product,
            lot=self.lot,
            production_date=self.production_date,
            factory=self.factory,
            campaign_slug=self.campaign,
        )


class ActivationSpec(BindingSpec):
    batch: str
    start: int = 0
    count: int | None = None
    by_parent: bool = Field(
        default=False, description="Activate each code in the range and everything packed in it."
    )


class VoidSpec(_Model):
    batch: str
    start: int = 0
    count: int = Field(gt=0)
    reason: str


class ExportSpec(_Model):
    batch: str
    codes_per_file: int | None = Field(default=None, gt=0)
    with_children: bool = False


class SeedFile(_Model):
    brand: BrandSpec
    products: list[ProductSpec] = []
    regions: list[RegionSpec] = []
    dealers: list[DealerSpec] = []
    stores: list[StoreSpec] = []
    staff: list[StaffSpec] = []
    campaigns: list[CampaignSpec] = []  # rewards.campaigns.CampaignSpec: the admin API's body
    batches: list[BatchSpec] = []
    packing: list[PackingSpec] = []
    activations: list[ActivationSpec] = []
    voids: list[VoidSpec] = []
    exports: list[ExportSpec] = []

    @model_validator(mode="after")
    def _batch_names(self) -> SeedFile:
        names = [b.name for b in self.batches]
        if len(set(names)) != len(names):
            raise ValueError("batch names must be unique")
        used = [p.children for p in self.packing] + [p.parents for p in self.packing]
        used += [a.batch for a in self.activations] + [v.batch for v in self.voids]
        used += [e.batch for e in self.exports]
        unknown = sorted(set(used) - set(names))
        if unknown:
            raise ValueError(f"unknown batch name(s): {', '.join(unknown)}")
        return self


def load(path: Path) -> SeedFile:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read seed file {path}: {exc}") from None
    try:
        return SeedFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f"seed file {path} is not valid: {problems}") from None


class SeedReport(BaseModel):
    brand_id: int
    brand_slug: str
    batches: dict[str, int]
    tokens: dict[str, str]
    console_passwords: dict[str, str] = {}
    exports: list[dict[str, Any]] = []


def apply(session: Session, seed: SeedFile) -> tuple[SeedReport, list[tuple[str, str]]]:
    """Create everything the file describes. Returns the report and the exports still to write."""
    brand = brands.create_brand(
        session, slug=seed.brand.slug, name=seed.brand.name, scan_base_url=seed.brand.scan_base_url
    )
    bid = brand.id
    for p in seed.products:
        brands.add_product(session, brand_id=bid, sku=p.sku, name=p.name, gtin=p.gtin)
    for r in seed.regions:
        brands.add_region(session, brand_id=bid, code=r.code, name=r.name, parent_code=r.parent)
    for d in seed.dealers:
        brands.add_dealer(session, brand_id=bid, code=d.code, name=d.name, region_codes=d.regions)
    for s in seed.stores:
        brands.add_store(
            session,
            brand_id=bid,
            code=s.code,
            name=s.name,
            dealer_code=s.dealer,
            region_code=s.region,
            latitude=s.lat,
            longitude=s.lon,
        )
    tokens, passwords = {}, {}
    for st in seed.staff:
        staff = brands.add_staff(
            session,
            brand_id=bid,
            username=st.username,
            role=st.role,
            display_name=st.display_name,
            dealer_code=st.dealer,
        )
        tokens[st.username] = brands.issue_token(session, staff=staff, name="seed")
        # A random console password, shown once like the token (change it in the console).
        passwords[st.username] = secrets.token_urlsafe(12)
        login.set_password(session, staff, passwords[st.username])
    for c in seed.campaigns:
        campaigns.create_campaign(session, brand_id=bid, spec=c, actor="seed")
    session.flush()
    batches = {}
    for b in seed.batches:
        batch = codegen.issue_batch(
            session, brand_id=bid, kind=b.kind, count=b.count, note=b.note or b.name, actor="seed"
        )
        batches[b.name] = batch.id
    for pk in seed.packing:
        codegen.pack_in_order(
            session,
            brand_id=bid,
            child_batch_id=batches[pk.children],
            parent_batch_id=batches[pk.parents],
            per_parent=pk.per_parent,
            child_start_index=pk.children_start,
            child_count=pk.children_count,
            parent_start_index=pk.parents_start,
        )
    for a in seed.activations:
        batch = codegen.get_batch(session, brand_id=bid, batch_id=batches[a.batch])
        _, _, count = codegen.select_range(
            session, brand_id=bid, batch_id=batch.id, start=a.start, count=a.count
        )
        if a.by_parent:
            for index in range(a.start, a.start + count):
                codegen.activate_by_parent(
                    session,
                    brand_id=bid,
                    parent_code=codegen.code_at(session, batch, index),
                    binding=a.binding(),
                    actor="seed",
                )
        else:
            codegen.activate_range(
                session,
                brand_id=bid,
                batch_id=batch.id,
                start_index=a.start,
                count=count,
                binding=a.binding(),
                actor="seed",
            )
    for v in seed.voids:
        codegen.void_range(
            session,
            brand_id=bid,
            batch_id=batches[v.batch],
            start_index=v.start,
            count=v.count,
            reason=v.reason,
            actor="seed",
        )
    pending = []
    for e in seed.exports:
        export, password = codegen.create_export(
            session,
            brand_id=bid,
            batch_id=batches[e.batch],
            codes_per_file=e.codes_per_file,
            with_children=e.with_children,
            actor="seed",
        )
        pending.append((export.id, password))
    report = SeedReport(
        brand_id=bid,
        brand_slug=brand.slug,
        batches=batches,
        tokens=tokens,
        console_passwords=passwords,
    )
    return report, pending


def brand_exists(session: Session, slug: str) -> bool:
    return session.query(Brand.id).filter(Brand.slug == slug).first() is not None
