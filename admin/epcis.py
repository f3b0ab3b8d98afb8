"""Admin API for GS1 EPCIS 2.0: packing and shipments out as events, partners' events in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

import epcis
from admin.deps import CODE_READERS, CODE_WRITERS, roles
from brands.errors import InvalidToken, RoleRequired
from brands.service import Principal
from epcis.importing import InvalidEpcis
from epcis.schemas import EPCIS_EXAMPLE, ImportOut, import_out
from infra.errors import InvalidInput
from infra.settings import get_settings
from infra.web import SessionDep, error_responses

router = APIRouter(
    prefix="/v1/admin/epcis",
    tags=["admin: EPCIS"],
    responses=error_responses(InvalidToken, RoleRequired, InvalidInput),
)


@router.get("/events", response_class=JSONResponse)
def export_events(
    session: SessionDep,
    who: Annotated[Principal, roles(*CODE_READERS)],
    since: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
    batch_id: Annotated[int | None, Query(description="Only this batch's events.")] = None,
    form: Annotated[
        Literal["digital_link", "urn"],
        Query(description="Identifiers as GS1 Digital Links on the brand's domain, or EPC URNs."),
    ] = "digital_link",
) -> dict[str, Any]:
    """The brand's packing (AggregationEvent ADD and DELETE) and dealers' shipments
    (ObjectEvent shipping and receiving) as one EPCIS 2.0 JSON-LD document, valid against GS1's
    schema. At most 100,000 events: narrow the time range or name a batch."""
    return epcis.export_document(
        session, brand_id=who.brand_id, since=since, until=until, batch_id=batch_id, form=form
    )


@router.post(
    "/events",
    responses=error_responses(InvalidEpcis),
    max_body_size=get_settings().max_epcis_bytes,
)
def import_events(
    session: SessionDep,
    who: Annotated[Principal, roles(*CODE_WRITERS)],
    document: Annotated[dict[str, Any], Body(examples=[EPCIS_EXAMPLE])],
) -> ImportOut:
    """Take in a packaging line's or partner's EPCIS 2.0 document: AggregationEvents pack and
    unpack, once per eventID. Shipments (ObjectEvents) come in with the dealer's credential at
    `POST /v1/dealer/epcis`."""
    results = epcis.import_document(
        session, brand_id=who.brand_id, document=document, actor=who.username
    )
    return import_out(results)
