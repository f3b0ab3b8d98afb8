"""Every printed code is unique across batches and brands, also when issued concurrently."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import codegen
from codegen.batches import key_of
from codegen.keys import thread_cipher
from codegen.models import KINDS
from codegen.printlines import Sealer
from codegen.sealing import secret_of
from infra.db import session_scope
from tests.conftest import BrandCtx


def _all_codes(batch_id: int, brand_id: int) -> list[str]:
    with session_scope() as s:
        batch = codegen.get_batch(s, brand_id=brand_id, batch_id=batch_id)
        key = key_of(s, batch)
        sealer = Sealer(key.key_id, thread_cipher(key.key_id, secret_of(key)))
        serials = np.arange(batch.first_serial, batch.end_serial, dtype=np.uint64)
        return [row.tobytes().decode() for row in sealer.codes(serials)]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plan=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(KINDS), st.integers(1, 3000), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_codes_unique_across_batches_brands_and_keys(make_brand, plan) -> None:  # type: ignore[no-untyped-def]
    brands = [make_brand() for _ in range(3)]
    seen: set[str] = set()
    total = 0
    for which, kind, count, rotate in plan:
        brand: BrandCtx = brands[which]
        with session_scope() as s:
            if rotate:
                codegen.rotate_key(s, brand_id=brand.id)
            batch = codegen.issue_batch(s, brand_id=brand.id, kind=kind, count=count)
        codes = _all_codes(batch.id, brand.id)
        total += len(codes)
        seen.update(codes)
        assert len(seen) == total
        # and each opens back to its own brand
        assert codegen.open_code(codes[-1]).brand_id == brand.id


def test_concurrent_issuing_never_overlaps(brand: BrandCtx) -> None:
    def issue(_: int) -> tuple[str, int, int]:
        with session_scope() as s:
            b = codegen.issue_batch(s, brand_id=brand.id, kind="cap", count=1000)
            return b.key_id, b.first_serial, b.end_serial

    with ThreadPoolExecutor(8) as pool:
        ranges = sorted(pool.map(issue, range(40)))
    assert len(ranges) == 40
    for (key_a, _, end), (key_b, start, _) in itertools.pairwise(ranges):
        assert key_a != key_b or end <= start
