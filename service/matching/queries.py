"""The matching feature's SQL: where a person's trips start (points EPSG:4326, degrees)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from service.db import AnySelect
from service.tables import Commune, Partner


def town_hall(code_insee: str) -> AnySelect:
    """(lon, lat) of a commune's town hall, or of a point inside it when unknown."""
    point = func.coalesce(Commune.town_hall, func.ST_PointOnSurface(Commune.geom))
    return select(func.ST_X(point), func.ST_Y(point)).where(Commune.code_insee == code_insee)


def partner_point(partner_id: uuid.UUID) -> AnySelect:
    """(lon, lat) of a partner."""
    return select(func.ST_X(Partner.geom), func.ST_Y(Partner.geom)).where(Partner.id == partner_id)
