"""Street networks and travel times: `geodata.network` and `geodata.traveltime`.

A hand-drawn toy town (OSM XML written here) pins the mode rules and the arithmetic; the real
extracts of Saint-Barthélemy and Helsinki (``../shared/data/osm``) check the reader and the
shortest paths against networkx and scipy on the same graph.
"""

from __future__ import annotations

import bz2
import math
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely import Point

from geodata.network import (
    build_network,
    largest_strongly_connected,
    mode_arcs,
    parse_maxspeed,
    read_osm,
    way_rule,
)
from geodata.sphere import EARTH_RADIUS_M
from geodata.traveltime import (
    DETOUR_FACTOR,
    ESTIMATE_SPEED_KMH,
    MAX_SNAP_DISTANCE_M,
    SingleModeModel,
    Snap,
    StraightLineEstimator,
    StreetNetwork,
    load_network,
    long_format,
    travel_time_model,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
OSM = DATA / "osm"
needs_shared = pytest.mark.skipif(
    not OSM.is_dir(), reason="../shared/data/osm absent (a clone without the shared data)"
)

R = EARTH_RADIUS_M  # metres, the sphere of geodata.traveltime (geodata.sphere)
LON0, LAT0 = 4.3601, 43.8367  # the toy town sits on Nîmes' town hall
ALES = (4.0810, 44.1250)
NIMES = (4.3601, 43.8367)


def lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """Toy-town metres east/north of (LON0, LAT0) → EPSG:4326 lon/lat."""
    lat = LAT0 + math.degrees(y_m / R)
    lon = LON0 + math.degrees(x_m / (R * math.cos(math.radians(LAT0))))
    return lon, lat


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * R * math.asin(math.sqrt(h))


# The toy town, metres (x east, y north):
#
#   G (100,200)          E–G: service road, access=private (nobody)
#   |
#   D ──→── E ──→── F ──→── H     D→E→F: one-way, oneway:bicycle=no (50 km/h, no maxspeed)
#   |       ┆       |             F→H: one-way, drawn H→F with oneway=-1 (a dead end for cars)
#   A ───── B ───── C             A–B–C, A–D, C–F: two-way, maxspeed=30
#                                 B┆E: footway (walkers only)
TOY_NODES = {
    "A": (1, 0, 0),
    "B": (2, 100, 0),
    "C": (3, 200, 0),
    "D": (4, 0, 100),
    "E": (5, 100, 100),
    "F": (6, 200, 100),
    "H": (7, 300, 100),
    "G": (8, 100, 200),
}
TOY_WAYS = [
    (10, "ABC", {"highway": "residential", "maxspeed": "30"}),
    (11, "DEF", {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}),
    (12, "AD", {"highway": "residential", "maxspeed": "30"}),
    (13, "CF", {"highway": "residential", "maxspeed": "30"}),
    (14, "BE", {"highway": "footway"}),
    (15, "EG", {"highway": "service", "access": "private"}),
    (16, "HF", {"highway": "residential", "oneway": "-1"}),
]


def toy_point(name: str) -> tuple[float, float]:
    _, x, y = TOY_NODES[name]
    return lonlat(x, y)


def write_toy(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, x, y in TOY_NODES.values():
        lon, lat = lonlat(x, y)
        lines.append(f'<node id="{node_id}" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    # a building ring: a way without highway, to be ignored
    for node_id, (x, y) in zip((20, 21, 22), ((150, 50), (160, 50), (160, 60)), strict=True):
        lon, lat = lonlat(x, y)
        lines.append(f'<node id="{node_id}" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    lines += [
        '<way id="30"><nd ref="20"/><nd ref="21"/><nd ref="22"/><nd ref="20"/>',
        '<tag k="building" v="yes"/></way>',
    ]
    for way_id, names, tags in TOY_WAYS:
        lines.append(f'<way id="{way_id}">')
        lines += [f'<nd ref="{TOY_NODES[n][0]}"/>' for n in names]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def toy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_toy(tmp_path_factory.mktemp("toy") / "toy.osm")


@pytest.fixture(scope="module")
def toy(toy_file: Path) -> dict[str, StreetNetwork]:
    return {mode: build_network(toy_file, mode) for mode in ("walk", "bike", "car")}


def seconds_matrix(net: StreetNetwork, origins: str, destinations: str) -> np.ndarray:
    o = np.array([toy_point(n) for n in origins])
    d = np.array([toy_point(n) for n in destinations])
    return net.travel_times(o, d) * 60.0


# -- the toy town: mode rules and arithmetic, by hand ----------------------------------------


def test_toy_nodes_kept_per_mode(toy: dict[str, StreetNetwork]) -> None:
    ids = {mode: sorted(net.node_id.tolist()) for mode, net in toy.items()}
    assert ids["walk"] == [1, 2, 3, 4, 5, 6, 7]  # G is private; H is fine on foot
    assert ids["car"] == [1, 2, 3, 4, 5, 6]  # H: a one-way dead end, outside the largest SCC
    assert ids["bike"] == [1, 2, 3, 4, 5, 6]  # no contraflow on F→H either


def test_toy_car_times(toy: dict[str, StreetNetwork]) -> None:
    at_30, at_50 = 100 / (30 / 3.6), 100 / (50 / 3.6)  # 12 s and 7.2 s per 100 m
    got = seconds_matrix(toy["car"], "AFEB", "FADE")
    expected = np.array(
        [
            [at_30 + 2 * at_50, 0, at_30, at_30 + at_50],  # A→F via the one-way D→E→F
            [0, 3 * at_30, 4 * at_30, 4 * at_30 + at_50],  # F→A back along F–C–B–A
            [at_50, 3 * at_30 + at_50, 4 * at_30 + at_50, 0],  # E→D: round the block
            [2 * at_30, at_30, 2 * at_30, 2 * at_30 + at_50],  # B→E: not by the footway
        ]
    )
    np.testing.assert_allclose(got, expected, atol=0.01)


def test_toy_bike_rides_contraflow_but_not_footways(toy: dict[str, StreetNetwork]) -> None:
    per_100 = 100 / (15 / 3.6)  # 24 s
    got = seconds_matrix(toy["bike"], "EB", "DE")
    np.testing.assert_allclose(got, [[per_100, 0], [2 * per_100, 3 * per_100]], atol=0.01)


def test_toy_walk_ignores_one_ways_and_takes_the_footway(toy: dict[str, StreetNetwork]) -> None:
    per_100 = 100 / (4.5 / 3.6)  # 80 s
    got = seconds_matrix(toy["walk"], "BEH", "EDF")
    expected = [
        [per_100, 2 * per_100, 2 * per_100],  # B→E by the footway
        [0, per_100, per_100],  # E→D against the one-way
        [2 * per_100, 3 * per_100, per_100],  # H→F against the one-way
    ]
    np.testing.assert_allclose(got, expected, atol=0.01)


def test_access_and_egress_legs_are_walked(toy: dict[str, StreetNetwork]) -> None:
    origin = lonlat(0, -30)  # 30 m south of A
    destination = lonlat(200, 140)  # 40 m north of F
    walk_legs = (30 + 40) / (4.5 / 3.6)
    got = toy["car"].travel_times([origin], [destination])[0, 0] * 60
    assert got == pytest.approx(walk_legs + 12 + 2 * 7.2, abs=0.01)
    snap = toy["car"].snap([origin, destination])
    assert snap.distance_m == pytest.approx([30, 40], abs=0.01)
    assert toy["car"].node_id[snap.nodes].tolist() == [1, 6]


def test_points_beyond_one_kilometre_are_reported_not_snapped(
    toy: dict[str, StreetNetwork],
) -> None:
    net = toy["walk"]
    far, near = lonlat(0, -1_200), lonlat(0, -900)
    snap = net.snap([far, near])
    assert snap.too_far.tolist() == [True, False]
    assert snap.distance_m[0] > MAX_SNAP_DISTANCE_M
    times = net.travel_times([far, near], [toy_point("B"), far])
    assert np.isinf(times[0]).all()
    assert np.isinf(times[:, 1]).all()
    assert times[1, 0] == pytest.approx((900 + 100) / 75)
    assert np.isinf(net.one_to_all(*far)).all()
    assert net.isochrone(*far, 10).is_empty


def test_max_minutes_cuts_and_matches_the_uncut_times(toy: dict[str, StreetNetwork]) -> None:
    net = toy["walk"]
    points = np.array([toy_point(n) for n in "ABCDEFH"])
    full = net.travel_times(points, points)
    cut = net.travel_times(points, points, max_minutes=2.5)
    np.testing.assert_array_equal(cut, np.where(full <= 2.5, full, np.inf))
    assert np.isfinite(cut).sum() < np.isfinite(full).sum()


def test_one_to_all_then_node_times_to_equals_travel_times(toy: dict[str, StreetNetwork]) -> None:
    net = toy["car"]
    origin = lonlat(10, -20)
    destinations = np.array([lonlat(190, 110), lonlat(0, 95), lonlat(5_000, 0)])
    node_minutes = net.one_to_all(*origin)
    assert node_minutes.shape == (net.n_nodes,)
    snap = net.snap(destinations)
    via_nodes = net.node_times_to(snap, node_minutes)
    np.testing.assert_allclose(via_nodes, net.travel_times([origin], destinations)[0])
    assert np.isinf(via_nodes[2])
    capped = net.node_times_to(snap, node_minutes, max_minutes=float(via_nodes[1]))
    assert np.isfinite(capped).tolist() == [via_nodes[0] <= via_nodes[1], True, False]


def test_bz2_file_gives_the_same_network(toy_file: Path, tmp_path: Path) -> None:
    packed = tmp_path / "toy.osm.bz2"
    packed.write_bytes(bz2.compress(toy_file.read_bytes()))
    plain, compressed = build_network(toy_file, "car"), build_network(packed, "car")
    for name in ("indptr", "indices", "weights", "node_lon", "node_lat", "node_id"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(compressed, name))


def test_progress_is_reported_from_zero_to_one(toy_file: Path) -> None:
    steps: list[tuple[str, float]] = []
    build_network(toy_file, "walk", progress=lambda step, done: steps.append((step, done)))
    fractions = [done for _, done in steps]
    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert all(isinstance(step, str) and step for step, _ in steps)


# -- mode rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("FR:urban", 50.0),
        ("FR:rural", 80.0),
        ("FR:zone30", 30.0),
        ("FR:motorway", 130.0),
        ("70;50", 50.0),
        ("none", None),
        ("signals", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_maxspeed(value: str | None, kmh: float | None) -> None:
    assert parse_maxspeed(value) == (pytest.approx(kmh) if kmh is not None else None)


def test_way_rules_follow_access_tags_and_french_rules() -> None:
    assert way_rule({"highway": "cycleway"}, "walk").used is False
    assert way_rule({"highway": "cycleway", "foot": "yes"}, "walk").used is True
    assert way_rule({"highway": "footway", "bicycle": "designated"}, "bike").used is True
    assert way_rule({"highway": "steps"}, "bike").used is False
    assert way_rule({"highway": "track", "access": "no", "foot": "yes"}, "walk").used is True
    assert way_rule({"highway": "residential", "motor_vehicle": "no"}, "car").used is False
    assert way_rule({"highway": "residential", "access": "no", "motorcar": "yes"}, "car").used
    assert way_rule({"highway": "trunk", "motorroad": "yes"}, "bike").used is False
    assert way_rule({"highway": "motorway"}, "walk").used is False
    assert way_rule({"highway": "pedestrian", "area": "yes"}, "walk").used is False
    assert way_rule({"highway": "service", "service": "parking_aisle"}, "car").used is False
    roundabout = way_rule({"highway": "primary", "junction": "roundabout"}, "car")
    assert (roundabout.forward, roundabout.backward, roundabout.speed_kmh) == (True, False, 80)
    reverse = way_rule({"highway": "residential", "oneway": "-1"}, "bike")
    assert (reverse.forward, reverse.backward) == (False, True)
    contraflow = way_rule(
        {"highway": "residential", "oneway": "yes", "cycleway": "opposite"}, "bike"
    )
    assert (contraflow.forward, contraflow.backward) == (True, True)
    assert way_rule({"highway": "living_street"}, "car").speed_kmh == 20


@pytest.mark.parametrize("mode", ["train", "WALK", ""])
def test_unknown_modes_are_refused_in_french(mode: str, toy_file: Path) -> None:
    with pytest.raises(ValueError, match="Mode inconnu"):
        build_network(toy_file, mode)
    with pytest.raises(ValueError, match="Mode inconnu"):
        StraightLineEstimator(mode)


def test_unreadable_files_are_refused_in_french(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="introuvable"):
        build_network(tmp_path / "absent.osm.pbf", "walk")
    with pytest.raises(ValueError, match="Format de fichier OSM non reconnu"):
        build_network(tmp_path / "roads.shp", "walk")
    for name in ("garbage.osm.pbf", "garbage.osm"):
        (tmp_path / name).write_bytes(b"\x00\x01 not osm at all")
        with pytest.raises(ValueError, match="illisible"):
            build_network(tmp_path / name, "walk")
    empty = tmp_path / "empty.osm"
    empty.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" lat="0" lon="0"/></osm>')
    with pytest.raises(ValueError, match=r"Aucune voie|illisible"):
        build_network(empty, "walk")


# -- the kernel against scipy, on a random graph ----------------------------------------------


def test_matrix_equals_scipy_dijkstra_on_a_random_graph() -> None:
    rng = np.random.default_rng(7)
    n, arcs = 400, 1_600
    tail, head = rng.integers(0, n, arcs), rng.integers(0, n, arcs)
    keep = tail != head
    tail, head = tail[keep], head[keep]
    _, first = np.unique(tail * n + head, return_index=True)
    tail, head = tail[first], head[first]
    seconds = rng.uniform(1, 120, tail.size)
    order = np.lexsort((head, tail))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(tail, minlength=n))])
    net = StreetNetwork(
        "walk",
        indptr=indptr,
        indices=head[order],
        weights=seconds[order],
        node_lon=rng.uniform(4.30, 4.40, n),
        node_lat=rng.uniform(43.80, 43.90, n),
    )
    graph = csr_matrix((net.weights, net.indices, net.indptr), shape=(n, n))
    sources = np.concatenate([rng.integers(0, n, 60), [3, 3, 3]])  # duplicates share a search
    targets = rng.integers(0, n, 90)
    origins = Snap(sources, np.zeros(sources.size), np.zeros(sources.size, dtype=bool))
    destinations = Snap(targets, np.zeros(targets.size), np.zeros(targets.size, dtype=bool))
    expected = dijkstra(graph, indices=sources)[:, targets] / 60
    np.testing.assert_allclose(net.travel_times(origins, destinations), expected, rtol=1e-12)
    cut = net.travel_times(origins, destinations, max_minutes=3)
    np.testing.assert_array_equal(cut, np.where(expected <= 3, expected, np.inf))


def test_a_snap_from_another_network_is_refused(toy: dict[str, StreetNetwork]) -> None:
    bigger = toy["walk"].snap([toy_point("H")])  # node index 6 exists on foot only
    with pytest.raises(ValueError, match="autre réseau"):
        toy["car"].travel_times(bigger, bigger)


# -- storage ----------------------------------------------------------------------------------


def test_save_and_load_roundtrip(toy: dict[str, StreetNetwork], tmp_path: Path) -> None:
    net = toy["bike"]
    written = net.save(tmp_path / "networks")
    assert written == tmp_path / "networks" / "bike.npz"
    for loaded in (load_network(written, "bike"), load_network(tmp_path / "networks", "bike")):
        assert loaded.mode == "bike"
        assert loaded.estimated is False
        for name in ("indptr", "indices", "weights", "node_lon", "node_lat", "node_id"):
            original, back = getattr(net, name), getattr(loaded, name)
            assert back.dtype == original.dtype
            np.testing.assert_array_equal(back, original)
    with pytest.raises(ValueError, match="pas « car »"):
        load_network(written, "car")
    with pytest.raises(ValueError, match="introuvable"):
        load_network(tmp_path / "networks", "walk")
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(ValueError, match="illisible"):
        load_network(tmp_path / "bad.npz", "bike")


def test_travel_time_model_falls_back_to_the_estimate(
    toy: dict[str, StreetNetwork], tmp_path: Path
) -> None:
    toy["walk"].save(tmp_path)
    models: list[SingleModeModel] = [toy["walk"], StraightLineEstimator("walk")]  # mypy checks
    assert [model.estimated for model in models] == [False, True]
    assert isinstance(travel_time_model(tmp_path, "walk"), StreetNetwork)
    assert isinstance(travel_time_model(tmp_path, "transit"), StraightLineEstimator)
    fallback = travel_time_model(tmp_path, "car")
    assert isinstance(fallback, StraightLineEstimator)
    assert fallback.estimated is True
    assert isinstance(travel_time_model(None, "bike"), StraightLineEstimator)


# -- the straight-line estimate, isochrones, long format --------------------------------------


def test_straight_line_estimator_applies_its_formula() -> None:
    estimator = StraightLineEstimator("car")
    assert estimator.estimated is True
    metres = haversine_m(ALES, NIMES)
    expected = metres * DETOUR_FACTOR["car"] / (ESTIMATE_SPEED_KMH["car"] * 1000 / 60)
    times = estimator.travel_times([ALES, NIMES], [NIMES, ALES])
    np.testing.assert_allclose(times, [[expected, 0], [0, expected]], atol=1e-9)
    assert np.isinf(estimator.travel_times([ALES], [NIMES], max_minutes=expected - 1)).all()
    walk = StraightLineEstimator("walk").travel_times([ALES], [NIMES])[0, 0]
    assert walk == math.ceil(metres * 1.3 / (4.5 / 3.6)) / 60  # whole seconds, rounded up
    assert walk == pytest.approx(metres * 1.3 / 75, abs=1 / 60)
    assert StraightLineEstimator("transit").travel_times([ALES], [ALES])[0, 0] == 0


def test_straight_line_isochrone_is_a_disc_of_the_right_radius() -> None:
    estimator = StraightLineEstimator("bike")
    disc = estimator.isochrone(*NIMES, 12)
    radius = 12 * 15_000 / 60 / 1.3
    assert disc.contains(Point(NIMES))
    for bearing in range(0, 360, 45):
        edge = _destination(NIMES, radius * 0.98, bearing)
        outside = _destination(NIMES, radius * 1.02, bearing)
        assert disc.contains(Point(edge))
        assert not disc.contains(Point(outside))


def _destination(
    start: tuple[float, float], metres: float, bearing_deg: float
) -> tuple[float, float]:
    lon, lat = map(math.radians, start)
    delta, theta = metres / R, math.radians(bearing_deg)
    lat2 = math.asin(
        math.sin(lat) * math.cos(delta) + math.cos(lat) * math.sin(delta) * math.cos(theta)
    )
    lon2 = lon + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(lat),
        math.cos(delta) - math.sin(lat) * math.sin(lat2),
    )
    return math.degrees(lon2), math.degrees(lat2)


def test_toy_isochrone_contains_the_origin_and_grows(toy: dict[str, StreetNetwork]) -> None:
    net = toy["walk"]
    origin = lonlat(-20, -20)
    small, large = net.isochrone(*origin, 1.5), net.isochrone(*origin, 4)
    assert small.geom_type == "Polygon"
    assert large.geom_type == "Polygon"
    assert small.contains(Point(origin))
    assert large.contains(Point(origin))
    assert small.area < large.area
    assert small.difference(large).area < 2e-2 * small.area  # outlines simplified to 5 m
    assert large.contains(Point(toy_point("D")))
    assert not small.contains(Point(toy_point("F")))


def test_long_format_drops_unreachable_pairs() -> None:
    matrix = np.array([[1.5, np.inf, 3.0], [np.nan, np.inf, 0.0]])
    table = long_format(matrix, ["a", "b"], [10, 20, 30])
    assert list(table.columns) == ["from_id", "to_id", "travel_time"]
    assert table.to_dict("records") == [
        {"from_id": "a", "to_id": 10, "travel_time": 1.5},
        {"from_id": "a", "to_id": 30, "travel_time": 3.0},
        {"from_id": "b", "to_id": 30, "travel_time": 0.0},
    ]
    with pytest.raises(ValueError, match="incompatible"):
        long_format(matrix, ["a"], [10, 20, 30])


def test_import_is_cheap() -> None:
    code = (
        "import sys, geodata.traveltime, geodata.network; "
        "print(sorted({'numba', 'pandas', 'osmnx', 'pyrosm'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_concurrent_queries_agree(toy: dict[str, StreetNetwork]) -> None:
    net = toy["walk"]
    points = np.array([toy_point(n) for n in "ABCDEFH"] * 50)
    expected = net.travel_times(points, points)
    results: list[np.ndarray] = []

    def query() -> None:
        results.append(net.travel_times(points, points))

    threads = [threading.Thread(target=query) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    for result in results:
        np.testing.assert_array_equal(result, expected)


# -- real networks ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saint_barthelemy_car() -> StreetNetwork:
    return build_network(OSM / "saint_barthelemy.osm.pbf", "car")


@pytest.fixture(scope="module")
def helsinki_walk() -> StreetNetwork:
    return build_network(OSM / "helsinki.osm.pbf", "walk")


def _assert_equals_networkx(net: StreetNetwork, sources: list[int]) -> None:
    graph = net.to_networkx()
    every = np.arange(net.n_nodes)
    at_nodes = Snap(every, np.zeros(net.n_nodes), np.zeros(net.n_nodes, dtype=bool))
    for source in sources:
        expected_s = nx.single_source_dijkstra_path_length(graph, source, weight="travel_time")
        assert len(expected_s) == net.n_nodes  # strongly connected: everything is reached
        expected = np.array([expected_s[i] for i in every]) / 60
        origin = Snap(np.array([source]), np.zeros(1), np.zeros(1, dtype=bool))
        got = net.travel_times(origin, at_nodes)[0]
        assert np.abs(got - expected).max() * 60 < 1e-6  # seconds; "within 1 s" with room


@needs_shared
def test_saint_barthelemy_car_equals_networkx(saint_barthelemy_car: StreetNetwork) -> None:
    net = saint_barthelemy_car
    assert net.mode == "car"
    assert net.n_nodes > 3_000
    _assert_equals_networkx(net, [0, net.n_nodes // 2, net.n_nodes - 1])
    lon, lat = float(net.node_lon[100]), float(net.node_lat[100])
    graph = net.to_networkx(multigraph=False)
    expected = nx.single_source_dijkstra_path_length(graph, 100, weight="travel_time")
    got = net.one_to_all(lon, lat)
    reference = np.array([expected[i] for i in range(net.n_nodes)]) / 60
    assert np.abs(got - reference).max() * 60 < 1e-6


@needs_shared
def test_helsinki_walk_equals_networkx_and_scipy(helsinki_walk: StreetNetwork) -> None:
    net = helsinki_walk
    assert net.n_nodes > 5_000
    _assert_equals_networkx(net, [7, 2_500])
    rng = np.random.default_rng(1)
    nodes = np.column_stack([net.node_lon, net.node_lat])
    origins = nodes[rng.integers(0, net.n_nodes, 200)] + rng.normal(0, 3e-4, (200, 2))
    destinations = nodes[rng.integers(0, net.n_nodes, 300)] + rng.normal(0, 3e-4, (300, 2))
    got = net.travel_times(origins, destinations)
    o, d = net.snap(origins), net.snap(destinations)
    graph = csr_matrix((net.weights, net.indices, net.indptr), shape=(net.n_nodes,) * 2)
    expected = dijkstra(graph, indices=o.nodes)[:, d.nodes] + o.leg_seconds[:, None]
    expected = (expected + d.leg_seconds[None, :]) / 60
    expected[o.too_far] = np.inf
    expected[:, d.too_far] = np.inf
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    again = net.travel_times(origins[:50], destinations)  # destinations: the cached snap
    np.testing.assert_array_equal(again, got[:50])


@needs_shared
def test_only_the_largest_strongly_connected_component_is_kept(
    saint_barthelemy_car: StreetNetwork,
) -> None:
    ways = read_osm(OSM / "saint_barthelemy.osm.pbf")
    arcs = mode_arcs(ways, "car")
    graph = nx.DiGraph()
    graph.add_edges_from(zip(arcs.tail.tolist(), arcs.head.tolist(), strict=True))
    components = sorted(nx.strongly_connected_components(graph), key=len, reverse=True)
    assert len(components) > 1  # there is something to drop
    largest = {int(ways.node_id[i]) for i in components[0]}
    assert set(saint_barthelemy_car.node_id.tolist()) == largest
    assert nx.is_strongly_connected(saint_barthelemy_car.to_networkx(multigraph=False))
    keep = largest_strongly_connected(ways.node_id.size, arcs)
    assert int(keep.sum()) == len(largest)


@needs_shared
def test_pbf_reading_reports_its_progress(tmp_path: Path) -> None:
    # pyrosm caches a read by path and mtime (a hit reports only 0 and 100 %): a fresh copy decodes
    fresh = tmp_path / "helsinki.osm.pbf"
    shutil.copyfile(OSM / "helsinki.osm.pbf", fresh)
    steps: list[tuple[str, float]] = []
    build_network(fresh, "bike", progress=lambda s, f: steps.append((s, f)))
    fractions = [done for _, done in steps]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0
    assert any(0.0 < done < 0.8 for done in fractions)  # pyrosm's own progress, passed on


@needs_shared
def test_a_point_at_sea_is_too_far(saint_barthelemy_car: StreetNetwork) -> None:
    at_sea = (-62.70, 17.90)  # ~15 km east of Gustavia, open Atlantic
    gustavia = (-62.8511, 17.8958)
    snap = saint_barthelemy_car.snap([at_sea, gustavia])
    assert snap.too_far.tolist() == [True, False]
    times = saint_barthelemy_car.travel_times([gustavia], [at_sea, gustavia])
    assert np.isinf(times[0, 0])
    assert np.isfinite(times[0, 1])


@needs_shared
def test_real_isochrone_contains_the_origin_and_grows(helsinki_walk: StreetNetwork) -> None:
    origin = (24.9384, 60.1699)  # Helsinki central station
    five, fifteen = (helsinki_walk.isochrone(*origin, m) for m in (5, 15))
    assert five.contains(Point(origin))
    assert fifteen.contains(Point(origin))
    assert fifteen.area > 2 * five.area
    assert shapely.difference(five, fifteen).area < 2e-2 * five.area  # outlines simplified to 5 m


@needs_shared
def test_real_save_load_roundtrip(saint_barthelemy_car: StreetNetwork, tmp_path: Path) -> None:
    loaded = load_network(saint_barthelemy_car.save(tmp_path / "sbh.npz"), "car")
    for name in ("indptr", "indices", "weights", "node_lon", "node_lat", "node_id"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(saint_barthelemy_car, name))
    points = np.column_stack([loaded.node_lon[:300], loaded.node_lat[:300]])
    np.testing.assert_array_equal(
        loaded.travel_times(points[:5], points),
        saint_barthelemy_car.travel_times(points[:5], points),
    )
