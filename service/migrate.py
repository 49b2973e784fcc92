"""Database migrations (Alembic), run programmatically: ``maillage db upgrade``, the demo, tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")

# PostGIS and its companions own these tables; the migrations never touch them.
_FOREIGN_TABLES = {"spatial_ref_sys", "geometry_columns", "geography_columns", "topology", "layer"}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: leave PostGIS's tables and any table we do not model alone."""
    foreign = name in _FOREIGN_TABLES or (reflected and compare_to is None)
    return not (type_ == "table" and foreign)


EXTENSIONS = ("postgis", "pg_trgm", "unaccent")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the extensions if allowed, then migrate the database to ``revision``."""
    with engine.begin() as connection:
        upgrade_connection(connection, revision)


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT to_regclass('alembic_version')")).scalar()
        if exists is None:
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
