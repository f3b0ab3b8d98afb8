"""A partner's EPCIS 2.0 document taken in: the same links and shipments as onecode's own
packaging-line and PDA uploads, once per event ID, with a result for every event.

- The document is checked against GS1's EPCIS 2.0 JSON schema first; a document that fails
  changes nothing and the answer lists the problems.
- Each event runs in its own savepoint: it applies whole or not at all, and one bad event does
  not stop the rest.
- AggregationEvent ADD packs the children into the parent, DELETE takes them out (all of the
  parent's children when `childEPCs` is empty); OBSERVE asserts links and changes none.
- Identifiers: GS1 Digital Links (any domain), EPC URNs (SGTIN, SSCC), onecode URLs and codes.
  One that is this brand's code or SSCC goes through `codegen`; any other (a partner's own
  serials, another brand's codes) is kept as a partner's link by its canonical form, so a brand
  can also hold the packing of goods it did not code.
- ObjectEvents with bizStep shipping or departing, receiving or arriving are a dealer's scans
  out and in, and need that dealer's credential (`logistics.upload`, the PDA's own path).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from brands.models import Brand
from codegen import gs1
from codegen.batches import code_at, get_batch, resolve
from codegen.errors import (
    CodeCheckFailed,
    CodeNotFound,
    CodeNotGenuine,
    MalformedCode,
    MalformedDigitalLink,
)
from codegen.models import CodeBatch
from codegen.packing import children_of, pack_links, parent_of as code_parent_of, unpack
from epcis.exporting import Identifiers
from epcis.models import ForeignLink, ImportedEvent
from infra.errors import InvalidInput, OnecodeError
from logistics.service import DevicePrincipal, upload

MAX_EVENTS = 10_000
MAX_ID = 300  # characters of an eventID or identifier kept (epcis/models.py)
_OUT = ("shipping", "departing")
_IN = ("receiving", "arriving", "accepting")


class InvalidEpcis(InvalidInput):
    """The document is not valid EPCIS 2.0 JSON (GS1's schema); `details.problems` says where."""

    code = "EPCIS_INVALID"


class EventRefused(InvalidInput):
    """One event cannot be applied as it stands; the message says why."""

    code = "EPCIS_EVENT_REFUSED"


@dataclass(frozen=True)
class EventResult:
    event_id: str
    type: str
    status: Literal["ok", "duplicate", "ignored", "error"]
    changed: int = 0
    error: str = ""
    message: str = ""


@cache
def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads((Path(__file__).parent / "schema" / "EPCIS-JSON-Schema.json").read_text())
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def problems(document: Any) -> list[str]:
    """Where the document breaks GS1's EPCIS 2.0 JSON schema (empty if it does not)."""
    found = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"[:300] for e in found]


def import_document(
    session: Session,
    *,
    brand_id: int,
    document: Any,
    actor: str,
    dealer: DevicePrincipal | None = None,
) -> list[EventResult]:
    wrong = problems(document)
    if wrong:
        raise InvalidEpcis("not a valid EPCIS 2.0 document", problems=wrong[:20])
    events = document.get("epcisBody", {}).get("eventList", [])
    if document.get("type") != "EPCISDocument" or len(events) > MAX_EVENTS:
        raise InvalidEpcis(
            f"an EPCISDocument of at most {MAX_EVENTS} events is expected",
            type=document.get("type"),
            events=len(events),
        )
    return [_one(session, brand_id, event, actor, dealer) for event in events]


def _one(
    session: Session,
    brand_id: int,
    event: dict[str, Any],
    actor: str,
    dealer: DevicePrincipal | None,
) -> EventResult:
    event_id = str(event.get("eventID") or _content_id(event))
    kind = str(event.get("type", ""))
    if len(event_id) > MAX_ID:
        return EventResult(
            event_id[:MAX_ID], kind, "error", error=EventRefused.code, message="eventID too long"
        )
    seen = session.scalar(
        select(ImportedEvent.id).where(
            ImportedEvent.brand_id == brand_id, ImportedEvent.event_id == event_id
        )
    )
    if seen is not None:
        return EventResult(event_id, kind, "duplicate")
    try:
        with session.begin_nested():
            if kind == "AggregationEvent":
                changed, note = _aggregation(session, brand_id, event, event_id, actor)
            elif kind == "ObjectEvent":
                changed, note = _object(session, brand_id, event, event_id, dealer)
            else:
                changed, note = 0, f"{kind} events change nothing in onecode"
            session.add(
                ImportedEvent(
                    brand_id=brand_id,
                    event_id=event_id,
                    type=kind,
                    changed=changed,
                    imported_by=actor[:64],
                )
            )
            session.flush()
    except OnecodeError as exc:
        return EventResult(event_id, kind, "error", error=exc.code, message=exc.message)
    except IntegrityError:  # the same event taken in by a concurrent import just now
        return EventResult(event_id, kind, "duplicate")
    return EventResult(event_id, kind, "ok" if note == "" else "ignored", changed, message=note)


def _content_id(event: dict[str, Any]) -> str:
    """An ID for an event sent without one, from its content (not GS1's canonical event hash,
    which normalises more; enough to recognise the same event sent again)."""
    digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


# --- identifiers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    canonical: str
    code: str | None = None  # this brand's code, if it is one
    member: tuple[CodeBatch, int] | None = None  # and its batch and serial, resolved once


def _node(session: Session, brand_id: int, uri: str) -> _Node:
    if len(uri) > MAX_ID:
        raise EventRefused(f"an identifier is at most {MAX_ID} characters", uri=uri[:80])
    try:
        sealed, batch = resolve(session, brand_id=brand_id, text=uri)
    except (CodeNotFound, CodeNotGenuine, MalformedCode, CodeCheckFailed):
        return _Node(canonical_id(uri))
    except MalformedDigitalLink as exc:
        raise EventRefused(f"{uri[:120]}: {exc.message}") from None
    return _Node(canonical_id(uri), sealed.code, (batch, sealed.serial))


def canonical_id(uri: str) -> str:
    """One spelling per thing: a GS1 key as its id.gs1.org Digital Link, anything else as sent."""
    text = uri.strip()
    try:
        return gs1.canonical(gs1.parse_identifier(text))
    except InvalidInput:
        return text


# --- aggregation ------------------------------------------------------------------------------


def _aggregation(
    session: Session, brand_id: int, event: dict[str, Any], event_id: str, actor: str
) -> tuple[int, str]:
    action = event.get("action")
    if action == "OBSERVE":
        return 0, "OBSERVE asserts links and changes none"
    if not event.get("parentID"):
        raise EventRefused(f"an AggregationEvent {action} names its parentID")
    parent = _node(session, brand_id, str(event["parentID"]))
    children = [_node(session, brand_id, str(c)) for c in event.get("childEPCs", [])]
    at = _event_time(event)
    if action == "DELETE" and not children:
        children = _current_children(session, brand_id, parent)
    own = [c.code for c in children if c.code is not None and parent.code is not None]
    foreign = [c for c in children if c.code is None or parent.code is None]
    if own and action == "ADD":
        assert parent.code is not None
        pack_links(
            session, brand_id=brand_id, parent_code=parent.code, child_codes=own, actor=actor
        )
    elif own:
        unpack(session, brand_id=brand_id, child_codes=own, actor=actor)
    for child in foreign:
        session.add(
            ForeignLink(
                brand_id=brand_id,
                child=child.canonical,
                parent=parent.canonical if action == "ADD" else None,
                event_id=event_id,
                at=at,
            )
        )
    return len(own) + len(foreign), ""


def _current_children(session: Session, brand_id: int, parent: _Node) -> list[_Node]:
    if parent.member is not None:
        children = []
        for batch_id, serial in children_of(
            session, batch=parent.member[0], serial=parent.member[1]
        ):
            batch = get_batch(session, brand_id=brand_id, batch_id=batch_id)
            child = code_at(session, batch, serial - batch.first_serial)
            children.append(_Node(child, child, (batch, serial)))
        return children
    named = session.scalars(
        select(ForeignLink.child)
        .where(ForeignLink.brand_id == brand_id, ForeignLink.parent == parent.canonical)
        .distinct()
    )
    return [
        _Node(child)
        for child in named
        if _latest_parent(session, brand_id, child) == parent.canonical  # not moved since
    ]


def _latest_parent(session: Session, brand_id: int, child: str) -> str | None:
    link = session.scalar(
        select(ForeignLink)
        .where(ForeignLink.brand_id == brand_id, ForeignLink.child == child)
        .order_by(ForeignLink.id.desc())
        .limit(1)
    )
    return link.parent if link else None


def parent_of(session: Session, *, brand_id: int, identifier: str) -> str | None:
    """The canonical identifier of what holds `identifier` now, for this brand's codes and for
    partners' identifiers alike."""
    node = _node(session, brand_id, identifier)
    if node.member is None:
        return _latest_parent(session, brand_id, node.canonical)
    member = code_parent_of(session, batch=node.member[0], serial=node.member[1])
    if member is None:
        return None
    ids = Identifiers(session, session.get_one(Brand, brand_id), "digital_link")
    return canonical_id(ids(*member))


# --- shipments --------------------------------------------------------------------------------


def _object(
    session: Session,
    brand_id: int,
    event: dict[str, Any],
    event_id: str,
    dealer: DevicePrincipal | None,
) -> tuple[int, str]:
    step = str(event.get("bizStep", "")).rsplit("-", 1)[-1].rsplit(":", 1)[-1]
    if step not in _OUT + _IN:
        return 0, f"bizStep {step or 'none'} moves nothing through onecode's channel"
    if dealer is None:
        raise EventRefused(
            "shipments are taken in with the dealer's credential: POST /v1/pda/epcis"
        )
    codes = [str(c) for c in event.get("epcList", [])]
    if not codes:
        raise EventRefused("a shipment lists its cases or pallets in epcList")
    to_store, to_dealer = _destination(session, brand_id, event) if step in _OUT else (None, None)
    if step in _OUT and to_store is None and to_dealer is None:
        raise EventRefused(
            "a shipment out names its store or dealer in destinationList "
            "(urn:onecode:<brand>:store:<code> or …:dealer:<code>)"
        )
    results = upload(
        session,
        who=dealer,
        upload_id=hashlib.sha256(event_id.encode()).hexdigest()[:32],
        direction="out" if step in _OUT else "in",
        codes=codes,
        to_store=to_store,
        to_dealer=to_dealer,
        at=_event_time(event),
    )
    failed = [r for r in results if r.status == "error"]
    if failed:
        raise EventRefused(
            "; ".join(f"{r.code}: {r.message}" for r in failed[:10]),
            codes=[r.code for r in failed],
        )
    return sum(r.status == "ok" for r in results), ""


def _destination(
    session: Session, brand_id: int, event: dict[str, Any]
) -> tuple[str | None, str | None]:
    slug = session.get_one(Brand, brand_id).slug
    for entry in event.get("destinationList", []):
        parts = str(entry.get("destination", "")).split(":")
        if len(parts) == 5 and parts[:3] == ["urn", "onecode", slug]:
            if parts[3] == "store":
                return parts[4], None
            if parts[3] == "dealer":
                return None, parts[4]
    return None, None


def _event_time(event: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(event["eventTime"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        raise EventRefused("eventTime is not an ISO 8601 time") from None
