"""EPCIS 2.0: exports valid against GS1's schema, GS1's own examples taken in, imports
idempotent with per-event errors, and a round trip into a second brand."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import codegen
import epcis
from brands import service as brands
from codegen import gs1
from epcis.importing import InvalidEpcis, problems
from epcis.models import ForeignLink, ImportedEvent
from infra.db import session_scope
from tests.conftest import BrandCtx, auth
from tests.helpers import code, issue

EXAMPLES = Path(__file__).parent / "data" / "epcis"  # GS1's own, unchanged


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


def _packed_world(client: TestClient, brand: BrandCtx) -> dict[str, int]:
    """12 bottles (with a GTIN) in 2 cases (with SSCCs), one bottle moved to the other case,
    one taken out, and both cases shipped in and one out to a store."""
    with session_scope() as s:
        brands.add_product(s, brand_id=brand.id, sku="G-500", name="Lager", gtin="6901234567892")
        brands.add_region(s, brand_id=brand.id, code="440100", name="广州")
        brands.add_dealer(s, brand_id=brand.id, code="D-GZ", name="GZ", region_codes=["440100"])
        brands.add_store(s, brand_id=brand.id, code="S-1", name="Store", dealer_code="D-GZ")
    bottles, cases = issue(brand.id, "bottle", 12), issue(brand.id, "case", 2)
    with session_scope() as s:
        codegen.pack_in_order(
            s, brand_id=brand.id, child_batch_id=bottles, parent_batch_id=cases, per_parent=6
        )
        for batch, n in ((bottles, 12), (cases, 2)):
            codegen.activate_range(
                s,
                brand_id=brand.id,
                batch_id=batch,
                start_index=0,
                count=n,
                binding=codegen.Binding("G-500"),
            )
        codegen.assign_sscc(
            s,
            brand_id=brand.id,
            batch_id=cases,
            extension=1,
            company_prefix="6901234",
            first_reference=7000 + brand.id * 10,
        )
        codegen.pack_links(
            s,
            brand_id=brand.id,
            parent_code=code(brand.id, cases, 1),
            child_codes=[code(brand.id, bottles, 0)],
        )
        codegen.unpack(s, brand_id=brand.id, child_codes=[code(brand.id, bottles, 1)])
    pda = client.post(
        "/v1/admin/pda-devices",
        json={"dealer_code": "D-GZ", "name": "WMS"},
        headers=auth(brand.admin_token),
    ).json()
    h = auth(pda["credential"])
    both = [code(brand.id, cases, 0), code(brand.id, cases, 1)]
    for body in (
        {"upload_id": "in", "direction": "in", "codes": both},
        {"upload_id": "out", "direction": "out", "codes": both[:1], "to_store": "S-1"},
    ):
        assert client.post("/v1/dealer/uploads", json=body, headers=h).json()["error"] == 0
    return {"bottles": bottles, "cases": cases}


@pytest.mark.parametrize("form", ["digital_link", "urn"])
def test_exports_validate_against_gs1s_schema(
    client: TestClient, brand: BrandCtx, form: str
) -> None:
    w = _packed_world(client, brand)
    r = client.get(f"/v1/admin/epcis/events?form={form}", headers=auth(brand.operator_token))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert problems(doc) == []
    events = doc["epcisBody"]["eventList"]
    kinds = [(e["type"], e["action"], e.get("bizStep")) for e in events]
    assert kinds.count(("AggregationEvent", "ADD", "packing")) == 3  # 2 cases, 1 moved bottle
    assert kinds.count(("AggregationEvent", "DELETE", "unpacking")) == 1
    assert ("ObjectEvent", "OBSERVE", "receiving") in kinds
    assert ("ObjectEvent", "OBSERVE", "shipping") in kinds
    first_case = events[0]
    sscc = gs1.sscc(1, "6901234", 7000 + brand.id * 10)
    bottle = code(brand.id, w["bottles"], 0)
    if form == "urn":
        assert first_case["parentID"] == gs1.sscc_urn(sscc)
        assert first_case["childEPCs"][0] == gs1.sgtin_urn("06901234567892", bottle)
    else:
        assert first_case["parentID"] == f"https://qr.example.cn/00/{sscc}"
        assert first_case["childEPCs"][0] == f"https://qr.example.cn/01/06901234567892/21/{bottle}"
    again = client.get(f"/v1/admin/epcis/events?form={form}", headers=auth(brand.operator_token))
    assert [e["eventID"] for e in again.json()["epcisBody"]["eventList"]] == [
        e["eventID"] for e in events
    ]


def test_a_broken_export_would_be_caught() -> None:
    doc = _example("Example_9.6.3-AggregationEvent.jsonld")
    assert problems(doc) == []
    broken = copy.deepcopy(doc)
    broken["epcisBody"]["eventList"][0]["action"] = "PACK"
    del broken["epcisBody"]["eventList"][0]["eventTimeZoneOffset"]
    assert len(problems(broken)) >= 2


def _links(brand_id: int) -> int:
    with session_scope() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(ForeignLink)
                .where(ForeignLink.brand_id == brand_id)
            )
            or 0
        )


def test_gs1s_examples_are_taken_in(client: TestClient, brand: BrandCtx) -> None:
    h = auth(brand.operator_token)
    for name in (
        "Example_9.6.3-AggregationEvent.jsonld",
        "Example_9.6.3-AggregationEventWithDigitalLink.jsonld",
    ):
        r = client.post("/v1/admin/epcis/events", json=_example(name), headers=h)
        assert r.status_code == 200, r.text
        assert [x["status"] for x in r.json()["results"]] == ["ignored"]  # OBSERVE changes none
    # The same event packing: a partner's SSCC and serials kept as the brand's foreign links.
    doc = _example("Example_9.6.3-AggregationEventWithDigitalLink.jsonld")
    event = doc["epcisBody"]["eventList"][0]
    event |= {
        "action": "ADD",
        "bizStep": "packing",
        "eventID": "urn:uuid:1b0c1c6e-0000-4000-8000-000000000001",
    }
    out = client.post("/v1/admin/epcis/events", json=doc, headers=h).json()
    assert (out["ok"], out["results"][0]["changed"]) == (1, 2)
    with session_scope() as s:
        parent = epcis.parent_of(
            s, brand_id=brand.id, identifier="urn:epc:id:sgtin:0614141.712345.2017"
        )
    assert parent == "https://id.gs1.org/00/106141412345678908"
    # Shipments need a dealer's credential; with one, GS1's SGTINs are not this brand's cases.
    r = client.post(
        "/v1/admin/epcis/events", json=_example("Example_9.6.1-ObjectEvent.jsonld"), headers=h
    )
    assert [x["error"] for x in r.json()["results"]] == ["EPCIS_EVENT_REFUSED"] * 2
    for name in (
        "Example_9.6.1-ObjectEvent.jsonld",
        "Example_9.6.1-ObjectEventWithDigitalLink.jsonld",
    ):
        assert problems(_example(name)) == []


def test_imports_are_idempotent_and_refuse_per_event(client: TestClient, brand: BrandCtx) -> None:
    _packed_world(client, brand)
    h = auth(brand.operator_token)
    doc = client.get("/v1/admin/epcis/events", headers=h).json()
    doc["epcisBody"]["eventList"] = [
        e for e in doc["epcisBody"]["eventList"] if e["type"] == "AggregationEvent"
    ]
    bad = copy.deepcopy(doc["epcisBody"]["eventList"][0])
    bad["eventID"] = "urn:uuid:2b0c1c6e-0000-4000-8000-000000000002"
    bad["childEPCs"] = ["https://id.gs1.org/01/06901234567891/21/X"]  # wrong check digit
    doc["epcisBody"]["eventList"].append(bad)
    first = client.post("/v1/admin/epcis/events", json=doc, headers=h).json()
    assert first["error"] == 1
    assert first["results"][-1]["error"] == "EPCIS_EVENT_REFUSED"
    assert "check digit" in first["results"][-1]["message"]
    with session_scope() as s:
        seen = s.scalar(
            select(func.count())
            .select_from(ImportedEvent)
            .where(ImportedEvent.brand_id == brand.id)
        )
    second = client.post("/v1/admin/epcis/events", json=doc, headers=h).json()
    assert second["duplicate"] == first["ok"] + first["ignored"]
    assert second["ok"] == 0
    with session_scope() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(ImportedEvent)
                .where(ImportedEvent.brand_id == brand.id)
            )
            == seen
        )


def test_invalid_documents_change_nothing(client: TestClient, brand: BrandCtx) -> None:
    h = auth(brand.operator_token)
    doc = _example("Example_9.6.3-AggregationEvent.jsonld")
    doc["epcisBody"]["eventList"][0]["action"] = "PACK"
    r = client.post("/v1/admin/epcis/events", json=doc, headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "EPCIS_INVALID")
    assert any("action" in p for p in r.json()["error"]["details"]["problems"])
    with session_scope() as s, pytest.raises(InvalidEpcis):
        epcis.import_document(s, brand_id=brand.id, document={"type": "EPCISDocument"}, actor="t")
    assert _links(brand.id) == 0


def test_round_trip_into_a_second_brand_gives_the_same_parents(
    client: TestClient, make_brand: Any
) -> None:
    a, b = make_brand(), make_brand()
    w = _packed_world(client, a)
    doc = client.get("/v1/admin/epcis/events", headers=auth(a.operator_token)).json()
    out = client.post("/v1/admin/epcis/events", json=doc, headers=auth(b.operator_token)).json()
    assert out["error"] == 2  # the shipments, which need a dealer's credential
    children = {
        c
        for e in doc["epcisBody"]["eventList"]
        if e["type"] == "AggregationEvent"
        for c in e["childEPCs"]
    }
    assert len(children) == 12
    with session_scope() as s:
        for child in children:
            here = epcis.parent_of(s, brand_id=a.id, identifier=child)
            there = epcis.parent_of(s, brand_id=b.id, identifier=child)
            assert here == there, child
        moved = f"https://qr.example.cn/01/06901234567892/21/{code(a.id, w['bottles'], 0)}"
        case1 = gs1.sscc(1, "6901234", 7000 + a.id * 10 + 1)
        assert (
            epcis.parent_of(s, brand_id=b.id, identifier=moved) == f"https://id.gs1.org/00/{case1}"
        )
        out_of_pack = f"https://qr.example.cn/01/06901234567892/21/{code(a.id, w['bottles'], 1)}"
        assert epcis.parent_of(s, brand_id=b.id, identifier=out_of_pack) is None


def test_a_brand_rebuilds_its_own_links_and_a_dealer_its_shipments(
    client: TestClient, brand: BrandCtx
) -> None:
    w = _packed_world(client, brand)
    doc = client.get("/v1/admin/epcis/events?form=urn", headers=auth(brand.operator_token)).json()
    bottle = code(brand.id, w["bottles"], 5)
    with session_scope() as s:
        codegen.unpack(s, brand_id=brand.id, child_codes=[bottle])
        assert epcis.parent_of(s, brand_id=brand.id, identifier=bottle) is None
    aggregation = copy.deepcopy(doc)
    aggregation["epcisBody"]["eventList"] = [
        e for e in doc["epcisBody"]["eventList"] if e["type"] == "AggregationEvent"
    ]
    r = client.post("/v1/admin/epcis/events", json=aggregation, headers=auth(brand.operator_token))
    assert r.json()["error"] == 0, r.text
    with session_scope() as s:
        sscc = gs1.sscc(1, "6901234", 7000 + brand.id * 10)
        assert (
            epcis.parent_of(s, brand_id=brand.id, identifier=bottle)
            == f"https://id.gs1.org/00/{sscc}"
        )
    assert _links(brand.id) == 0  # own codes go through codegen, not the partners' table
    # a second dealer's system sends the shipments: the same rows as its PDA would make
    with session_scope() as s:
        brands.add_dealer(s, brand_id=brand.id, code="D-2", name="Two", region_codes=["440100"])
    pda = client.post(
        "/v1/admin/pda-devices",
        json={"dealer_code": "D-2", "name": "WMS"},
        headers=auth(brand.admin_token),
    ).json()
    ships = copy.deepcopy(doc)
    ships["epcisBody"]["eventList"] = [
        e for e in doc["epcisBody"]["eventList"] if e["type"] == "ObjectEvent"
    ]
    for e in ships["epcisBody"]["eventList"]:
        e["eventID"] = e["eventID"][:-4] + "beef"
    r = client.post("/v1/dealer/epcis", json=ships, headers=auth(pda["credential"]))
    assert r.status_code == 200, r.text
    assert [x["changed"] for x in r.json()["results"]] == [2, 1]


def test_overlong_ids_are_refused_per_event(client: TestClient, brand: BrandCtx) -> None:
    doc = _example("Example_9.6.3-AggregationEvent.jsonld")
    event = doc["epcisBody"]["eventList"][0] | {"action": "ADD"}
    long_child = event | {
        "eventID": "urn:uuid:3b0c1c6e-0000-4000-8000-000000000003",
        "childEPCs": ["https://partner.example/item/" + "a" * 400],
    }
    long_id = event | {"eventID": "urn:x:" + "b" * 400}
    doc["epcisBody"]["eventList"] = [long_child, long_id]
    r = client.post("/v1/admin/epcis/events", json=doc, headers=auth(brand.operator_token))
    assert r.status_code == 200, r.text
    assert [x["error"] for x in r.json()["results"]] == ["EPCIS_EVENT_REFUSED"] * 2
    assert _links(brand.id) == 0
