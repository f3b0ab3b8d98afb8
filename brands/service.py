"""Creating brands and their master data, and resolving API tokens to a brand-scoped principal."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from brands.errors import (
    BrandExists,
    BrandNotFound,
    InvalidScanUrl,
    InvalidToken,
    RoleRequired,
    UnknownReference,
)
from brands.models import ROLES, ApiToken, Brand, Dealer, Product, Region, Staff, Store
from codegen import gs1
from infra.db import utcnow
from infra.errors import InvalidInput

# A cap QR must stay at version 3, error correction M: 61 alphanumeric characters. The URL is
# "HTTPS://" + host + "/C/" + a 19-character code, which leaves 31 characters for the host.
MAX_SCAN_HOST = 31
_HOST = re.compile(r"^[A-Z0-9]([A-Z0-9-]*[A-Z0-9])?(\.[A-Z0-9]([A-Z0-9-]*[A-Z0-9])?)+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def normalize_scan_base_url(url: str) -> str:
    """`https://qr.brand.cn` -> `HTTPS://QR.BRAND.CN`, checked to fit a version-3 QR."""
    upper = url.strip().upper().rstrip("/")
    if not upper.startswith("HTTPS://"):
        raise InvalidScanUrl("scan_base_url must start with https://", value=url)
    host = upper.removeprefix("HTTPS://")
    if not _HOST.match(host):
        raise InvalidScanUrl("scan_base_url must be https:// and a plain host name", value=url)
    if len(host) > MAX_SCAN_HOST:
        raise InvalidScanUrl(
            f"scan host is {len(host)} characters; at most {MAX_SCAN_HOST} keep a cap QR at "
            "version 3-M",
            value=url,
        )
    return upper


def create_brand(session: Session, *, slug: str, name: str, scan_base_url: str) -> Brand:
    if not _SLUG.match(slug):
        raise InvalidInput("brand slug: 2-40 characters of a-z, 0-9 and '-'", value=slug)
    if session.scalar(select(Brand.id).where(Brand.slug == slug)) is not None:
        raise BrandExists(f"brand {slug!r} exists", slug=slug)
    brand = Brand(slug=slug, name=name, scan_base_url=normalize_scan_base_url(scan_base_url))
    session.add(brand)
    session.flush()
    return brand


def get_brand(session: Session, slug: str) -> Brand:
    brand = session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None:
        raise BrandNotFound(f"no brand {slug!r}", slug=slug)
    return brand


def add_product(
    session: Session, *, brand_id: int, sku: str, name: str, gtin: str | None = None
) -> Product:
    # Stored as GTIN-14, the form Digital Links and EPCIS carry; a bad check digit is refused.
    product = Product(
        brand_id=brand_id, sku=sku, name=name, gtin=gs1.gtin14(gtin) if gtin else None
    )
    session.add(product)
    session.flush()
    return product


def product_by_sku(session: Session, *, brand_id: int, sku: str) -> Product:
    product = session.scalar(
        select(Product).where(Product.brand_id == brand_id, Product.sku == sku)
    )
    if product is None:
        raise UnknownReference(f"brand has no product with SKU {sku!r}", sku=sku)
    return product


def add_region(
    session: Session, *, brand_id: int, code: str, name: str, parent_code: str | None = None
) -> Region:
    parent_id = (
        region_by_code(session, brand_id=brand_id, code=parent_code).id if parent_code else None
    )
    region = Region(brand_id=brand_id, code=code, name=name, parent_id=parent_id)
    session.add(region)
    session.flush()
    return region


def region_by_code(session: Session, *, brand_id: int, code: str) -> Region:
    region = session.scalar(select(Region).where(Region.brand_id == brand_id, Region.code == code))
    if region is None:
        raise UnknownReference(f"brand has no region {code!r}", region=code)
    return region


def add_dealer(
    session: Session, *, brand_id: int, code: str, name: str, region_codes: list[str]
) -> Dealer:
    from brands.models import dealer_regions

    dealer = Dealer(brand_id=brand_id, code=code, name=name)
    session.add(dealer)
    session.flush()
    for region_code in region_codes:
        region = region_by_code(session, brand_id=brand_id, code=region_code)
        session.execute(dealer_regions.insert().values(dealer_id=dealer.id, region_id=region.id))
    return dealer


def add_store(
    session: Session,
    *,
    brand_id: int,
    code: str,
    name: str,
    dealer_code: str | None = None,
    region_code: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Store:
    dealer_id = (
        dealer_by_code(session, brand_id=brand_id, code=dealer_code) if dealer_code else None
    )
    region_id = (
        region_by_code(session, brand_id=brand_id, code=region_code).id if region_code else None
    )
    store = Store(
        brand_id=brand_id,
        code=code,
        name=name,
        dealer_id=dealer_id,
        region_id=region_id,
        latitude=latitude,
        longitude=longitude,
    )
    session.add(store)
    session.flush()
    return store


def dealer_by_code(session: Session, *, brand_id: int, code: str) -> int:
    """The id of the brand's dealer with this code."""
    dealer_id = session.scalar(
        select(Dealer.id).where(Dealer.brand_id == brand_id, Dealer.code == code)
    )
    if dealer_id is None:
        raise UnknownReference(f"brand has no dealer {code!r}", dealer=code)
    return dealer_id


def add_staff(
    session: Session,
    *,
    brand_id: int,
    username: str,
    role: str,
    display_name: str = "",
    dealer_code: str | None = None,
) -> Staff:
    """A staff member; a `dealer` user belongs to one dealer (`dealer_code`), no one else does."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(ROLES)}", role=role)
    if (role == "dealer") != (dealer_code is not None):
        raise InvalidInput("a dealer user, and only one, names its dealer", role=role)
    dealer_id = (
        dealer_by_code(session, brand_id=brand_id, code=dealer_code) if dealer_code else None
    )
    staff = Staff(
        brand_id=brand_id,
        username=username,
        role=role,
        display_name=display_name,
        dealer_id=dealer_id,
    )
    session.add(staff)
    session.flush()
    return staff


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; a slow KDF is for passwords.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, *, staff: Staff, name: str = "", ttl: timedelta | None = timedelta(days=30)
) -> str:
    """Create a bearer token; the plain value is returned once and never stored."""
    token = "oc_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            brand_id=staff.brand_id,
            staff_id=staff.id,
            token_hash=hash_token(token),
            name=name,
            expires_at=utcnow() + ttl if ttl else None,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class Principal:
    """Who is calling: every service call made for a request is scoped to `brand_id`."""

    brand_id: int
    staff_id: int
    username: str
    role: str
    dealer_id: int | None = None  # a dealer's own user

    def require(self, *roles: str) -> None:
        if self.role != "brand_admin" and self.role not in roles:
            raise RoleRequired(
                f"role {self.role!r} may not do this; needs one of {', '.join(roles)}",
                role=self.role,
            )


def authenticate(session: Session, token: str, *, now: datetime | None = None) -> Principal:
    row = session.execute(
        select(ApiToken, Staff)
        .join(Staff, Staff.id == ApiToken.staff_id)
        .where(ApiToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise InvalidToken("unknown API token")
    api_token, staff = row
    now = now or utcnow()
    if api_token.revoked_at is not None:
        raise InvalidToken("API token revoked")
    if api_token.expires_at is not None and api_token.expires_at <= now:
        raise InvalidToken("API token expired")
    return Principal(
        brand_id=staff.brand_id,
        staff_id=staff.id,
        username=staff.username,
        role=staff.role,
        dealer_id=staff.dealer_id,
    )
