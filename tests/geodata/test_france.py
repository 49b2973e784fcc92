"""The territorial bound: metropolitan France, Corsica and the overseas territories."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from geodata.france import FRANCE_BOUNDS, in_france, in_france_mask
from geodata.sources import common


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (4.3597, 43.8347, True),  # Nîmes
        (8.7369, 41.9192, True),  # Ajaccio
        (-61.73, 15.99, True),  # Basse-Terre, Guadeloupe
        (55.45, -20.88, True),  # Saint-Denis, La Réunion
        (45.23, -12.78, True),  # Mamoudzou, Mayotte
        (-61.07, 14.60, True),  # Fort-de-France, Martinique
        (-52.33, 4.94, True),  # Cayenne, Guyane
        (-56.17, 46.78, True),  # Saint-Pierre
        (-63.08, 18.07, True),  # Marigot, Saint-Martin
        (-62.85, 17.90, True),  # Gustavia, Saint-Barthélemy
        (-176.17, -13.28, True),  # Mata-Utu, Wallis
        (-178.12, -14.30, True),  # Futuna
        (-149.57, -17.54, True),  # Papeete, Tahiti
        (-140.10, -8.91, True),  # Taiohae, Nuku Hiva (Marquises)
        (-134.97, -23.12, True),  # Rikitea, Gambier
        (166.45, -22.27, True),  # Nouméa
        (167.30, -20.92, True),  # Lifou (îles Loyauté)
        (0.0, 0.0, False),  # « null island »: a zeroed point
        (5e-324, 5e-324, False),  # subnormal
        (13.40, 52.52, False),  # Berlin
        (43.8347, 4.3597, False),  # Nîmes swapped: in the Gulf of Guinea
    ],
)
def test_in_france(lon: float, lat: float, inside: bool) -> None:
    assert in_france(lon, lat) is inside


def test_in_france_mask_agrees_with_in_france() -> None:
    rng = random.Random(1)
    points = [(rng.uniform(-70, 60), rng.uniform(-30, 60)) for _ in range(20_000)]
    for lon_min, lat_min, lon_max, lat_max in FRANCE_BOUNDS.values():
        # the boxes' edges and corners (inside) and points just beyond them (outside)
        for lon in (lon_min, lon_max, (lon_min + lon_max) / 2):
            for lat in (lat_min, lat_max, (lat_min + lat_max) / 2):
                points.append((lon, lat))
        points += [(math.nextafter(lon_min, -math.inf), lat_min), (lon_max, lat_max + 1e-12)]
        points += [
            (rng.uniform(lon_min, lon_max), rng.uniform(lat_min, lat_max)) for _ in range(50)
        ]
    points += [(math.nan, 43.8), (4.36, math.nan), (math.inf, 43.8), (0.0, 0.0)]
    lon, lat = np.array(points).T
    mask = in_france_mask(lon, lat)
    assert mask.dtype == np.bool_
    assert mask.tolist() == [in_france(x, y) for x, y in points]
    assert 0 < mask.sum() < len(points)
    assert in_france_mask([], []).shape == (0,)


def test_the_readers_use_the_one_bound() -> None:
    assert common.FRANCE_BOUNDS is FRANCE_BOUNDS
    assert common.in_france is in_france
