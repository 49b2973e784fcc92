"""Where a French partner can be: bounding boxes of metropolitan France and the overseas
territories, EPSG:4326 longitude/latitude in degrees.

One home for the territorial bound: the open-data readers (`geodata.sources.common.locate`)
use it to tell a point from a swapped or missing one, and the domain records
(`graph.models.PartnerFields`) refuse a point outside it, (0, 0) included. Boxes are a little
generous (a few kilometres beyond the coasts) and may hold some foreign land nearby: the bound
catches mistakes (swapped or zeroed coordinates, another continent), it does not draw borders.
The uninhabited Clipperton and the Terres australes et antarctiques françaises are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

__all__ = ["FRANCE_BOUNDS", "in_france", "in_france_mask"]

FRANCE_BOUNDS: Final[Mapping[str, tuple[float, float, float, float]]] = MappingProxyType(
    {
        # (lon_min, lat_min, lon_max, lat_max), EPSG:4326 degrees
        "metropole": (-5.8, 41.2, 9.8, 51.3),  # mainland and Corsica
        "guadeloupe": (-61.9, 15.8, -60.95, 16.55),  # with Marie-Galante, les Saintes
        "saint-barthelemy-saint-martin": (-63.2, 17.85, -62.75, 18.15),
        "martinique": (-61.3, 14.35, -60.75, 14.95),
        "guyane": (-54.7, 2.1, -51.5, 5.9),
        "reunion": (55.15, -21.45, 55.9, -20.8),
        "mayotte": (44.95, -13.05, 45.35, -12.6),
        "saint-pierre-et-miquelon": (-56.45, 46.7, -56.1, 47.15),
        "wallis-et-futuna": (-178.25, -14.4, -176.1, -13.15),
        "polynesie-francaise": (-154.8, -28.0, -134.4, -7.8),
        "nouvelle-caledonie": (158.0, -23.0, 169.0, -17.9),  # with Chesterfield and Walpole
    }
)
"""Bounding boxes of the territories a French partner can be in, by name."""

_BOXES: Final = tuple(FRANCE_BOUNDS.values())


def in_france(lon: float, lat: float) -> bool:
    """Whether an EPSG:4326 point (degrees) lies in one of the :data:`FRANCE_BOUNDS` boxes.

    Box edges are inside; a NaN coordinate is outside, and so is (0, 0).
    """
    for lon_min, lat_min, lon_max, lat_max in _BOXES:
        if lon_min <= lon <= lon_max and lat_min <= lat <= lat_max:
            return True
    return False


def in_france_mask(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """:func:`in_france` of many points at once.

    Parameters
    ----------
    lon, lat : array_like of float
        EPSG:4326 longitudes and latitudes in degrees, of the same (or broadcastable) shape.

    Returns
    -------
    numpy.ndarray of bool
        ``True`` where the point lies in one of the :data:`FRANCE_BOUNDS` boxes (edges
        included; NaN is outside), exactly as :func:`in_france` point by point.
    """
    import numpy as np

    lons = np.asarray(lon, dtype=np.float64)
    lats = np.asarray(lat, dtype=np.float64)
    inside = np.zeros(np.broadcast_shapes(lons.shape, lats.shape), dtype=np.bool_)
    for lon_min, lat_min, lon_max, lat_max in _BOXES:
        inside |= (lon_min <= lons) & (lons <= lon_max) & (lat_min <= lats) & (lats <= lat_max)
    return inside
