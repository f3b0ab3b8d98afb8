"""Alembic environment: the engine and metadata are the application's own."""

from __future__ import annotations

from alembic import context

# Importing each domain's tables registers them on the shared metadata.
from brands import models as _brands  # noqa: F401
from codegen import models as _codegen  # noqa: F401
from epcis import models as _epcis  # noqa: F401
from infra.db import Base, get_engine
from logistics import models as _logistics  # noqa: F401
from payouts import models as _payouts  # noqa: F401
from rewards import models as _rewards  # noqa: F401
from rewards.partitions import is_partition
from risk import models as _risk  # noqa: F401

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection") or get_engine()
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
        # The scan table's month partitions are made by rewards/partitions.py, not the models.
        include_object=lambda obj, name, kind, reflected, compare_to: (
            not (kind == "table" and is_partition(name))
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
