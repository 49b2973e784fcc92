"""The one great-circle distance of maillage: points in EPSG:4326 (degrees), distances in metres.

Every distance « à vol d'oiseau » in the project comes from here, on one sphere of radius
`EARTH_RADIUS_M` (the IUGG mean radius R1 = (2a + b) / 3 of GRS80/WGS84). The haversine formula
is exact on the sphere; against the WGS84 ellipsoid its error stays below 0.5 %, well under
what a straight-line estimate of a journey can claim.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["EARTH_RADIUS_M", "great_circle_m", "haversine_m", "unit_xyz_m"]

EARTH_RADIUS_M: Final = 6_371_008.8
"""Mean Earth radius (IUGG R1), metres."""


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance between two EPSG:4326 points (degrees), metres.

    ``2 R asin(sqrt(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))`` with R = `EARTH_RADIUS_M`.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def great_circle_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """`haversine_m` over arrays (degrees in, metres out); inputs broadcast like a ufunc."""
    l1, p1, l2, p2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    distance: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return distance


def unit_xyz_m(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.float64]:
    """Earth-centred Cartesian coordinates (n, 3) on the sphere of radius `EARTH_RADIUS_M`, metres.

    Chord lengths between such points order like great-circle arcs, so a k-d tree over them
    answers nearest-neighbour queries on the sphere.
    """
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    cos_phi = np.cos(phi)
    xyz = np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=-1)
    result: NDArray[np.float64] = xyz * EARTH_RADIUS_M
    return result
