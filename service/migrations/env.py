"""Alembic environment: runs on the connection handed over by `service.migrate`, or on a URL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from service import tables  # noqa: F401  (registers the tables on the metadata)
from service.db import Base

# PostGIS and its companions own these tables; the migrations never touch them.
_FOREIGN_TABLES = {"spatial_ref_sys", "geometry_columns", "geography_columns", "topology", "layer"}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    foreign = name in _FOREIGN_TABLES or (reflected and compare_to is None)
    return not (type_ == "table" and foreign)


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
