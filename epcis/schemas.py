"""The import's answer and an example document, shared by the admin and dealer endpoints."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field

from epcis.importing import EventResult


class EventResultOut(BaseModel):
    event_id: str = Field(
        description="The event's eventID, or for an event sent without one an ID from its "
        "content (`ni:///sha-256;…`).",
        examples=["urn:uuid:6f1e0f5e-3d0c-4c53-9a55-0d7d0b6a8f10"],
    )
    type: str = Field(description="The EPCIS event type.", examples=["AggregationEvent"])
    status: str = Field(
        description="ok (applied), duplicate (taken in before: nothing changed), ignored (valid "
        "but changes nothing in onecode, e.g. an OBSERVE aggregation), error (refused whole).",
        examples=["ok"],
    )
    changed: int = Field(description="Links or shipments this event made.", examples=[12])
    error: str = Field(
        description="A stable error code when status is error, such as EPCIS_EVENT_REFUSED, "
        "INVALID_PACKING or CODE_NOT_FOUND; empty otherwise.",
        examples=[""],
    )
    message: str = Field(description="Why it was refused or ignored, for people.", examples=[""])


class ImportOut(BaseModel):
    ok: int = Field(description="Events applied now.", examples=[1])
    duplicate: int = Field(description="Events taken in before, by eventID.", examples=[0])
    ignored: int = Field(description="Valid events that change nothing in onecode.", examples=[0])
    error: int = Field(description="Events refused, each with its reason.", examples=[0])
    results: list[EventResultOut] = Field(description="One result per event, in order.")


def import_out(results: list[EventResult]) -> ImportOut:
    def count(status: str) -> int:
        return sum(r.status == status for r in results)

    return ImportOut(
        ok=count("ok"),
        duplicate=count("duplicate"),
        ignored=count("ignored"),
        error=count("error"),
        results=[EventResultOut(**asdict(r)) for r in results],
    )


EPCIS_EXAMPLE: dict[str, Any] = {
    "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    "type": "EPCISDocument",
    "schemaVersion": "2.0",
    "creationDate": "2026-12-04T08:00:00.000Z",
    "epcisBody": {
        "eventList": [
            {
                "type": "AggregationEvent",
                "eventID": "urn:uuid:6f1e0f5e-3d0c-4c53-9a55-0d7d0b6a8f10",
                "eventTime": "2026-12-04T07:59:00.000Z",
                "eventTimeZoneOffset": "+08:00",
                "parentID": "https://qr.demo-beer.cn/00/169012340000000016",
                "childEPCs": ["https://qr.demo-beer.cn/01/06901234567892/21/7KQKW4FSZKTWDMM7NZ9"],
                "action": "ADD",
                "bizStep": "packing",
                "disposition": "in_progress",
            }
        ]
    },
}
