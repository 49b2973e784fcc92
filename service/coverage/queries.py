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
from service.national_tables import NationalDepartement, NationalGap, NationalZone
from service.tables import (
    Commune,
    DemandLayer,
    DemandValue,
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


National = type[NationalZone] | type[NationalGap] | type[NationalDepartement]


def _of_shards(
    query: AnySelect,
    model: National,
    departements: list[str] | None,
    *,
    mode: str,
    category: str,
    max_minutes: float,
) -> AnySelect:
    """``query`` kept to one mode × category × budget (minutes) of these départements (all
    when ``None``)."""
    query = query.where(
        model.mode == mode, model.category == category, model.max_minutes == max_minutes
    )
    if departements is not None:
        query = query.where(model.departement.in_(departements))
    return query


def national_zones(departements: list[str] | None, **shard: Any) -> AnySelect:
    """The loaded zones of a national run (``shard``: mode, category, max_minutes), with
    their polygon as GeoJSON text, by département then zone."""
    query = select(NationalZone, func.ST_AsGeoJSON(NationalZone.geom, 6))
    query = _of_shards(query, NationalZone, departements, **shard)
    return query.order_by(NationalZone.departement, NationalZone.zone_id)


def national_gaps(departements: list[str] | None, *, kind: str | None, **shard: Any) -> AnySelect:
    """The loaded gaps of a national run, ranked across départements as
    `graph.coverage.rank_gaps` ranks them: people affected, severity, then département, zone
    and kind."""
    query = _of_shards(select(NationalGap), NationalGap, departements, **shard)
    if kind is not None:
        query = query.where(NationalGap.kind == kind)
    return query.order_by(
        NationalGap.people_affected.desc(),
        NationalGap.severity.desc(),
        NationalGap.departement,
        NationalGap.zone_id,
        NationalGap.kind,
    )


def national_shards(departements: list[str] | None, **shard: Any) -> AnySelect:
    """Per loaded département: run, real network or not, zones, demand and demand covered."""
    query = select(
        NationalZone.departement,
        func.min(NationalZone.run_id),
        func.bool_and(NationalZone.real),
        func.count(),
        func.sum(NationalZone.demand),
        func.sum(NationalZone.demand).filter(NationalZone.covered),
        func.bool_or(NationalZone.estimated),
    )
    query = _of_shards(query, NationalZone, departements, **shard)
    return query.group_by(NationalZone.departement).order_by(NationalZone.departement)


def national_departements(departements: list[str] | None, **shard: Any) -> AnySelect:
    """The loaded summary of each département (share within the budget, outline as GeoJSON
    text), by département."""
    query = select(NationalDepartement, func.ST_AsGeoJSON(NationalDepartement.geom, 5))
    query = _of_shards(query, NationalDepartement, departements, **shard)
    return query.order_by(NationalDepartement.departement)
