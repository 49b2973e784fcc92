"""Computed feature tables: what one feature computes and another serves as GIS layers.

A feature never imports another (README « Architecture »): the coverage feature computes zones
and gaps, the OGC API – Features feature (`service.ogc`) serves layers. This module is the seam
between them, plumbing that knows neither: `LayerQuestion` is what a layer is asked,
`FeatureTable` what it answers, `ComputedLayer` the callable that `service.app` hands to
`service.ogc` (today `service.coverage.features.coverage_table` and ``gaps_table``).

Coordinates EPSG:4326 (CRS84 order: longitude, latitude), degrees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request
from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class LayerQuestion:
    """One computed layer's question: a category of offer (family, kind or thematique code),
    a mode, a budget in minutes and the zones (``communes`` or ``grid1km``)."""

    category: str
    mode: str
    minutes: float
    zones: str


@dataclass(frozen=True, eq=False)
class FeatureTable:
    """The features of a computed layer at one store revision, in their served order.

    ``geometries`` are shapely geometries (a numpy array, EPSG:4326) for spatial filters,
    ``geojson`` the same geometries as GeoJSON texts, ``properties`` one flat mapping per
    feature (JSON values only).
    """

    ids: tuple[str, ...]
    geometries: Any
    geojson: Sequence[str]
    properties: Sequence[Mapping[str, Any]]
    revision: int

    def __len__(self) -> int:
        return len(self.ids)


class ComputedLayer(Protocol):
    """Computes (or takes from its cache) the table that answers ``question`` for the store
    as this request sees it; raises `service.errors.InvalidInputError` when it cannot."""

    def __call__(
        self, request: Request, session: Session, question: LayerQuestion
    ) -> FeatureTable: ...
