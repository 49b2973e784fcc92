"""The territory feature's SQL: the communes as GeoJSON and their upsert, the figures, the
isolated AHI structures. Points and polygons EPSG:4326; distances in metres on the spheroid
(geography).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import (
    Insert,
    TextClause,
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
from service.store.queries import confirmed_at, freshness
from service.store.records import GEOGRAPHY
from service.tables import Commune, Opportunity, Partner, Provenance, Relation

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


def count_partners() -> AnySelect:
    return select(func.count()).select_from(Partner)


def partners_by_family() -> AnySelect:
    """(family, number of partners)."""
    return select(Partner.family, func.count()).group_by(Partner.family)


def _stale_limit(stale_after_days: int) -> Any:
    return func.now() - dt.timedelta(days=stale_after_days)


def partner_freshness(stale_after_days: int) -> AnySelect:
    """(open partners, those stale by the rule of their sources — what
    ``GET /v1/partners?stale=true`` lists —, those with no live source record: written in
    maillage, their freshness is their ``updated_at``)."""
    live_record = exists().where(
        Provenance.partner_id == Partner.id,
        Provenance.gone_at.is_(None),
        Provenance.record.is_not(None),
    )
    return select(
        func.count(),
        func.count().filter(freshness() < _stale_limit(stale_after_days)),
        func.count().filter(~live_record),
    ).where(Partner.status == "open")


def source_freshness(stale_after_days: int) -> AnySelect:
    """Per source, the live records of open partners: ``(source, records, last seen in an
    extract, first of those, oldest and newest producer's date, records the producer dated,
    records stale by the source's rule)``, the largest source first."""
    return (
        select(
            Provenance.source,
            func.count(),
            func.max(Provenance.seen_at),
            func.min(Provenance.seen_at),
            func.min(Provenance.source_updated_on),
            func.max(Provenance.source_updated_on),
            func.count(Provenance.source_updated_on),
            func.count().filter(confirmed_at() < _stale_limit(stale_after_days)),
        )
        .join(Partner, Partner.id == Provenance.partner_id)
        .where(
            Partner.status == "open",
            Provenance.gone_at.is_(None),
            Provenance.record.is_not(None),
        )
        .group_by(Provenance.source)
        .order_by(func.count().desc(), Provenance.source)
    )


def count_commune_placed() -> AnySelect:
    """Open partners only placed at their commune's centroid: their canonical provenance's
    record says ``geocoding: "commune"``."""
    return (
        select(func.count())
        .select_from(Partner)
        .join(
            Provenance,
            (Provenance.partner_id == Partner.id)
            & (Provenance.source == Partner.source)
            & (Provenance.source_id == Partner.source_id),
        )
        .where(Partner.status == "open", Provenance.record["geocoding"].astext == "commune")
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


NEAREST_SIAE_RADII_M: Final = (3_000.0, 30_000.0, 300_000.0)
"""Radii of the indexed searches for the SIAE nearest to a hosting structure, in metres: the
next one is searched only when the previous found none, then every SIAE is."""


def _nearest_siae(hosting: Any, *, within_m: float | None) -> Any:
    """The SIAE nearest to ``hosting`` (subquery: id, name, kind, distance_m in metres).

    With ``within_m``, only SIAE within that many metres (``ST_DWithin`` on the geography,
    served by the GiST index); without, every SIAE. Either way the candidates are sorted by
    their ``ST_Distance``, never by the index's nearest-neighbour operator ``<->``: on the
    geography its index distance is a rounded lower bound, which a point at (0, 0) or at
    subnormal coordinates made exceed the true distance, and PostgreSQL then stopped the
    query (« index returned tuples in wrong order »).
    """
    siae = aliased(Partner)
    here, there = cast(hosting.geom, GEOGRAPHY), cast(siae.geom, GEOGRAPHY)
    distance = func.ST_Distance(there, here)
    query = select(siae.id, siae.name, siae.kind, distance.label("distance_m")).where(
        siae.kind.in_(sorted(vocabulary.SIAE_KINDS))
    )
    if within_m is not None:
        query = query.where(func.ST_DWithin(there, here, within_m))
    return query.order_by(distance, siae.id).limit(1)


def _linked(source: Any, target: Any) -> Any:
    """Whether a relation goes from ``source`` to an employer (``target`` column of the
    relation names the other end): one relation index probe per partner."""
    other = aliased(Partner)
    return exists().where(
        source == Partner.id,
        other.id == target,
        other.family.in_(sorted(EMPLOYER_FAMILIES)),
    )


def isolated_hosting() -> AnySelect:
    """AHI structures with no relation to an employer, each with its nearest SIAE.

    Columns: the partner, ``lon``, ``lat``, ``relations`` (its relation count), ``siae_id``,
    ``siae_name``, ``siae_kind``, ``distance_m`` (metres, geography); by name. The nearest SIAE
    is looked for within each of `NEAREST_SIAE_RADII_M` in turn through the index, and among
    all SIAE only for a structure with none that close.
    """
    linked_to_employer = or_(
        _linked(Relation.source_partner_id, Relation.target_partner_id),
        _linked(Relation.target_partner_id, Relation.source_partner_id),
    )
    relation_count = (
        select(func.count())
        .select_from(Relation)
        .where(
            or_(Relation.source_partner_id == Partner.id, Relation.target_partner_id == Partner.id)
        )
        .scalar_subquery()
    )
    tiers: list[Any] = []
    for i, radius in enumerate((*NEAREST_SIAE_RADII_M, None)):
        tier = _nearest_siae(Partner, within_m=radius)
        # a one-time filter per row: searched only when no closer tier found one
        tier = tier.where(*(closer.c.id.is_(None) for closer in tiers))
        tiers.append(tier.lateral(f"nearest_{i}"))

    def first(column: str) -> Any:
        return func.coalesce(*(tier.c[column] for tier in tiers))

    query = select(
        Partner,
        func.ST_X(Partner.geom).label("lon"),
        func.ST_Y(Partner.geom).label("lat"),
        relation_count.label("relations"),
        first("id").label("siae_id"),
        first("name").label("siae_name"),
        first("kind").label("siae_kind"),
        first("distance_m").label("distance_m"),
    )
    for tier in tiers:
        query = query.outerjoin(tier, true())
    return query.where(Partner.family == AHI_FAMILY, ~linked_to_employer).order_by(
        Partner.name, Partner.id
    )


def upsert_communes(rows: Sequence[Mapping[str, Any]]) -> Insert:
    """Insert communes or update them by code INSEE; ``rows`` are ``commune`` column values
    (the same keys in each, ``geom`` and ``town_hall`` EPSG:4326)."""
    stmt = insert(Commune).values(list(rows))
    return stmt.on_conflict_do_update(
        index_elements=[Commune.code_insee],
        set_={name: stmt.excluded[name] for name in rows[0] if name != "code_insee"},
    )
