"""Brands are tenants: nothing of one brand is reachable through another."""

from __future__ import annotations

import pytest

import codegen
from codegen.errors import BatchNotFound, CodeNotFound, ExportNotFound
from infra.db import session_scope
from infra.redis import brand_key
from tests.helpers import LAGER, code, issue


def test_services_refuse_another_brands_codes_and_batches(make_brand) -> None:  # type: ignore[no-untyped-def]
    a, b = make_brand(), make_brand()
    batch_b = issue(b.id, "cap", 10)
    code_b = code(b.id, batch_b, 0)
    with session_scope() as s:
        export_b, _ = codegen.create_export(s, brand_id=b.id, batch_id=batch_b)
        export_id = export_b.id
    attempts = [
        (CodeNotFound, lambda s: codegen.lookup(s, brand_id=a.id, text=code_b)),
        (BatchNotFound, lambda s: codegen.get_batch(s, brand_id=a.id, batch_id=batch_b)),
        (
            BatchNotFound,
            lambda s: codegen.activate_range(
                s, brand_id=a.id, batch_id=batch_b, start_index=0, count=1, binding=LAGER
            ),
        ),
        (
            BatchNotFound,
            lambda s: codegen.void_range(
                s, brand_id=a.id, batch_id=batch_b, start_index=0, count=1, reason="x"
            ),
        ),
        (CodeNotFound, lambda s: codegen.unpack(s, brand_id=a.id, child_codes=[code_b])),
        (ExportNotFound, lambda s: codegen.get_export(s, brand_id=a.id, export_id=export_id)),
    ]
    for error, attempt in attempts:
        with pytest.raises(error), session_scope() as s:
            attempt(s)
    with session_scope() as s:
        assert codegen.lookup(s, brand_id=b.id, text=code_b).state == "blank"


def test_redis_keys_are_brand_scoped() -> None:
    assert brand_key(42, "export", "abc") == "oc:{b42}:export:abc"
    for bad in (0, -1, "42", None):
        with pytest.raises(ValueError):
            brand_key(bad, "x")  # type: ignore[arg-type]


def test_every_table_with_data_names_its_brand() -> None:
    from brands import models as _b  # noqa: F401  (each import registers its tables)
    from codegen import models as _c  # noqa: F401
    from epcis import models as _e  # noqa: F401
    from infra.db import Base
    from logistics import models as _l  # noqa: F401
    from payouts import models as _p  # noqa: F401
    from rewards import models as _r  # noqa: F401
    from risk import models as _k  # noqa: F401

    exempt = {"brands", "dealer_regions", "alembic_version"}  # the tenant itself; a pure join table
    for table in Base.metadata.sorted_tables:
        if table.name not in exempt:
            assert "brand_id" in table.columns, table.name
