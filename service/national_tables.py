"""The tables of national runs (``maillage national load``, migration 0012): zones, gaps and
the départements' summaries of a run, per département × mode × category × budget (minutes);
geometries in EPSG:4326. Kept apart from :mod:`service.tables` (which re-exports them) so that
no schema module passes 600 lines."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Boolean, Float, Identity, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base

# --- national runs (maillage national load) --------------------------------------------------


_SHARD_KEY = ("departement", "mode", "category", "max_minutes")


class _NationalRow:
    """Columns shared by the zones and gaps of a national run (migration 0012); budget in
    minutes, the zone's polygon in EPSG:4326."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    departement: Mapped[str] = mapped_column(String(3))
    mode: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(Text)
    max_minutes: Mapped[float] = mapped_column(Float)
    real: Mapped[bool] = mapped_column(Boolean)  # the shard's mode had a registered network
    zone_id: Mapped[str] = mapped_column(Text)
    zone_name: Mapped[str] = mapped_column(Text)
    nearest_site_id: Mapped[str | None] = mapped_column(Text)
    nearest_site_name: Mapped[str | None] = mapped_column(Text)
    nearest_minutes: Mapped[float | None] = mapped_column(Float)
    e2sfca: Mapped[float] = mapped_column(Float)  # places per 1,000 persons
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))


class NationalZone(_NationalRow, Base):
    """A zone's indicators in a national run, per département × mode × category × budget."""

    __tablename__ = "national_zone"

    demand: Mapped[float] = mapped_column(Float)
    reachable_sites: Mapped[int] = mapped_column(Integer)
    reachable_supply: Mapped[float] = mapped_column(Float)
    covered: Mapped[bool] = mapped_column(Boolean)
    two_sfca: Mapped[float] = mapped_column(Float)
    gap: Mapped[str | None] = mapped_column(Text)
    gap_severity: Mapped[float | None] = mapped_column(Float)
    estimated: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_national_zone_shard", *_SHARD_KEY),)


class NationalGap(_NationalRow, Base):
    """A ranked gap of a national run, ranks counted within its département × mode × category
    × budget."""

    __tablename__ = "national_gap"

    rank: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(Text)
    severity: Mapped[float] = mapped_column(Float)
    people_affected: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_national_gap_shard", *_SHARD_KEY),)


class NationalDepartement(Base):
    """A département's summary in a national run, per mode × category × budget, with its
    outline (union of its zones, simplified to ~200 m, EPSG:4326) for a map of France."""

    __tablename__ = "national_departement"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    departement: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(Text)
    max_minutes: Mapped[float] = mapped_column(Float)
    real: Mapped[bool] = mapped_column(Boolean)
    zones: Mapped[int] = mapped_column(Integer)
    sites: Mapped[int] = mapped_column(Integer)
    demand_total: Mapped[float] = mapped_column(Float)
    demand_within: Mapped[float] = mapped_column(Float)
    share_within: Mapped[float | None] = mapped_column(Float)
    median_e2sfca: Mapped[float | None] = mapped_column(Float)
    gaps: Mapped[int] = mapped_column(Integer)
    estimated_share: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))

    __table_args__ = (Index("ix_national_departement_shard", *_SHARD_KEY),)
