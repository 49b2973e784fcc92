"""The SQL of the ``partenaires`` collection: the open partners as features, filtered by a
CRS84 rectangle (``ST_Intersects`` with ``ST_MakeEnvelope``, planar in EPSG:4326 so that the
rectangle is the one the client drew, meridians and parallels), by their properties and by
their last update, paged in SQL (``LIMIT``/``OFFSET`` on a stable order: name, then id).

Partners have no GiST index on ``geom`` (migration 0006 kept the one on ``geom::geography``,
which a planar rectangle cannot use): a rectangle scans the open partners, a few milliseconds
for a département.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, or_, select

from service.db import AnySelect
from service.ogc.parameters import Box, Interval, PartnerItems
from service.store.queries import geocoding
from service.tables import Commune, Partner


def _envelope(west: float, south: float, east: float, north: float) -> Any:
    return func.ST_MakeEnvelope(west, south, east, north, 4326)


def in_box(bbox: Box) -> Any:
    """Partners inside ``bbox`` (west, south, east, north), across the antimeridian when
    west > east."""
    west, south, east, north = bbox
    if west <= east:
        return func.ST_Intersects(Partner.geom, _envelope(west, south, east, north))
    return or_(
        func.ST_Intersects(Partner.geom, _envelope(west, south, 180.0, north)),
        func.ST_Intersects(Partner.geom, _envelope(-180.0, south, east, north)),
    )


def _features() -> AnySelect:
    """One row per open partner: its public fields, commune name, geocoding and point."""
    return (
        select(
            Partner.id,
            Partner.name,
            Partner.kind,
            Partner.family,
            Partner.siret,
            Partner.address,
            Partner.code_insee,
            Commune.name.label("commune"),
            Partner.capacity,
            Partner.available_places,
            Partner.opening_hours,
            Partner.thematiques,
            Partner.publics,
            Partner.source,
            geocoding().label("geocoding"),
            Partner.updated_at,
            func.ST_X(Partner.geom).label("lon"),
            func.ST_Y(Partner.geom).label("lat"),
        )
        .outerjoin(Commune, Commune.code_insee == Partner.code_insee)
        .where(Partner.status == "open")
    )


def _during(stmt: AnySelect, interval: Interval) -> AnySelect:
    start, end = interval
    if start is not None:
        stmt = stmt.where(Partner.updated_at >= start)
    if end is not None:
        stmt = stmt.where(Partner.updated_at <= end)
    return stmt


def partner_features(params: PartnerItems) -> AnySelect:
    """The open partners that ``params`` select, ordered by name then id (no paging)."""
    stmt = _features()
    if params.bbox is not None:
        stmt = stmt.where(in_box(params.bbox))
    interval = params.interval()
    if interval is not None:
        stmt = _during(stmt, interval)
    for column, value in (
        (Partner.kind, params.kind),
        (Partner.family, params.family),
        (Partner.code_insee, params.code_insee),
        (Partner.source, params.source),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if params.geocoding is not None:
        stmt = stmt.where(geocoding() == params.geocoding)
    return stmt.order_by(Partner.name, Partner.id)


def page(stmt: AnySelect, *, offset: int, limit: int) -> AnySelect:
    return stmt.offset(offset).limit(limit)


def count(stmt: AnySelect) -> Select[Any]:
    """How many rows ``stmt`` gives (its order dropped)."""
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def partner_feature(partner_id: uuid.UUID) -> AnySelect:
    """One open partner as a feature row (none when closed or unknown)."""
    return _features().where(Partner.id == partner_id)


def partner_extent() -> AnySelect:
    """(west, south, east, north, first update, last update) of the open partners; NULLs
    when there are none."""
    box = func.ST_Extent(Partner.geom)
    return select(
        func.ST_XMin(box),
        func.ST_YMin(box),
        func.ST_XMax(box),
        func.ST_YMax(box),
        func.min(Partner.updated_at),
        func.max(Partner.updated_at),
    ).where(Partner.status == "open")
