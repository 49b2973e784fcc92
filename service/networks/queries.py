"""The networks feature's SQL: the registered networks with their extent (EPSG:4326)."""

from __future__ import annotations

from sqlalchemy import func, select

from service.db import AnySelect
from service.tables import Network


def registered(mode: str | None) -> AnySelect:
    """Every registered network (of ``mode`` when given), by name and mode: its row and the
    bounds of its extent (``minx``, ``miny``, ``maxx``, ``maxy``, degrees)."""
    stmt = select(
        Network,
        func.ST_XMin(Network.bbox).label("minx"),
        func.ST_YMin(Network.bbox).label("miny"),
        func.ST_XMax(Network.bbox).label("maxx"),
        func.ST_YMax(Network.bbox).label("maxy"),
    ).order_by(Network.name, Network.mode)
    if mode is not None:
        stmt = stmt.where(Network.mode == mode)
    return stmt
