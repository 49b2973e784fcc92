"""`TravelService.matrix` and coverage's `travel_reach`: all the zones at once give what
`TravelService.times` gives zone by zone — network minutes, estimates where a point is off
the network or outside every network's extent, the first network covering an origin."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from geodata.network import build_network
from geodata.traveltime import StreetNetwork
from service.coverage.compute import travel_reach
from service.travel import LoadedNetwork, TravelService
from tests.conftest import SHARED
from tests.service.test_travel_api import LAT, STREET_LON, street

SAINT_BARTH = SHARED / "data" / "osm" / "saint_barthelemy.osm.pbf"
needs_shared = pytest.mark.skipif(not SAINT_BARTH.exists(), reason="../shared/data absent")


def per_origin(
    travel: TravelService, mode: str, origins: np.ndarray, destinations: np.ndarray, budget: float
) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """The reference: `TravelService.times` for each origin in turn."""
    rows = [travel.times(mode, lon, lat, destinations, max_minutes=budget) for lon, lat in origins]
    minutes = np.array([r.minutes for r in rows]).reshape(len(origins), len(destinations))
    estimated = np.array([r.estimated for r in rows]).reshape(minutes.shape)
    return minutes, estimated, {r.network for r in rows if r.network is not None}


def assert_same(got: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    assert np.abs(got[finite] - expected[finite]).max(initial=0.0) <= 1e-9


def scattered(rng: np.random.Generator, count: int, bounds: tuple[float, ...]) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    return np.column_stack([rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)])


def two_streets() -> TravelService:
    """The 4 km street east of Alès, registered twice: the first covering an origin answers."""
    bounds = (STREET_LON[0] - 0.02, LAT - 0.02, STREET_LON[-1] + 0.02, LAT + 0.02)
    half = (STREET_LON[0] - 0.02, LAT - 0.02, float(STREET_LON[20]), LAT + 0.02)
    return TravelService(
        [
            LoadedNetwork(uuid.uuid4(), "rue-ouest", "walk", half, street()),
            LoadedNetwork(uuid.uuid4(), "rue", "walk", bounds, street()),
        ]
    )


@pytest.mark.parametrize("budget", [12.0, 45.0])
def test_matrix_equals_times_row_by_row_on_a_street(budget: float) -> None:
    travel = two_streets()
    rng = np.random.default_rng(4)
    # points along the street, some 1.5 km north of it (off the network, inside the extent),
    # some beyond the extent, and two on the same spot
    near = (STREET_LON[0], LAT - 0.002, STREET_LON[-1], LAT + 0.002)
    north = (STREET_LON[0], LAT + 0.014, STREET_LON[-1], LAT + 0.018)
    beyond = (STREET_LON[-1] + 0.03, LAT - 0.01, STREET_LON[-1] + 0.05, LAT + 0.01)
    origins = np.concatenate(
        [scattered(rng, 50, near), scattered(rng, 5, north), scattered(rng, 5, beyond)]
    )
    origins[1] = origins[0]
    destinations = np.concatenate([scattered(rng, 20, near), scattered(rng, 5, north)])
    expected, flagged, names = per_origin(travel, "walk", origins, destinations, budget)
    found = travel.matrix("walk", origins, destinations, max_minutes=budget)
    assert_same(found.minutes, expected)
    np.testing.assert_array_equal(found.estimated, flagged)
    assert set(found.networks) == names == {"rue", "rue-ouest"}
    assert flagged.any()
    assert (~flagged & np.isfinite(expected)).any()


def test_matrix_without_destinations_or_network_is_all_estimated() -> None:
    travel = TravelService()
    origins = np.array([[4.08, 44.12], [4.09, 44.13]])
    empty = travel.matrix("walk", origins, np.zeros((0, 2)))
    assert empty.minutes.shape == (2, 0)
    found = travel.matrix("bike", origins, origins, max_minutes=30)
    assert found.estimated.all()
    assert found.networks == ()
    assert_same(found.minutes, per_origin(travel, "bike", origins, origins, 30)[0])


@pytest.fixture(scope="module")
def saint_barthelemy() -> TravelService:
    net: StreetNetwork = build_network(SAINT_BARTH, "car")
    bounds = (
        float(net.node_lon.min()),
        float(net.node_lat.min()),
        float(net.node_lon.max()),
        float(net.node_lat.max()),
    )
    return TravelService([LoadedNetwork(uuid.uuid4(), "saint-barthelemy", "car", bounds, net)])


@needs_shared
@pytest.mark.parametrize("horizon", [4.0, 30.0])
def test_coverage_reach_equals_the_per_zone_computation(
    saint_barthelemy: TravelService, horizon: float
) -> None:
    travel = saint_barthelemy
    rng = np.random.default_rng(8)
    bounds = travel.networks[0].bounds
    zones = scattered(rng, 300, bounds)  # some at sea: more than 1 km from every road
    sites = scattered(rng, 40, bounds)
    reach = travel_reach(travel, "car", zones, sites, horizon=horizon)
    expected, flagged, names = per_origin(travel, "car", zones, sites, horizon)
    kept = expected <= horizon
    rows, cols = np.nonzero(kept)
    assert reach.table.shape == (300, 40)
    np.testing.assert_array_equal(np.diff(reach.table.indptr), kept.sum(axis=1))
    np.testing.assert_array_equal(reach.table.sites, cols)
    assert np.abs(reach.table.minutes - expected[rows, cols]).max() <= 1e-9
    assert reach.estimated_pairs == int((flagged & kept).sum())
    np.testing.assert_array_equal(reach.estimated_zone, (flagged & kept).any(axis=1))
    assert reach.networks == tuple(sorted(names))
    assert 0 < reach.estimated_pairs < len(reach.table)
