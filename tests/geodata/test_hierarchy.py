"""Many-to-many travel times: the contraction hierarchy (`geodata.hierarchy`) and the reverse
searches of `geodata.traveltime` against the per-origin Dijkstra and networkx.

Random graphs drawn by hypothesis (one-way arcs, parallel arcs, loops, zero weights, nodes that
reach nothing), then the real extracts of Saint-Barthélemy (car, one-way streets) and Helsinki
(walk) from ``../shared/data/osm``. Weights that are multiples of 1/8 s add up exactly in any
order, so there every method must give bitwise the same matrix; with arbitrary weights the
sums differ in their last bits and 1e-9 s is the tolerance.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.hierarchy import Hierarchy, contract
from geodata.network import build_network
from geodata.traveltime import MatrixMethod, Snap, StreetNetwork, load_network

OSM = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm"
needs_shared = pytest.mark.skipif(
    not OSM.is_dir(), reason="../shared/data/osm absent (a clone without the shared data)"
)
METHODS: tuple[MatrixMethod, ...] = ("dijkstra", "reverse", "hierarchy")


def network_of(n: int, arcs: list[tuple[int, int, float]]) -> StreetNetwork:
    """A walk network over nodes 0 … n − 1 from (tail, head, seconds) arcs, in CSR order."""
    tails = np.array([a[0] for a in arcs], dtype=np.int64)
    heads = np.array([a[1] for a in arcs], dtype=np.int64)
    seconds = np.array([a[2] for a in arcs], dtype=np.float64)
    order = np.argsort(tails, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    return StreetNetwork(
        "walk",
        indptr=indptr,
        indices=heads[order],
        weights=seconds[order],
        node_lon=4.0 + 0.001 * np.arange(n),
        node_lat=np.full(n, 44.0),
    )


def at_nodes(nodes: Iterable[int] | np.ndarray, too_far: Iterable[bool] | None = None) -> Snap:
    """Points lying exactly on these nodes (no walked leg); ``too_far`` marks points off the
    network."""
    ids = np.fromiter(nodes, dtype=np.int64)
    flags = np.zeros(ids.size, dtype=bool) if too_far is None else np.fromiter(too_far, bool)
    return Snap(ids, np.zeros(ids.size), flags)


def networkx_minutes(
    net: StreetNetwork, origins: Snap, destinations: Snap, max_minutes: float | None
) -> np.ndarray:
    """The expected matrix: networkx's Dijkstra on the same arcs (the lightest of parallel
    arcs), cut at the budget, ``inf`` for points off the network."""
    graph = net.to_networkx(multigraph=True)
    cutoff = None if max_minutes is None else max_minutes * 60
    out = np.full((len(origins), len(destinations)), np.inf)
    for i, (source, off) in enumerate(zip(origins.nodes, origins.too_far, strict=True)):
        if off:
            continue
        lengths = nx.single_source_dijkstra_path_length(
            graph, int(source), cutoff=cutoff, weight="travel_time"
        )
        for j, (target, gone) in enumerate(
            zip(destinations.nodes, destinations.too_far, strict=True)
        ):
            if not gone and int(target) in lengths:
                out[i, j] = lengths[int(target)] / 60
    return out


@st.composite
def cases(draw: st.DrawFn, *, exact: bool) -> tuple[StreetNetwork, Snap, Snap, float | None]:
    n = draw(st.integers(1, 24))
    node = st.integers(0, n - 1)
    weight = (
        st.integers(0, 800).map(lambda eighths: eighths / 8)
        if exact
        else st.floats(0.0, 500.0, allow_nan=False, allow_infinity=False)
    )
    arcs = draw(st.lists(st.tuples(node, node, weight), max_size=4 * n))
    origins = draw(st.lists(node, min_size=1, max_size=12))
    destinations = draw(st.lists(node, min_size=1, max_size=12))
    off_o = draw(st.lists(st.booleans(), min_size=len(origins), max_size=len(origins)))
    off_d = draw(st.lists(st.booleans(), min_size=len(destinations), max_size=len(destinations)))
    budget = draw(st.none() | st.integers(0, 40).map(lambda quarter: quarter / 4))
    return (
        network_of(n, arcs),
        at_nodes(origins, [o and i % 3 == 0 for i, o in enumerate(off_o)]),
        at_nodes(destinations, [d and i % 3 == 0 for i, d in enumerate(off_d)]),
        budget,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(exact=True))
def test_every_method_equals_networkx_bitwise_on_exact_weights(
    case: tuple[StreetNetwork, Snap, Snap, float | None],
) -> None:
    net, origins, destinations, budget = case
    expected = networkx_minutes(net, origins, destinations, budget)
    every_method: tuple[MatrixMethod, ...] = (*METHODS, "auto")
    for method in every_method:
        got = net.travel_times(origins, destinations, max_minutes=budget, method=method)
        np.testing.assert_array_equal(got, expected, err_msg=method)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(exact=False))
def test_every_method_equals_the_per_origin_dijkstra_on_any_weights(
    case: tuple[StreetNetwork, Snap, Snap, float | None],
) -> None:
    net, origins, destinations, budget = case
    reference = net.travel_times(origins, destinations, max_minutes=budget, method="dijkstra")
    expected = networkx_minutes(net, origins, destinations, budget)
    methods: tuple[MatrixMethod, ...] = ("reverse", "hierarchy")
    for method in methods:
        got = net.travel_times(origins, destinations, max_minutes=budget, method=method)
        for other in (reference, expected):
            # a sum within an ulp of the budget may fall on either side of it
            borderline = (
                np.isclose(np.where(np.isfinite(other), other, 0.0), budget, rtol=1e-12, atol=0)
                if budget is not None
                else np.zeros(other.shape, dtype=bool)
            )
            sure = ~borderline
            np.testing.assert_array_equal(np.isinf(got[sure]), np.isinf(other[sure]))
            finite = sure & np.isfinite(other) & np.isfinite(got)
            assert np.all(np.abs(got[finite] - other[finite]) * 60 <= 1e-9), method


def test_the_hierarchy_keeps_one_way_arcs_and_zero_weights() -> None:
    # 0 → 1 → 2 one way, 2 → 0 back slowly; 3 reached from 2 by a zero-weight arc; 4 alone
    net = network_of(5, [(0, 1, 10.0), (1, 2, 10.0), (2, 0, 100.0), (2, 3, 0.0)])
    every = at_nodes(range(5))
    expected = np.array(
        [
            [0, 10, 20, 20, np.inf],
            [110, 0, 10, 10, np.inf],
            [100, 110, 0, 0, np.inf],
            [np.inf, np.inf, np.inf, 0, np.inf],
            [np.inf, np.inf, np.inf, np.inf, 0],
        ]
    )
    for method in METHODS:
        np.testing.assert_array_equal(net.travel_times(every, every, method=method) * 60, expected)


def test_origins_on_one_node_share_one_answer() -> None:
    net = network_of(4, [(0, 1, 8.0), (1, 2, 8.0), (2, 3, 8.0), (3, 0, 8.0)])
    origins = at_nodes([2, 2, 0, 2])
    destinations = at_nodes([3, 3, 1])
    for method in METHODS:
        got = net.travel_times(origins, destinations, method=method) * 60
        np.testing.assert_array_equal(got[0], got[1])
        np.testing.assert_array_equal(got[0], got[3])
        np.testing.assert_array_equal(got[2], [24.0, 24.0, 8.0])


def test_an_unknown_method_is_refused_in_french() -> None:
    net = network_of(2, [(0, 1, 1.0)])
    with pytest.raises(ValueError, match="Méthode inconnue"):
        net.travel_times(at_nodes([0]), at_nodes([1]), method="astar")  # type: ignore[arg-type]


def test_an_inconsistent_hierarchy_is_refused_in_french() -> None:
    net = network_of(3, [(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)])
    h = contract(net.indptr, net.indices, net.weights)
    arrays: list[np.ndarray] = [h.order, h.up_ptr, h.up_head, h.up_w, h.down_ptr]
    arrays += [h.down_tail, h.down_w]
    broken = [a.copy() for a in arrays]
    broken[2] = np.full_like(broken[2], 7)  # an arc to a node that does not exist
    with pytest.raises(ValueError, match="Hiérarchie de contraction incohérente"):
        Hierarchy.from_arrays(*broken)
    with pytest.raises(ValueError, match="incohérente avec le réseau"):
        StreetNetwork(
            "walk",
            indptr=[0, 0],
            indices=[],
            weights=[],
            node_lon=[4.0],
            node_lat=[44.0],
            hierarchy=h,
        )


def test_the_hierarchy_is_saved_with_the_network_and_old_files_still_load(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    arcs = [(int(a), int(b), float(w)) for a, b, w in zip(*rng.integers(0, 30, (2, 90)),
            rng.uniform(1, 60, 90), strict=True) if a != b]  # fmt: skip
    net = network_of(30, arcs)
    every = at_nodes(range(30))
    expected = net.travel_times(every, every, method="dijkstra")
    loaded = load_network(net.save(tmp_path / "walk.npz"), "walk")
    assert loaded.has_hierarchy
    np.testing.assert_array_equal(loaded.hierarchy.up_w, net.hierarchy.up_w)
    np.testing.assert_allclose(
        loaded.travel_times(every, every, method="hierarchy"), expected, rtol=1e-12
    )
    # format 1 (before the hierarchy): loads, and builds the hierarchy when asked
    with np.load(tmp_path / "walk.npz") as data:
        old = {k: data[k] for k in data.files if not k.startswith("ch_")}
    old["version"] = np.int64(1)
    np.savez(tmp_path / "old.npz", **old)
    legacy = load_network(tmp_path / "old.npz", "walk")
    assert not legacy.has_hierarchy
    np.testing.assert_allclose(
        legacy.travel_times(every, every, method="hierarchy"), expected, rtol=1e-12
    )
    assert legacy.has_hierarchy
    bare = load_network(net.save(tmp_path / "bare.npz", hierarchy=False), "walk")
    assert not bare.has_hierarchy


# -- real networks ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saint_barthelemy_car() -> StreetNetwork:
    return build_network(OSM / "saint_barthelemy.osm.pbf", "car")


@pytest.fixture(scope="module")
def helsinki_walk() -> StreetNetwork:
    return build_network(OSM / "helsinki.osm.pbf", "walk")


def _points_near_nodes(
    net: StreetNetwork, count: int, rng: np.random.Generator
) -> np.ndarray:  # fmt: skip
    """Points a few metres off random nodes, a pair of them on one node, and one at sea."""
    nodes = rng.choice(net.n_nodes, count, replace=False)
    lon = net.node_lon[nodes] + rng.normal(0, 2e-4, count)
    lat = net.node_lat[nodes] + rng.normal(0, 2e-4, count)
    points = np.column_stack([lon, lat])
    points[1] = points[0]  # two origins, one node
    points[2] = [net.node_lon.min() - 0.5, net.node_lat.min()]  # beyond 1 km: unreachable
    return points


@needs_shared
@pytest.mark.parametrize("budget", [None, 6.0])
def test_saint_barthelemy_car_methods_agree_with_networkx(
    saint_barthelemy_car: StreetNetwork, budget: float | None
) -> None:
    net = saint_barthelemy_car
    rng = np.random.default_rng(11)
    origins, destinations = _points_near_nodes(net, 40, rng), _points_near_nodes(net, 60, rng)
    reference = net.travel_times(origins, destinations, max_minutes=budget, method="dijkstra")
    o, d = net.snap(origins), net.snap(destinations)
    on_nodes = networkx_minutes(
        net, at_nodes(o.nodes, o.too_far), at_nodes(d.nodes, d.too_far), None
    )
    expected = on_nodes + o.leg_seconds[:, None] / 60 + d.leg_seconds[None, :] / 60
    if budget is not None:
        expected[expected > budget] = np.inf
    assert np.isinf(reference[2]).all()  # the point at sea
    assert np.isinf(reference[:, 2]).all()
    assert np.isfinite(reference).sum() > 100
    for method in METHODS:
        got = net.travel_times(origins, destinations, max_minutes=budget, method=method)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(reference))
        finite = np.isfinite(got)
        assert np.abs(got[finite] - reference[finite]).max() <= 1e-9, method
        assert np.abs(got[finite] - expected[finite]).max() <= 1e-9, method


@needs_shared
def test_helsinki_walk_hierarchy_equals_dijkstra_on_every_pair(
    helsinki_walk: StreetNetwork,
) -> None:
    net = helsinki_walk
    rng = np.random.default_rng(5)
    sources = at_nodes(rng.choice(net.n_nodes, 150, replace=False))
    targets = at_nodes(rng.choice(net.n_nodes, 200, replace=False))
    reference = net.travel_times(sources, targets, method="dijkstra")
    assert np.isfinite(reference).all()  # strongly connected
    methods: tuple[MatrixMethod, ...] = ("reverse", "hierarchy", "auto")
    for method in methods:
        got = net.travel_times(sources, targets, method=method)
        assert np.abs(got - reference).max() <= 1e-9 / 60, method


@needs_shared
def test_concurrent_queries_build_one_hierarchy_and_agree(tmp_path: Path) -> None:
    net = build_network(OSM / "helsinki.osm.pbf", "walk")  # its own: no hierarchy yet
    assert not net.has_hierarchy
    rng = np.random.default_rng(9)
    points = np.column_stack([net.node_lon, net.node_lat])[rng.choice(net.n_nodes, 300)]
    expected = net.travel_times(points, points, method="dijkstra")
    results: list[np.ndarray] = []
    built: list[Hierarchy] = []

    def query() -> None:
        results.append(net.travel_times(points, points, method="hierarchy"))
        built.append(net.hierarchy)

    threads = [threading.Thread(target=query) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(h is built[0] for h in built)  # built once, shared
    for result in results:
        np.testing.assert_array_equal(result, results[0])
        np.testing.assert_array_equal(np.isinf(result), np.isinf(expected))
        assert np.nanmax(np.abs(np.where(np.isfinite(result), result - expected, 0))) <= 1e-11
