"""The one travel-mode vocabulary of maillage.

``walk``, ``bike`` and ``car`` run on a street network (`STREET_MODES`); ``transit`` is a
timetable (GTFS) with walks at both ends. Every module that names a mode takes it from here.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "MODE_LABELS",
    "STREET_MODES",
    "TRAVEL_MODES",
    "StreetMode",
    "TravelMode",
    "is_travel_mode",
]

TravelMode = Literal["walk", "bike", "car", "transit"]
"""A way a person travels."""

StreetMode = Literal["walk", "bike", "car"]
"""A mode whose journeys run on a street network."""

TRAVEL_MODES: Final[tuple[TravelMode, ...]] = ("walk", "bike", "car", "transit")
STREET_MODES: Final[tuple[StreetMode, ...]] = ("walk", "bike", "car")

MODE_LABELS: Final[dict[str, str]] = {
    "walk": "à pied",
    "bike": "à vélo",
    "car": "en voiture",
    "transit": "en transports en commun",
}
"""French labels, as a sentence says them (« 12 minutes à pied »)."""


def is_travel_mode(value: object) -> bool:
    """True when ``value`` is one of `TRAVEL_MODES`."""
    return value in TRAVEL_MODES
