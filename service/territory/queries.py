"""The territory feature's SQL: the communes as GeoJSON and their upsert, the figures, the
isolated AHI structures. Points and polygons EPSG:4326; distances in metres on the spheroid
(geography).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Insert,
    TextClause,
    and_,
    cast,
    exists,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from graph import vocabulary
from graph.coverage import AHI_FAMILY, EMPLOYER_FAMILIES
from service.db import AnySelect
from service.store.records import GEOGRAPHY
from service.tables import Commune, Opportunity, Partner, Relation

SIMPLIFY_DEGREES = 0.0005
"""Tolerance of ``ST_SimplifyPreserveTopology`` on commune polygons, in degrees (≈ 40–55 m)."""

COORDINATE_DECIMALS = 5
"""Decimals kept in GeoJSON coordinates (1e-5° ≈ 1 m)."""


def communes_geojson(departement: str | None) -> TextClause:
    """The communes (of one département, or all) as one FeatureCollection text, built by PostGIS.

    Polygons simplified by ``ST_SimplifyPreserveTopology`` (`SIMPLIFY_DEGREES`), coordinates
    rounded to `COORDINATE_DECIMALS`; ``lon``/``lat`` of the town hall (a point inside the
    commune when unknown).
    """
    sql = text(
        """
        SELECT json_build_object(
          'type', 'FeatureCollection',
          'features', coalesce(json_agg(f ORDER BY code_insee), '[]'::json)
        )::text
        FROM (
          SELECT code_insee, json_build_object(
            'type', 'Feature',
            'id', code_insee,
            'geometry', ST_AsGeoJSON(
              ST_Multi(ST_SimplifyPreserveTopology(geom, :tolerance)), :decimals
            )::json,
            'properties', json_build_object(
              'code_insee', code_insee,
              'name', name,
              'population', population,
              'departement', departement,
              'epci', epci,
              'lon', round(ST_X(coalesce(town_hall, ST_PointOnSurface(geom)))::numeric, :decimals),
              'lat', round(ST_Y(coalesce(town_hall, ST_PointOnSurface(geom)))::numeric, :decimals)
            )
          ) AS f
          FROM commune
          WHERE CAST(:departement AS text) IS NULL OR departement = :departement
        ) AS features
        """
    )
    return sql.bindparams(
        **{
            "tolerance": SIMPLIFY_DEGREES,
            "decimals": COORDINATE_DECIMALS,
            "departement": departement,
        }
    )


def partners_by_family() -> AnySelect:
    """(family, number of partners)."""
    return select(Partner.family, func.count()).group_by(Partner.family)


def partner_freshness(fresh_months: int) -> AnySelect:
    """(partners, oldest update, newest update, partners updated within ``fresh_months``)."""
    threshold = func.now() - func.make_interval(0, fresh_months)  # (years, months)
    return select(
        func.count(),
        func.min(Partner.updated_at),
        func.max(Partner.updated_at),
        func.count().filter(Partner.updated_at >= threshold),
    )


def partners_by_source() -> AnySelect:
    """(source, number of partners), the largest first."""
    return (
        select(Partner.source, func.count())
        .group_by(Partner.source)
        .order_by(func.count().desc(), Partner.source)
    )


def loaded_departements() -> AnySelect:
    """The départements whose communes are loaded."""
    return select(Commune.departement).distinct().order_by(Commune.departement)


def count_opportunities() -> AnySelect:
    return select(func.count()).select_from(Opportunity)


def count_relations() -> AnySelect:
    return select(func.count()).select_from(Relation)


def count_communes() -> AnySelect:
    return select(func.count()).select_from(Commune)


def count_hosting() -> AnySelect:
    """How many hosting (AHI) structures the store holds."""
    return select(func.count()).select_from(Partner).where(Partner.family == AHI_FAMILY)


def isolated_hosting() -> AnySelect:
    """AHI structures with no relation to an employer, each with its nearest SIAE (lateral KNN).

    Columns: the partner, ``lon``, ``lat``, ``relations`` (its relation count), ``siae_id``,
    ``siae_name``, ``siae_kind``, ``distance_m`` (metres, geography); by name.
    """
    other = aliased(Partner)
    linked_to_employer = exists().where(
        and_(
            or_(
                and_(
                    Relation.source_partner_id == Partner.id, other.id == Relation.target_partner_id
                ),
                and_(
                    Relation.target_partner_id == Partner.id, other.id == Relation.source_partner_id
                ),
            ),
            other.family.in_(sorted(EMPLOYER_FAMILIES)),
        )
    )
    relation_count = (
        select(func.count())
        .select_from(Relation)
        .where(
            or_(Relation.source_partner_id == Partner.id, Relation.target_partner_id == Partner.id)
        )
        .scalar_subquery()
    )
    siae = aliased(Partner)
    nearest = (
        select(siae.id, siae.name, siae.kind, siae.geom)
        .where(siae.kind.in_(sorted(vocabulary.SIAE_KINDS)))
        # on the geography (metres), served by the GiST index on geom::geography
        .order_by(cast(siae.geom, GEOGRAPHY).op("<->")(cast(Partner.geom, GEOGRAPHY)))
        .limit(1)
        .lateral("nearest")
    )
    distance = func.ST_Distance(
        cast(nearest.c.geom, GEOGRAPHY), cast(Partner.geom, GEOGRAPHY)
    ).label("distance_m")
    return (
        select(
            Partner,
            func.ST_X(Partner.geom).label("lon"),
            func.ST_Y(Partner.geom).label("lat"),
            relation_count.label("relations"),
            nearest.c.id.label("siae_id"),
            nearest.c.name.label("siae_name"),
            nearest.c.kind.label("siae_kind"),
            distance,
        )
        .outerjoin(nearest, true())
        .where(Partner.family == AHI_FAMILY, ~linked_to_employer)
        .order_by(Partner.name, Partner.id)
    )


def upsert_communes(rows: Sequence[Mapping[str, Any]]) -> Insert:
    """Insert communes or update them by code INSEE; ``rows`` are ``commune`` column values
    (the same keys in each, ``geom`` and ``town_hall`` EPSG:4326)."""
    stmt = insert(Commune).values(list(rows))
    return stmt.on_conflict_do_update(
        index_elements=[Commune.code_insee],
        set_={name: stmt.excluded[name] for name in rows[0] if name != "code_insee"},
    )
