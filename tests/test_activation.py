"""Activation (空码赋值) and voiding: states, conflicts, and errors that change nothing."""

from __future__ import annotations

from datetime import date

import pytest

import codegen
from brands.errors import UnknownReference
from codegen.errors import (
    ActivationConflict,
    BatchNotFound,
    CodeVoided,
    RangeOutsideBatch,
)
from infra.db import session_scope
from tests.conftest import BrandCtx
from tests.helpers import IPA, LAGER, code, info, issue, row_counts


def _activate(
    brand: BrandCtx, batch: int, start: int, count: int, binding: codegen.Binding = LAGER
) -> int:
    with session_scope() as s:
        return codegen.activate_range(
            s, brand_id=brand.id, batch_id=batch, start_index=start, count=count, binding=binding
        ).changed


def test_blank_until_activated_then_bound(brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 100)
    assert info(brand.id, code(brand.id, batch, 10)).state == "blank"
    binding = codegen.Binding("LAGER-500", "L20261101", date(2026, 11, 1), "GZ-1")
    with session_scope() as s:
        codegen.activate_range(
            s, brand_id=brand.id, batch_id=batch, start_index=10, count=20, binding=binding
        )
    got = info(brand.id, code(brand.id, batch, 10))
    assert (got.state, got.product_sku, got.lot, got.production_date, got.factory) == (
        "active",
        "LAGER-500",
        "L20261101",
        date(2026, 11, 1),
        "GZ-1",
    )
    assert info(brand.id, code(brand.id, batch, 29)).state == "active"
    assert info(brand.id, code(brand.id, batch, 30)).state == "blank"
    assert info(brand.id, code(brand.id, batch, 9)).state == "blank"


def test_activating_again_with_the_same_binding_is_a_no_op(brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 100)
    assert _activate(brand, batch, 0, 50) == 50
    assert _activate(brand, batch, 0, 50) == 0
    assert _activate(brand, batch, 40, 20) == 10  # only the 10 new codes
    assert row_counts(brand.id)["code_activations"] == 2


def test_conflicting_activation_is_refused_and_changes_nothing(brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 100)
    _activate(brand, batch, 0, 50)
    before = row_counts(brand.id)
    with pytest.raises(ActivationConflict) as err:
        _activate(brand, batch, 45, 20, IPA)
    assert err.value.code == "ACTIVATION_CONFLICT"
    assert err.value.details["conflict_from_index"] == 45
    assert row_counts(brand.id) == before
    assert info(brand.id, code(brand.id, batch, 55)).state == "blank"


@pytest.mark.parametrize(("start", "count"), [(95, 10), (100, 1), (0, 0), (-1, 5), (0, 101)])
def test_range_outside_the_batch(brand: BrandCtx, start: int, count: int) -> None:
    batch = issue(brand.id, "cap", 100)
    with pytest.raises(RangeOutsideBatch) as err:
        _activate(brand, batch, start, count)
    assert err.value.code == "RANGE_OUTSIDE_BATCH"
    assert row_counts(brand.id)["code_activations"] == 0


def test_unknown_product_or_campaign_or_batch(brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 10)
    with pytest.raises(UnknownReference):
        _activate(brand, batch, 0, 5, codegen.Binding("NO-SUCH-SKU"))
    with pytest.raises(UnknownReference):
        _activate(brand, batch, 0, 5, codegen.Binding("LAGER-500", campaign_slug="nope"))
    with pytest.raises(BatchNotFound):
        _activate(brand, batch + 10_000, 0, 5)
    assert row_counts(brand.id)["code_activations"] == 0


def test_voided_codes_scan_as_voided_and_cannot_be_activated(brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 100)
    _activate(brand, batch, 0, 100)
    with session_scope() as s:
        result = codegen.void_range(
            s, brand_id=brand.id, batch_id=batch, start_index=90, count=10, reason="damaged roll"
        )
    assert result.changed == 10
    got = info(brand.id, code(brand.id, batch, 95))
    assert (got.state, got.void_reason) == ("voided", "damaged roll")
    assert info(brand.id, code(brand.id, batch, 89)).state == "active"
    other = issue(brand.id, "cap", 10)
    with session_scope() as s:
        codegen.void_range(
            s, brand_id=brand.id, batch_id=other, start_index=0, count=5, reason="recall"
        )
    with pytest.raises(CodeVoided):
        _activate(brand, other, 0, 10)
    assert info(brand.id, code(brand.id, other, 7)).state == "blank"


def test_activate_from_first_to_last_code_of_a_roll(brand: BrandCtx) -> None:
    batch = issue(brand.id, "cap", 100)
    first, last = code(brand.id, batch, 20), code(brand.id, batch, 39)
    with session_scope() as s:
        batch_id, start, count = codegen.codes_to_range(
            s, brand_id=brand.id, first_code=first, last_code=last
        )
    assert (batch_id, start, count) == (batch, 20, 20)
    with session_scope() as s, pytest.raises(RangeOutsideBatch):
        codegen.codes_to_range(s, brand_id=brand.id, first_code=last, last_code=first)
    other = issue(brand.id, "cap", 10)
    with session_scope() as s, pytest.raises(RangeOutsideBatch):
        codegen.codes_to_range(
            s, brand_id=brand.id, first_code=first, last_code=code(brand.id, other, 1)
        )
