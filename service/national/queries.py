"""The SQL of loading a national run: replace the rows of the shards and categories loaded.

Functions return statements (executed by their caller); geometries are given as WKB elements
in EPSG:4326.
"""

from __future__ import annotations

from sqlalchemy import Delete, Insert, delete, insert, tuple_

from service.national_tables import NationalDepartement, NationalGap, NationalZone

TABLES: dict[str, type[NationalZone] | type[NationalGap] | type[NationalDepartement]] = {
    "zones": NationalZone,
    "gaps": NationalGap,
    "summary": NationalDepartement,
}


def delete_shards(table: str, keys: list[tuple[str, str, str]]) -> Delete:
    """Remove the rows of these (département, mode, category) of ``table``."""
    model = TABLES[table]
    return delete(model).where(tuple_(model.departement, model.mode, model.category).in_(keys))


def insert_rows(table: str) -> Insert:
    """Insert rows of ``table`` (``zones``, ``gaps``, ``summary``), executed with a list of
    dicts."""
    return insert(TABLES[table])
