"""Drawn road-like streets (`geodata.synthetic_streets`), built as a real extract is."""

from __future__ import annotations

import numpy as np

from geodata.network import network_from_ways
from geodata.synthetic_streets import degree_profile, draw_streets

ORIGIN = (4.0, 44.0)


def test_drawn_streets_look_like_an_osm_extract() -> None:
    drawn = draw_streets(side_km=12, nodes=30_000, origin=ORIGIN, seed=3)
    assert 27_000 < drawn.ways.node_id.size < 33_000  # « about nodes »
    car = network_from_ways(drawn.ways, "car")
    walk = network_from_ways(drawn.ways, "walk")
    shares = degree_profile(car.indptr, car.indices)
    assert shares["2"] > 0.7  # most nodes only shape a way, as in OSM
    assert shares["3"] > shares["4+"] > 0  # 3-way junctions dominate
    assert 0 < shares["1"] < 0.1  # some dead ends
    # speeds from the classes and maxspeed tags: motorway 130, roads 80, streets 50 km/h
    metres = np.hypot(
        (car.node_lon[car.indices] - np.repeat(car.node_lon, np.diff(car.indptr)))
        * 111_320
        * np.cos(np.radians(ORIGIN[1])),
        (car.node_lat[car.indices] - np.repeat(car.node_lat, np.diff(car.indptr))) * 111_320,
    )
    kmh = np.round(metres / car.weights * 3.6, -1)
    assert {50.0, 80.0, 130.0} <= set(kmh.tolist())
    # walkers keep off the motorway, whose nodes are the car's own; tracks are walk-only
    assert car.n_nodes != walk.n_nodes
    # a road-like network contracts: the hierarchy is built, not given up as on a grid
    assert car.hierarchy is not None
    assert walk.hierarchy is not None


def test_drawing_is_deterministic_for_a_seed() -> None:
    one = draw_streets(side_km=6, nodes=5_000, origin=ORIGIN, seed=7)
    two = draw_streets(side_km=6, nodes=5_000, origin=ORIGIN, seed=7)
    other = draw_streets(side_km=6, nodes=5_000, origin=ORIGIN, seed=8)
    assert np.array_equal(one.ways.node_lon, two.ways.node_lon)
    assert np.array_equal(one.ways.segment_u, two.ways.segment_u)
    assert not np.array_equal(one.ways.node_lon[:100], other.ways.node_lon[:100])
