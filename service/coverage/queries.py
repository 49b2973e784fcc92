"""The SQL of demand layers: writing a layer and its values, reading the territory's communes.

Functions return statements (executed by their caller); polygons come out as WKB in
EPSG:4326 longitude and latitude degrees.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Delete, Insert, delete, func, insert, select
from sqlalchemy.dialects.postgresql import Insert as UpsertInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.dml import ReturningInsert

from service.db import AnySelect
from service.tables import Commune, DemandLayer, DemandValue


def commune_codes() -> AnySelect:
    """The codes INSEE of the loaded communes."""
    return select(Commune.code_insee)


def commune_polygons() -> AnySelect:
    """Code INSEE and WKB polygon (EPSG:4326) of every loaded commune, by code."""
    return select(Commune.code_insee, func.ST_AsBinary(Commune.geom)).order_by(Commune.code_insee)


def upsert_layer(
    *, name: str, label: str, zone_kind: str, unit: str | None, source: str | None
) -> ReturningInsert[Any]:
    """Create the layer ``name`` or replace its description (``loaded_at`` now); returns its id."""
    new: UpsertInsert = pg_insert(DemandLayer).values(
        name=name, label=label, unit=unit, source=source, zone_kind=zone_kind
    )
    return new.on_conflict_do_update(
        index_elements=[DemandLayer.name],
        set_={
            "label": new.excluded.label,
            "unit": new.excluded.unit,
            "source": new.excluded.source,
            "zone_kind": new.excluded.zone_kind,
            "loaded_at": func.now(),
        },
    ).returning(DemandLayer.id)


def delete_layer_values(layer_id: int) -> Delete:
    """Remove every value of one layer."""
    return delete(DemandValue).where(DemandValue.layer_id == layer_id)


def insert_layer_values() -> Insert:
    """Insert values, executed with rows ``{"layer_id", "zone_id", "value"}``."""
    return insert(DemandValue)
