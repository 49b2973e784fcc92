"""The SQL of coverage: demand layers (writing a layer and its values, reading the territory's
communes), and the loaded results of national runs (``departements=``).

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
from service.tables import (
    Commune,
    DemandLayer,
    DemandValue,
    NationalDepartement,
    NationalGap,
    NationalZone,
)


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


# --- national runs (maillage national load) --------------------------------------------------


def national_zones(
    departements: list[str] | None, *, mode: str, category: str, max_minutes: float
) -> AnySelect:
    """The loaded zones of a national run (all départements when ``None``), with their
    polygon as GeoJSON text, by département then zone."""
    query = select(NationalZone, func.ST_AsGeoJSON(NationalZone.geom, 6)).where(
        NationalZone.mode == mode,
        NationalZone.category == category,
        NationalZone.max_minutes == max_minutes,
    )
    if departements is not None:
        query = query.where(NationalZone.departement.in_(departements))
    return query.order_by(NationalZone.departement, NationalZone.zone_id)


def national_gaps(
    departements: list[str] | None,
    *,
    mode: str,
    category: str,
    max_minutes: float,
    kind: str | None,
) -> AnySelect:
    """The loaded gaps of a national run, ranked across départements as
    `graph.coverage.rank_gaps` ranks them: people affected, severity, then département, zone
    and kind."""
    query = select(NationalGap).where(
        NationalGap.mode == mode,
        NationalGap.category == category,
        NationalGap.max_minutes == max_minutes,
    )
    if departements is not None:
        query = query.where(NationalGap.departement.in_(departements))
    if kind is not None:
        query = query.where(NationalGap.kind == kind)
    return query.order_by(
        NationalGap.people_affected.desc(),
        NationalGap.severity.desc(),
        NationalGap.departement,
        NationalGap.zone_id,
        NationalGap.kind,
    )


def national_shards(
    departements: list[str] | None, *, mode: str, category: str, max_minutes: float
) -> AnySelect:
    """Per loaded département: run, real network or not, zones, demand and demand covered."""
    query = select(
        NationalZone.departement,
        func.min(NationalZone.run_id),
        func.bool_and(NationalZone.real),
        func.count(),
        func.sum(NationalZone.demand),
        func.sum(NationalZone.demand).filter(NationalZone.covered),
        func.bool_or(NationalZone.estimated),
    ).where(
        NationalZone.mode == mode,
        NationalZone.category == category,
        NationalZone.max_minutes == max_minutes,
    )
    if departements is not None:
        query = query.where(NationalZone.departement.in_(departements))
    return query.group_by(NationalZone.departement).order_by(NationalZone.departement)


def national_departements(
    departements: list[str] | None, *, mode: str, category: str, max_minutes: float
) -> AnySelect:
    """The loaded summary of each département (share within the budget, outline as GeoJSON
    text), by département."""
    query = select(NationalDepartement, func.ST_AsGeoJSON(NationalDepartement.geom, 5)).where(
        NationalDepartement.mode == mode,
        NationalDepartement.category == category,
        NationalDepartement.max_minutes == max_minutes,
    )
    if departements is not None:
        query = query.where(NationalDepartement.departement.in_(departements))
    return query.order_by(NationalDepartement.departement)
