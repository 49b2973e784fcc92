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


def test_records_stored_before_0006_are_stripped_and_a_reimport_finds_them_unchanged(
    scratch_url: str,
) -> None:
    """0006 stores provenance records without their null fields; a record written in the
    earlier form (nulls kept) is rewritten by the migration, so re-importing the same file
    reports it unchanged."""
    import json

    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from geodata.sources.finess import read_finess
    from service.imports.sources import import_source
    from service.imports.staging import _PARTNER_EXCLUDE
    from service.migrate import alembic_config
    from tests.geodata.sources import CENTROIDS, FIXTURES

    engine = create_engine(scratch_url)
    result = read_finess(FIXTURES / "finess_gard.csv", commune_centroids=CENTROIDS)
    upgrade(engine)
    with Session(engine) as session:
        assert import_source(session, result, source="finess", partial=True).applied
        session.commit()
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
        # the form 0005 stored: every partner field, nulls included
        for record in result.records:
            old = {
                "partner": json.loads(record.partner.model_dump_json(exclude=_PARTNER_EXCLUDE)),
                "geocoding": record.geocoding,
                "opportunities": [],
                "extra": dict(record.extra),
            }
            connection.execute(
                text("UPDATE provenance SET record = CAST(:r AS jsonb) WHERE source_id = :id"),
                {"r": json.dumps(old, default=str), "id": record.source_id},
            )
        nulls = connection.execute(
            text("SELECT count(*) FROM provenance WHERE record -> 'partner' ? 'capacity'")
        ).scalar_one()
        assert nulls == len(result.records)
    upgrade(engine)
    with engine.connect() as connection:
        assert not connection.execute(
            text("SELECT count(*) FROM provenance WHERE record -> 'partner' ? 'capacity'")
        ).scalar_one()
    with Session(engine) as session:
        again = import_source(session, result, source="finess", partial=True)
        session.commit()
    engine.dispose()
    assert again.unchanged == len(result.records)
    assert again.updated == again.created == 0
