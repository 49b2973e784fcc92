"""The estimated walk: one definition for every walk maillage does not read off a street network.

A walk with no walking network under it is the straight line (great circle) stretched by a
detour factor, walked at a stated speed, and counted in whole seconds rounded up::

    metres  = great_circle_m(A, B) × WALK_DETOUR
    seconds = ceil(metres / (WALK_SPEED_KMH / 3.6))
    minutes = seconds / 60

The same figures answer everywhere a walk is estimated: the walk estimate off the street
networks (`geodata.traveltime.StraightLineEstimator`), the walks of the public transport
estimate (`geodata.transit_estimate`), the timetable router's walks — to and from the stops,
between stops where ``transfers.txt`` is silent, and the walk-only answer (`geodata.transit`)
— and the metres and minutes of every walk leg they tell. So the same walk shows the same
metres and minutes in a walk answer, in a public transport journey and in an estimate.

Whole seconds: the timetable router counts in integer seconds; the other estimates round the
same way so that they agree with it to the last bit.

Sources
-------
- speed: 4.5 km/h, the issue's figure, a little under the ~5 km/h of fit adults on purpose —
  the people this service helps include older and disabled walkers;
- detour: 1.3, the middle of the 1.2–1.4 circuity of urban street networks measured by
  Giacomin & Levinson (2015), *Road network circuity in metropolitan areas*, Environment and
  Planning B 42(6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.sphere import great_circle_m

__all__ = ["ESTIMATED_WALK", "WALK_DETOUR", "WALK_SPEED_KMH", "EstimatedWalk"]

WALK_SPEED_KMH: Final = 4.5
"""Walking speed, km/h (module docstring: sources)."""

WALK_DETOUR: Final = 1.3
"""Length walked / straight-line length where no walking network says (module docstring)."""


@dataclass(frozen=True, slots=True)
class EstimatedWalk:
    """A walk estimated from the straight line: ``detour`` (≥ 1) times it, at ``speed_kmh``.

    Every method takes straight-line (great-circle) metres, as arrays or scalars.
    """

    speed_kmh: float = WALK_SPEED_KMH
    detour: float = WALK_DETOUR

    def __post_init__(self) -> None:
        if not (0 < self.speed_kmh < math.inf and 1 <= self.detour < math.inf):
            raise ValueError("Marche estimée : vitesse > 0 km/h et facteur de détour ≥ 1.")

    @property
    def metres_per_second(self) -> float:
        """Metres walked (along the detour) per second."""
        return self.speed_kmh / 3.6

    @property
    def straight_m_per_min(self) -> float:
        """Straight-line metres covered per minute (before rounding): for discs and reaches."""
        return self.speed_kmh * 1000.0 / 60.0 / self.detour

    def metres(self, straight_m: ArrayLike) -> NDArray[np.float64]:
        """The metres walked: the straight line times the detour."""
        return np.asarray(straight_m, dtype=np.float64) * self.detour

    def seconds(self, straight_m: ArrayLike) -> NDArray[np.float64]:
        """Whole seconds of the walk, rounded up (``inf`` stays ``inf``)."""
        return np.ceil(self.metres(straight_m) / self.metres_per_second)

    def minutes(self, straight_m: ArrayLike) -> NDArray[np.float64]:
        """Minutes of the walk: its whole seconds / 60."""
        return self.seconds(straight_m) / 60.0

    def between(
        self, lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Metres walked and minutes from points 1 to points 2 (broadcast, EPSG:4326)."""
        straight = great_circle_m(lon1, lat1, lon2, lat2)
        return self.metres(straight), self.minutes(straight)


ESTIMATED_WALK: Final = EstimatedWalk()
"""The walk of maillage's estimates: `WALK_DETOUR` × the straight line at `WALK_SPEED_KMH`."""
