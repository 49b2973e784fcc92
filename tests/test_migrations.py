"""The migrations are the schema: they match the models, and go down and up again cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from service.db import Base
from service.migrate import current_revision, include_object, upgrade, upgrade_connection


def test_models_and_migrations_agree(scratch_url: str) -> None:
    engine = create_engine(scratch_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_base_and_upgrade_again(scratch_url: str) -> None:
    from alembic import command

    from service.migrate import alembic_config

    engine = create_engine(scratch_url)
    upgrade(engine)
    head = current_revision(engine)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not {"partner", "network"} & set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        upgrade_connection(connection)
    assert current_revision(engine) == head
    assert {"partner", "opportunity", "relation", "commune", "api_key", "network"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()
