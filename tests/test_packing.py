"""Aggregation (瓶箱关联): in order as ranges, out of order as links; lookups both ways."""

from __future__ import annotations

import pytest

import codegen
from codegen import format as fmt
from codegen.errors import InvalidPacking, PackingConflict, UnknownParent
from infra.db import session_scope
from tests.conftest import BrandCtx
from tests.helpers import LAGER, code, info, issue, row_counts


def _line(
    brand: BrandCtx, bottles: int = 48, per_case: int = 12, cases_per_pallet: int = 2
) -> dict[str, int]:
    b = {
        "caps": issue(brand.id, "cap", bottles),
        "bottles": issue(brand.id, "bottle", bottles),
        "cases": issue(brand.id, "case", bottles // per_case),
        "pallets": issue(brand.id, "pallet", 2),
    }
    with session_scope() as s:
        codegen.pack_in_order(
            s,
            brand_id=brand.id,
            child_batch_id=b["caps"],
            parent_batch_id=b["bottles"],
            per_parent=1,
        )
        codegen.pack_in_order(
            s,
            brand_id=brand.id,
            child_batch_id=b["bottles"],
            parent_batch_id=b["cases"],
            per_parent=per_case,
        )
        codegen.pack_in_order(
            s,
            brand_id=brand.id,
            child_batch_id=b["cases"],
            parent_batch_id=b["pallets"],
            per_parent=cases_per_pallet,
        )
    return b


def test_in_order_packing_is_one_row_per_range(brand: BrandCtx) -> None:
    _line(brand, bottles=1200, per_case=12, cases_per_pallet=50)
    assert row_counts(brand.id)["pack_ranges"] == 3
    assert row_counts(brand.id)["pack_links"] == 0


def test_parent_chain_and_children_of_in_order_packing(brand: BrandCtx) -> None:
    b = _line(brand)
    cap = info(brand.id, code(brand.id, b["caps"], 13))
    assert [p.kind for p in cap.parents] == ["bottle", "case", "pallet"]
    assert [p.index for p in cap.parents] == [13, 1, 0]
    case = info(brand.id, code(brand.id, b["cases"], 1))
    assert [c.index for c in case.children] == list(range(12, 24))
    assert {c.kind for c in case.children} == {"bottle"}
    assert [c.code for c in case.children] == [
        code(brand.id, b["bottles"], i) for i in range(12, 24)
    ]
    pallet = info(brand.id, code(brand.id, b["pallets"], 1))
    assert [c.index for c in pallet.children] == [2, 3]
    assert info(brand.id, code(brand.id, b["pallets"], 1)).parents == []


def test_out_of_order_packing_repacking_and_removal(brand: BrandCtx) -> None:
    b = _line(brand)
    moved = code(brand.id, b["bottles"], 0)  # from case 0 …
    target = code(brand.id, b["cases"], 3)  # … into case 3
    with session_scope() as s:
        assert (
            codegen.pack_links(s, brand_id=brand.id, parent_code=target, child_codes=[moved]) == 1
        )
    assert info(brand.id, moved).parents[0].index == 3
    case0 = [c.index for c in info(brand.id, code(brand.id, b["cases"], 0)).children]
    assert 0 not in case0
    assert len(case0) == 11
    case3 = [c.index for c in info(brand.id, target).children]
    assert 0 in case3
    assert len(case3) == 13
    # repack it back, then take it out altogether
    with session_scope() as s:
        codegen.pack_links(
            s, brand_id=brand.id, parent_code=code(brand.id, b["cases"], 0), child_codes=[moved]
        )
    assert info(brand.id, moved).parents[0].index == 0
    assert len(info(brand.id, target).children) == 12
    with session_scope() as s:
        codegen.unpack(s, brand_id=brand.id, child_codes=[moved])
    assert info(brand.id, moved).parents == []
    assert len(info(brand.id, code(brand.id, b["cases"], 0)).children) == 11


def test_activating_a_pallet_activates_everything_in_it(brand: BrandCtx) -> None:
    b = _line(brand)  # pallet 0 holds cases 0-1, bottles 0-23, caps 0-23
    # a bottle of case 2 (pallet 1) moved into case 0 goes along; one of case 1 moved out does not
    with session_scope() as s:
        codegen.pack_links(
            s,
            brand_id=brand.id,
            parent_code=code(brand.id, b["cases"], 0),
            child_codes=[code(brand.id, b["bottles"], 30)],
        )
        codegen.pack_links(
            s,
            brand_id=brand.id,
            parent_code=code(brand.id, b["cases"], 3),
            child_codes=[code(brand.id, b["bottles"], 20)],
        )
    with session_scope() as s:
        results = codegen.activate_by_parent(
            s, brand_id=brand.id, parent_code=code(brand.id, b["pallets"], 0), binding=LAGER
        )
    assert sum(r.changed for r in results) == 1 + 2 + 24 + 24
    for kind, index, state in [
        ("cases", 1, "active"),
        ("bottles", 0, "active"),
        ("caps", 23, "active"),
        ("bottles", 30, "active"),
        ("caps", 30, "active"),
        ("bottles", 20, "blank"),
        ("caps", 20, "blank"),
        ("cases", 2, "blank"),
        ("bottles", 24, "blank"),
        ("pallets", 1, "blank"),
    ]:
        assert info(brand.id, code(brand.id, b[kind], index)).state == state, (kind, index)


def test_packing_errors_change_nothing(brand: BrandCtx) -> None:
    b = _line(brand)
    before = row_counts(brand.id)
    case = code(brand.id, b["cases"], 0)
    bottle = code(brand.id, b["bottles"], 0)
    pallet = code(brand.id, b["pallets"], 0)
    forged = fmt.assemble(case[:3], 42)
    cases: list[tuple[type[Exception], dict[str, object]]] = [
        (UnknownParent, {"parent_code": forged, "child_codes": [bottle]}),
        (InvalidPacking, {"parent_code": bottle, "child_codes": [case]}),  # case into a bottle
        (InvalidPacking, {"parent_code": pallet, "child_codes": [pallet]}),
    ]
    for error, kwargs in cases:
        with pytest.raises(error), session_scope() as s:
            codegen.pack_links(s, brand_id=brand.id, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(PackingConflict), session_scope() as s:
        codegen.pack_in_order(
            s,
            brand_id=brand.id,
            child_batch_id=b["bottles"],
            parent_batch_id=b["cases"],
            per_parent=12,
        )
    with pytest.raises(InvalidPacking), session_scope() as s:
        codegen.pack_in_order(
            s, brand_id=brand.id, child_batch_id=b["cases"], parent_batch_id=b["caps"], per_parent=1
        )
    with pytest.raises(InvalidPacking), session_scope() as s:
        codegen.unpack(s, brand_id=brand.id, child_codes=[pallet])
    assert row_counts(brand.id) == before
