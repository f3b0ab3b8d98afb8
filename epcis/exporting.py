"""onecode's packing and shipments as an EPCIS 2.0 JSON-LD document.

- Packing (in-order ranges and single links): an AggregationEvent ADD, bizStep `packing`, per
  parent; taking codes out of a pack: an AggregationEvent DELETE, bizStep `unpacking`.
- A dealer's scans out and in: ObjectEvents OBSERVE, bizStep `shipping` (disposition
  `in_transit`) and `receiving` (`in_progress`), with the dealer, store or sub-dealer as
  owning parties in sourceList and destinationList.

Identifiers, by choice: GS1 Digital Links on the brand's domain (`digital_link`) or EPC URNs
(`urn`). An item whose product has a GTIN is an SGTIN whose serial is its onecode code; a case or
pallet with an SSCC is that SSCC; anything else is its onecode URL, a private identifier a
partner can store and send back. Event IDs are UUIDs derived from the rows, so an export run
twice names each event the same way and a partner's import of both changes nothing twice.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from brands.models import Brand, Dealer, Product, Store
from codegen import gs1
from codegen.batches import key_of, sscc_of
from codegen.models import Activation, CodeBatch, PackLink, PackRange
from codegen.packing import parent_of
from codegen.sealing import seal
from infra.errors import InvalidInput
from logistics.models import Shipment

Form = Literal["digital_link", "urn"]
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
MAX_EVENTS = 100_000
_EVENT_NAMESPACE = uuid.UUID("5a4c0b1e-8f0e-4d39-9d6b-2f6c1e0e0c01")


def party(brand_slug: str, kind: str, code: str) -> str:
    """A dealer's or store's identifier in events: onecode's own, as parties have no GLN here."""
    return f"urn:onecode:{brand_slug}:{kind}:{code}"


@dataclass
class Identifiers:
    """Codes as event identifiers, with each batch's key and activations read once."""

    session: Session
    brand: Brand
    form: Form
    _batches: dict[int, tuple[CodeBatch, Any, list[Activation], list[int]]] = field(
        default_factory=dict
    )
    _gtins: dict[int, str | None] = field(default_factory=dict)

    def __call__(self, batch_id: int, serial: int) -> str:
        batch, key, activations, starts = self._batch(batch_id)
        code = seal(key, serial)
        sscc = sscc_of(batch, serial)
        if sscc is not None:
            base = self.brand.scan_base_url.lower()
            return gs1.sscc_urn(sscc) if self.form == "urn" else gs1.sscc_link(base, sscc)
        i = bisect_right(starts, serial) - 1
        if i >= 0 and activations[i].end > serial:
            gtin = self._gtin(activations[i].product_id)
            if gtin is not None:
                if self.form == "urn":
                    return gs1.sgtin_urn(gtin, code)
                return gs1.build_link(self.brand.scan_base_url.lower(), gtin=gtin, serial=code)
        return f"{self.brand.scan_base_url.lower()}/c/{code.lower()}"

    def _batch(self, batch_id: int) -> tuple[CodeBatch, Any, list[Activation], list[int]]:
        if batch_id not in self._batches:
            batch = self.session.get_one(CodeBatch, batch_id)
            acts = list(
                self.session.scalars(
                    select(Activation)
                    .where(Activation.batch_id == batch_id)
                    .order_by(Activation.start)
                )
            )
            self._batches[batch_id] = (
                batch,
                key_of(self.session, batch),
                acts,
                [a.start for a in acts],
            )
        return self._batches[batch_id]

    def _gtin(self, product_id: int) -> str | None:
        if product_id not in self._gtins:
            raw = self.session.get_one(Product, product_id).gtin
            self._gtins[product_id] = gs1.gtin14(raw) if raw else None
        return self._gtins[product_id]


def export_document(
    session: Session,
    *,
    brand_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_id: int | None = None,
    form: Form = "digital_link",
) -> dict[str, Any]:
    """Every packing and shipment event of the brand in [since, until), or of one batch (as
    parent or child), oldest first."""
    brand = session.get_one(Brand, brand_id)
    ids = Identifiers(session, brand, form)
    events: list[dict[str, Any]] = []
    for event in _events(session, brand, ids, since, until, batch_id):
        events.append(event)
        if len(events) > MAX_EVENTS:
            raise InvalidInput(
                f"more than {MAX_EVENTS} events: export a shorter time range or one batch",
                max_events=MAX_EVENTS,
            )
    events.sort(key=lambda e: e["eventTime"])
    return {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _time(datetime.now(UTC)),
        "sender": party(brand.slug, "brand", brand.slug),
        "epcisBody": {"eventList": events},
    }


def _events(
    session: Session,
    brand: Brand,
    ids: Identifiers,
    since: datetime | None,
    until: datetime | None,
    batch_id: int | None,
) -> Iterator[dict[str, Any]]:
    def window(query: Select[Any], at: Any) -> Select[Any]:
        if since is not None:
            query = query.where(at >= since)
        if until is not None:
            query = query.where(at < until)
        return query

    ranges = window(select(PackRange).where(PackRange.brand_id == brand.id), PackRange.created_at)
    links = window(select(PackLink).where(PackLink.brand_id == brand.id), PackLink.created_at)
    ships = window(select(Shipment).where(Shipment.brand_id == brand.id), Shipment.at)
    if batch_id is not None:
        ranges = ranges.where(
            or_(PackRange.parent_batch_id == batch_id, PackRange.child_batch_id == batch_id)
        )
        links = links.where(
            or_(PackLink.parent_batch_id == batch_id, PackLink.child_batch_id == batch_id)
        )
        ships = ships.where(Shipment.batch_id == batch_id)
    for rng in session.scalars(ranges.order_by(PackRange.id)):
        yield from _range_events(brand, ids, rng)
    yield from _link_events(session, brand, ids, list(session.scalars(links.order_by(PackLink.id))))
    yield from _shipment_events(
        session, brand, ids, list(session.scalars(ships.order_by(Shipment.id)))
    )


def _aggregation(
    event_id: str, at: datetime, action: str, parent: str, children: list[str]
) -> dict[str, Any]:
    packing = action == "ADD"
    return {
        "type": "AggregationEvent",
        "eventID": event_id,
        "eventTime": _time(at),
        "eventTimeZoneOffset": "+00:00",
        "parentID": parent,
        "childEPCs": children,
        "action": action,
        "bizStep": "packing" if packing else "unpacking",
        "disposition": "in_progress",
    }


def _range_events(brand: Brand, ids: Identifiers, rng: PackRange) -> Iterator[dict[str, Any]]:
    for j in range(rng.parent_count):
        first = rng.child_start + j * rng.per_parent
        last = min(first + rng.per_parent, rng.child_start + rng.child_count)
        if first >= last:
            break
        yield _aggregation(
            _event_id(brand.id, "range", rng.id, j),
            rng.created_at,
            "ADD",
            ids(rng.parent_batch_id, rng.parent_start + j),
            [ids(rng.child_batch_id, s) for s in range(first, last)],
        )


def _link_events(
    session: Session, brand: Brand, ids: Identifiers, links: list[PackLink]
) -> Iterator[dict[str, Any]]:
    """Links made together (same parent, time and actor) are one event; an unpacking names the
    pack the code was in just before."""
    groups: dict[tuple[Any, ...], list[PackLink]] = defaultdict(list)
    for link in links:
        if link.parent_batch_id is not None and link.parent_serial is not None:
            parent: tuple[int, int] | None = (link.parent_batch_id, link.parent_serial)
            action = "ADD"
        else:
            parent = _parent_before(session, link)
            action = "DELETE"
        if parent is None:
            continue  # taken out of nothing: nothing to tell a partner
        groups[(action, parent, link.created_at, link.created_by)].append(link)
    for (action, parent, at, _), members in groups.items():
        yield _aggregation(
            _event_id(brand.id, "link", members[0].id),
            at,
            action,
            ids(*parent),
            [ids(m.child_batch_id, m.child_serial) for m in members],
        )


def _parent_before(session: Session, link: PackLink) -> tuple[int, int] | None:
    batch = session.get_one(CodeBatch, link.child_batch_id)
    return parent_of(session, batch=batch, serial=link.child_serial, before_link=link.id)


def _shipment_events(
    session: Session, brand: Brand, ids: Identifiers, shipments: list[Shipment]
) -> Iterator[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[Shipment]] = defaultdict(list)
    for s in shipments:
        key = (s.upload_id, s.direction, s.dealer_id, s.to_store_id, s.to_dealer_id, s.at)
        groups[key].append(s)

    @cache
    def dealer_code(row_id: int) -> str:
        return session.get_one(Dealer, row_id).code

    @cache
    def store_code(row_id: int) -> str:
        return session.get_one(Store, row_id).code

    for (_, direction, dealer_id, store_id, to_dealer_id, at), members in groups.items():
        dealer = party(brand.slug, "dealer", dealer_code(dealer_id))
        event: dict[str, Any] = {
            "type": "ObjectEvent",
            "eventID": _event_id(brand.id, "shipment", members[0].id),
            "eventTime": _time(at),
            "eventTimeZoneOffset": "+00:00",
            "epcList": [ids(m.batch_id, m.serial) for m in members],
            "action": "OBSERVE",
        }
        if direction == "out":
            if store_id is not None:
                to = party(brand.slug, "store", store_code(store_id))
            else:
                to = party(brand.slug, "dealer", dealer_code(to_dealer_id))
            event |= {
                "bizStep": "shipping",
                "disposition": "in_transit",
                "sourceList": [{"type": "owning_party", "source": dealer}],
                "destinationList": [{"type": "owning_party", "destination": to}],
            }
        else:
            event |= {
                "bizStep": "receiving",
                "disposition": "in_progress",
                "destinationList": [{"type": "owning_party", "destination": dealer}],
            }
        yield event


def _event_id(brand_id: int, kind: str, *row: int) -> str:
    name = ":".join(str(p) for p in (brand_id, kind, *row))
    return uuid.uuid5(_EVENT_NAMESPACE, name).urn


def _time(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
