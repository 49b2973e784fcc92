"""Alembic environment: runs on the connection handed over by `service.migrate`, or on a URL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from service import national_tables, tables  # noqa: F401  (registers the tables on the metadata)
from service.db import Base
from service.migrate import include_object


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url") or ""
        engine = create_engine(url, hide_parameters=True)  # no bound value in an error's text
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
