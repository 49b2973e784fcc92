"""Siting for the service: the ``k`` candidate places (town halls, commune centroids or given
points) that newly cover the most uncovered demand of a category, the existing sites kept
(`graph.siting.maximal_covering` over the coverage of `service.coverage.compute`).

Units: minutes; demand in persons (or the layer's unit); coordinates EPSG:4326 lon/lat.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from geodata.words import of_place
from graph.siting import Siting, maximal_covering
from service.coverage.compute import (
    CoverageCache,
    CoverageResult,
    Reach,
    ZoneSet,
    compute_coverage,
    travel_reach,
)
from service.coverage.parameters import CandidatePoint, FloatArray, SitingRequest
from service.store.snapshot import StoreSnapshot
from service.travel import TravelService

# --- candidates and solution ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate locations: what they are, their labels, communes and points (lon/lat)."""

    kind: str
    labels: tuple[str, ...]
    codes: tuple[str | None, ...]
    lonlat: FloatArray

    def digest(self) -> str:
        text = json.dumps([self.kind, self.labels, self.lonlat.round(7).tolist()])
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, eq=False)
class SitingResult:
    base: CoverageResult
    candidates: Candidates
    siting: Siting
    reach: Reach
    k: int


def compute_siting(
    territory: StoreSnapshot,
    cache: CoverageCache,
    travel: TravelService,
    request: SitingRequest,
    *,
    time_limit: float | None = None,
) -> SitingResult:
    """MCLP for the request's category, with the existing sites kept (`maximal_covering`);
    the solver stops after ``time_limit`` seconds (``None``: `maximal_covering`'s default)."""
    spec = request.spec()
    base = compute_coverage(territory, cache, travel, spec)
    candidates = _candidates(territory, base.zones, request.candidates)
    key = ("siting", base.revision, spec, request.k, candidates.digest())
    result: SitingResult = cache.get_or_compute(
        key, lambda: _siting(travel, base, candidates, request.k, time_limit)
    )
    return result


def _candidates(
    territory: StoreSnapshot, zones: ZoneSet, choice: str | Sequence[CandidatePoint]
) -> Candidates:
    names = np.array(territory.names)[zones.commune_mask].tolist()
    codes = np.array(territory.codes)[zones.commune_mask].tolist()
    if choice == "town_halls":
        points = territory.points[zones.commune_mask]
        labels = tuple(f"Mairie {of_place(name)}" for name in names)
        return Candidates("town_halls", labels, tuple(codes), points)
    if choice == "centroids":
        polygons = territory.geometries[zones.commune_mask]
        centres = shapely.centroid(polygons)
        outside = ~shapely.contains(polygons, centres)
        centres[outside] = shapely.point_on_surface(polygons[outside])
        labels = tuple(f"Centre {of_place(name)}" for name in names)
        return Candidates("centroids", labels, tuple(codes), shapely.get_coordinates(centres))
    assert not isinstance(choice, str)
    labels = tuple(p.label or f"Point {i + 1}" for i, p in enumerate(choice))
    points = np.array([(p.lon, p.lat) for p in choice], dtype=np.float64)
    return Candidates("points", labels, tuple(None for _ in choice), points)


def _siting(
    travel: TravelService,
    base: CoverageResult,
    candidates: Candidates,
    k: int,
    time_limit: float | None,
) -> SitingResult:
    spec = base.spec
    reach = travel_reach(
        travel, spec.mode, base.zones.points, candidates.lonlat, horizon=spec.max_minutes
    )
    siting = maximal_covering(
        reach.table,
        base.indicators.demand,
        max_minutes=spec.max_minutes,
        k=k,
        covered_already=base.indicators.share.covered,
        **({} if time_limit is None else {"time_limit": time_limit}),
    )
    return SitingResult(base, candidates, siting, reach, k)
