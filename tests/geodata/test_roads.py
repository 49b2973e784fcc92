"""The main roads of a street network for an offline map background (`geodata.roads`)."""

from __future__ import annotations

import itertools

import numpy as np

from geodata.roads import main_roads
from geodata.sphere import great_circle_m
from geodata.traveltime import StreetNetwork

LAT = 44.12
# a straight east-west road of 10 segments at 80 km/h, and a north-south street at 30 km/h
# crossing it at its 5th node
ROAD = [(4.00 + 0.01 * i, LAT) for i in range(11)]
STREET = [(4.05, 44.116), (4.05, 44.118), (4.05, 44.122), (4.05, 44.124)]


def network(mode: str = "car") -> StreetNetwork:
    nodes = ROAD + STREET
    road_arcs = [(i, i + 1, 80.0) for i in range(10)]
    junction = 5  # ROAD[5] is (4.05, LAT)
    street_ids = [11, 12, junction, 13, 14]
    street_arcs = [(a, b, 30.0) for a, b in itertools.pairwise(street_ids)]
    tails, heads, weights = [], [], []
    for a, b, kmh in road_arcs + street_arcs:
        metres = float(great_circle_m(nodes[a][0], nodes[a][1], nodes[b][0], nodes[b][1]))
        seconds = metres / (kmh / 3.6)
        tails += [a, b]
        heads += [b, a]
        weights += [seconds, seconds]
    order = np.argsort(tails, kind="stable")
    indptr = np.searchsorted(np.array(tails)[order], np.arange(len(nodes) + 1))
    return StreetNetwork(
        mode,
        indptr=indptr,
        indices=np.array(heads)[order],
        weights=np.array(weights)[order],
        node_lon=np.array([n[0] for n in nodes]),
        node_lat=np.array([n[1] for n in nodes]),
    )


def test_main_roads_are_ranked_by_speed_and_chained_into_lines() -> None:
    roads = main_roads(network(), (3.9, 44.0, 4.2, 44.2))
    assert roads.complete
    main = [line for line in roads.lines if line.rank == 1]
    other = [line for line in roads.lines if line.rank == 2]
    # each rank's segments chained through the nodes where two of them meet: the road runs
    # through the junction with the street (a minor street does not cut a main road)
    assert [line.coordinates for line in main] == [ROAD]
    assert len(other) == 1
    assert sorted(other[0].coordinates) == sorted([*STREET[:2], (4.05, LAT), *STREET[2:]])


def test_simplification_drops_collinear_vertices() -> None:
    roads = main_roads(network(), (3.9, 44.0, 4.2, 44.2), tolerance=0.0001)
    main = [line for line in roads.lines if line.rank == 1]
    assert [line.coordinates for line in main] == [[ROAD[0], ROAD[-1]]]


def test_only_arcs_touching_the_box_are_drawn() -> None:
    roads = main_roads(network(), (4.005, LAT - 0.001, 4.025, LAT + 0.001))
    coordinates = [point for line in roads.lines for point in line.coordinates]
    # the segments with an end in the box: 4.00–4.01, 4.01–4.02, 4.02–4.03
    assert min(x for x, _ in coordinates) == 4.0
    assert max(x for x, _ in coordinates) == 4.03
    assert all(line.rank == 1 for line in roads.lines)


def test_too_many_streets_keep_the_fastest_or_none_on_foot() -> None:
    box = (3.9, 44.0, 4.2, 44.2)
    car = main_roads(network(), box, max_segments=10)
    assert not car.complete
    assert {line.rank for line in car.lines} == {1}  # the 10 road segments, the street left out
    assert sum(len(line.coordinates) - 1 for line in car.lines) == 10
    walk = main_roads(network("walk"), box, max_segments=10)
    assert walk.lines == []
    assert not walk.complete
