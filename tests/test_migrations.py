"""The schema comes from migrations, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from brands import models as _b  # noqa: F401
from codegen import models as _c  # noqa: F401
from epcis import models as _e  # noqa: F401
from infra.db import Base, get_engine
from infra.migrate import alembic_config
from logistics import models as _l  # noqa: F401
from payouts import models as _p  # noqa: F401
from rewards import models as _r  # noqa: F401
from rewards.partitions import is_partition
from risk import models as _k  # noqa: F401


def test_database_is_at_head() -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with get_engine().connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_models_and_migrations_agree() -> None:
    with get_engine().connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_object": lambda obj, name, kind, reflected, compare_to: (
                    not (kind == "table" and is_partition(name))
                )
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
