"""The travel seam: what a source of travel times answers, typed, with the budget it is asked for.

`graph.matching` asks a `TravelTimeModel` for the minutes from one origin to many destinations,
by one mode, within a budget (``max_minutes``) it passes itself; the model answers with a
`JourneyTimes`. The service's `TravelService` (street networks, timetables and straight-line
fallbacks) is one such model, a test's hand-made table another: both satisfy the protocol
structurally, without inheriting from it.

Units: points are EPSG:4326 ``(lon, lat)`` in degrees, times are minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from geodata.modes import TravelMode

__all__ = ["JourneyMinutes", "JourneyTimes", "TravelTimeModel"]


class JourneyTimes(Protocol):
    """Minutes from one origin to each of ``n`` destinations, and which of them are estimates."""

    @property
    def minutes(self) -> NDArray[np.float64]:
        """Shape ``(n,)``, minutes; ``inf`` when not reachable within the budget."""
        ...

    @property
    def estimated(self) -> NDArray[np.bool_]:
        """Shape ``(n,)``: ``True`` where the time is a straight-line estimate, not a network's."""
        ...


class TravelTimeModel(Protocol):
    """A source of travel times by mode: a network, a timetable, an estimate, or a mix."""

    def times(
        self,
        mode: TravelMode,
        lon: float,
        lat: float,
        destinations: NDArray[np.float64],
        *,
        max_minutes: float | None,
    ) -> JourneyTimes:
        """Minutes from ``(lon, lat)`` (EPSG:4326 degrees) to each destination, by ``mode``.

        Parameters
        ----------
        mode : geodata.modes.TravelMode
        lon, lat : float
            The origin, EPSG:4326 degrees.
        destinations : numpy.ndarray of float64, shape (n, 2)
            EPSG:4326 ``(lon, lat)`` rows.
        max_minutes : float or None
            The budget, minutes: a destination farther than this may be answered ``inf``
            (a model may stop searching there); ``None`` for no budget. Times within the
            budget are exact whatever the budget.

        Returns
        -------
        JourneyTimes
            ``minutes`` and ``estimated``, each of shape ``(n,)``.
        """
        ...


@dataclass(frozen=True, slots=True)
class JourneyMinutes:
    """A `JourneyTimes` held as two arrays (minutes, estimate flags), each of shape ``(n,)``."""

    minutes: NDArray[np.float64]
    estimated: NDArray[np.bool_]
