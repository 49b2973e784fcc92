"""Travel times over street networks, and a straight-line estimate where there is no network.

Everything here takes points as EPSG:4326 ``(lon, lat)`` pairs in degrees and answers in
**minutes**; ``inf`` means "not reachable" (off the network, or beyond ``max_minutes``).

The model
---------
A `StreetNetwork` is one mode's street graph (``walk``, ``bike`` or ``car``, built from an
OpenStreetMap file by `geodata.network.build_network`) stored as compact arrays: a directed
graph in CSR form whose arc weights are travel times in seconds, and the coordinates of its
nodes. The travel time from a point A to a point B is

    t(A, B) = d(A, a) / v_access + T(a, b) + d(b, B) / v_access

where ``a`` and ``b`` are the network nodes nearest to A and B (great-circle distance ``d``, in
metres), ``T`` the shortest-path time over the arcs, and ``v_access`` the walking speed,
4.5 km/h, **for every mode**: the access and egress legs are walked (to the parked car, to the
bike stand, from the street to the door), in a straight line. A point farther than
`MAX_SNAP_DISTANCE_M` (1 km) from every node is *not* snapped: its travel times are ``inf`` and
`Snap.too_far` says why. The service answers those with `StraightLineEstimator`.

Distances
---------
Points and nodes are placed on the sphere of `geodata.sphere` (radius `EARTH_RADIUS_M`, the
IUGG mean radius, the one OSMnx uses for edge lengths); nearest nodes are found with a KD-tree
over their 3-D Cartesian coordinates, whose chord lengths convert exactly to great-circle
distances. Against
the WGS84 ellipsoid a spherical distance errs by at most ±0.5 % (typically 0.1–0.3 % at French
latitudes), i.e. under 5 m on the 1 km snapping limit. No projection is chosen, so nothing
depends on where in the world the network lies.

Shortest paths
--------------
A Dijkstra search with an indexed 4-ary heap over the CSR arrays, compiled by numba on first
use (``cache=True``: later processes load the machine code from ``__pycache__``; `warm_up`
does it ahead of time); a search stops once every destination node is settled, or once it
passes the time budget (``max_minutes``). Points snapped to the same node share one search.

A matrix (`StreetNetwork.travel_times`) takes the cheapest of three exact methods
(`_matrix_seconds`; ``method=`` forces one):

- one Dijkstra search per distinct origin node, in batches on a thread pool over every core
  (the kernel releases the GIL);
- one search per distinct destination node over the reversed graph, when there are fewer
  destinations — coverage's zones × sites: one bounded search per site, not per zone;
- the contraction hierarchy of `geodata.hierarchy` with bucket-based many-to-many (Knopp et
  al. 2007): one small upward search per origin and per destination, whatever the budget.

Why the hierarchy, with figures. The 1,000 × 1,000 matrix on the 100,489-node grid of
``scripts/bench traveltime --grid-only`` (car, 355,184 arcs, no budget, random nodes; 2 cores
shared with other jobs, load average 4–6, never quiet while measured): one search per origin
settles nearly the whole grid every time, 14.8 ms a search on one core, so 5.2 s quiet and
17–42 s loaded on 2 cores (per origin or per destination alike). Over the same hierarchy, one
thread each, the two candidates: **buckets 0.12–0.18 s** (0.09 s at load 2.6; ~93 bucket
entries per destination), RPHAST (Delling et al. 2011: upward search, then a sweep of the
~16,000 nodes that lead down to a destination, 8 origins at a time) 0.11–0.23 s — a tie on
this matrix. Buckets are kept: their searches stop at the time budget (coverage asks 60 min;
a sweep visits its nodes whatever the budget), they need no sweep array per batch of origins,
and they split over threads at both ends. RPHAST stays in
``scripts/benchmarks/phast_candidate.py``, timed by the same run. Through `travel_times` —
snapping, legs and minutes included, 2 threads — the matrix takes 0.14–0.33 s: 120–200× the
per-origin searches, 230–400× pandana, 270–300× scipy, ≈4,700× networkx. Answers equal the
per-origin Dijkstra and networkx within 2.3e-11 s (sums of the same arc weights in another
order; bitwise when the weights add up exactly, as the tests check).

The hierarchy takes 3.1 s to build on that grid (load 4; 5 s of CPU at load 6; roughly linear
in the nodes on road networks), 313,504 shortcuts (668,688 arcs up and down), 10.0 MB in
memory, and takes the ``.npz`` from 7.5 to 17.5 MB: `StreetNetwork.save` builds and writes it
(``maillage network build``), so a loaded network has it at once; a network without it builds
it only for a matrix whose searches would cost more than twice the building, and one that
contracts badly (a grid walked at one speed everywhere) is given none and keeps Dijkstra.
Compiling its kernels the first time on a machine takes ~8 s (numba caches them).

Use
---
::

    net = load_network("networks/", "walk")           # or build_network(osm_file, "walk")
    minutes = net.travel_times(origins, destinations)  # (k, 2) and (m, 2) lon/lat → (k, m)
    table = long_format(minutes, origin_ids, destination_ids)
    area = net.isochrone(4.3601, 43.8367, 15)          # shapely Polygon, EPSG:4326

For one origin against a fixed set of destinations (a service's partners), keep
``snap = net.snap(destinations)`` and per-origin ``net.one_to_all(lon, lat)``, then
``net.node_times_to(snap, node_minutes)`` is a gather and an add.

Units in one line: lon/lat in degrees (EPSG:4326) in, minutes out; distances in metres; arc
weights in seconds.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata import walking
from geodata.lru import LRUCache
from geodata.modes import STREET_MODES, StreetMode, TravelMode
from geodata.sphere import EARTH_RADIUS_M, great_circle_m, unit_xyz_m

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    from scipy.spatial import cKDTree
    from shapely import Polygon

    from geodata.hierarchy import Hierarchy
    from geodata.transit_estimate import TransitEstimate

WALK_SPEED_KMH = walking.WALK_SPEED_KMH
"""Walking speed, km/h (`geodata.walking`, where its source is): on a walking network and in
every estimated walk."""

BIKE_SPEED_KMH = 15.0
"""Cycling speed, km/h, on every way a bicycle may use: a conventional bike in town, stops
included (the issue's figure)."""

ACCESS_SPEED_KMH = WALK_SPEED_KMH
"""Speed of the access and egress legs, km/h, for every mode: they are walked."""

MAX_SNAP_DISTANCE_M = 1000.0
"""A point farther than this from every network node (metres) is reported, not snapped."""

DETOUR_FACTOR: Mapping[str, float] = {
    "walk": walking.WALK_DETOUR,
    "bike": 1.3,
    "car": 1.4,
}
"""Route length / straight-line length, per street mode, for `StraightLineEstimator`.

Car: 1.4, from Boscoe, Henry & Zdeb (2012), *A nationwide comparison of driving distance versus
straight-line distance to hospitals*, The Professional Geographer 64(2): 1.417 on average.
Walk: `geodata.walking.WALK_DETOUR`, the one estimated walk. Walk and bike: 1.3, the middle
of the 1.2–1.4 circuity of urban street networks measured by
Giacomin & Levinson (2015), *Road network circuity in metropolitan areas*, Environment and
Planning B 42(6). Transit has no single figure: see `geodata.transit_estimate`.
"""

ESTIMATE_SPEED_KMH: Mapping[str, float] = {
    "walk": WALK_SPEED_KMH,
    "bike": BIKE_SPEED_KMH,
    "car": 40.0,
}
"""Door-to-door speed, km/h, along the detoured route, for `StraightLineEstimator`.

Walk and bike: the network speeds. Car: 40 km/h, an assumption mixing town driving
(20–30 km/h with junctions) and roads between towns (70–80 km/h); a car network, where there is
one, replaces it. Every answer built on these is flagged ``estimated``. Public transport is
not a speed: it is a walk to a stop, a wait, a ride and a walk, or the walk when quicker
(`geodata.transit_estimate.TransitEstimate`).
"""

_ACCESS_M_PER_S = ACCESS_SPEED_KMH / 3.6
_NPZ_VERSION = 2  # 2: the contraction hierarchy may follow the graph (``ch_*`` arrays)
_NPZ_VERSIONS_READ = (1, 2)
_NPZ_KEYS = ("version", "mode", "indptr", "indices", "weights", "node_lon", "node_lat", "node_id")
_HIERARCHY_KEYS = (
    "ch_order",
    "ch_up_ptr",
    "ch_up_head",
    "ch_up_w",
    "ch_down_ptr",
    "ch_down_tail",
    "ch_down_w",
)
_SNAP_CACHE_SIZE = 8
_SNAP_CACHE_MIN_POINTS = 256  # smaller sets snap in microseconds: not worth hashing
_DEFAULT_BUFFER_M = 50.0


def parse_mode(mode: str) -> StreetMode:
    """Check a street mode name (``walk``, ``bike``, ``car``); `ValueError` in French otherwise."""
    if mode not in STREET_MODES:
        msg = f"Mode inconnu « {mode} » : attendu {', '.join(STREET_MODES)}."
        raise ValueError(msg)
    return mode


# -- points and distances --------------------------------------------------------------------


def _lonlat(points: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitudes and latitudes (degrees) of ``points``, an array-like of shape (n, 2)."""
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        msg = (
            "Les points doivent former un tableau de forme (n, 2) de paires (lon, lat) ; "
            f"reçu la forme {array.shape}."
        )
        raise ValueError(msg)
    lon, lat = array[:, 0], array[:, 1]
    if not (np.isfinite(array).all() and (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()):
        msg = "Coordonnées invalides : longitude dans [-180, 180], latitude dans [-90, 90]."
        raise ValueError(msg)
    return np.ascontiguousarray(lon), np.ascontiguousarray(lat)


def _budget_seconds(max_minutes: float | None) -> float:
    """The time budget in seconds (``inf`` for none); `ValueError` in French when invalid."""
    if max_minutes is None:
        return math.inf
    value = float(max_minutes)
    if math.isnan(value) or value < 0:
        msg = f"Durée maximale invalide ({max_minutes}) : un nombre de minutes positif ou nul."
        raise ValueError(msg)
    return value * 60.0


def _positive_minutes(minutes: float) -> float:
    value = float(minutes)
    if not (math.isfinite(value) and value > 0):
        msg = f"Durée invalide ({minutes}) : un nombre de minutes strictement positif et fini."
        raise ValueError(msg)
    return value


# -- snapping ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Snap:
    """Points attached to their nearest network node.

    Attributes
    ----------
    nodes
        Index (0 … ``n_nodes - 1``) of the nearest node of each point, int64, shape (n,). Given
        for every point, also those too far: do not route from those (``too_far``).
    distance_m
        Great-circle distance from each point to that node, metres, float64, shape (n,).
    too_far
        Whether the point lies more than `MAX_SNAP_DISTANCE_M` from every node (bool, (n,)):
        such a point has no travel time over this network.

    A `Snap` is only meaningful for the network that made it. It is cheap to keep: the
    service snaps its destinations (partners) once and passes the `Snap` wherever points are
    accepted.
    """

    nodes: NDArray[np.int64]
    distance_m: NDArray[np.float64]
    too_far: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.nodes.shape[0])

    @cached_property
    def leg_seconds(self) -> NDArray[np.float64]:
        """Walking time between each point and its node, seconds (the access/egress leg)."""
        seconds = self.distance_m / _ACCESS_M_PER_S
        seconds.setflags(write=False)
        return seconds

    @cached_property
    def _routable(self) -> _Routable:
        positions = np.flatnonzero(~self.too_far)
        distinct, inverse = np.unique(self.nodes[positions], return_inverse=True)
        return _Routable(
            positions=positions,
            nodes=distinct.astype(np.int64),
            node_of=inverse.astype(np.intp),
            leg_seconds=self.leg_seconds[positions],
            complete=positions.size == self.nodes.size,
            largest=int(distinct[-1]) if distinct.size else -1,
        )


@dataclass(frozen=True, eq=False)
class _Routable:
    """What routing needs from a `Snap`, computed once per `Snap`: the points within reach
    (``positions``), their distinct nodes, the index of each such point's node among those,
    their walked legs (seconds), whether that is every point, and the largest node index."""

    positions: NDArray[np.intp]
    nodes: NDArray[np.int64]
    node_of: NDArray[np.intp]
    leg_seconds: NDArray[np.float64]
    complete: bool
    largest: int
    _marks: dict[int, NDArray[np.bool_]] = field(default_factory=dict, repr=False)

    def marks(self, n_nodes: int) -> NDArray[np.bool_]:
        """Boolean mask over ``n_nodes`` nodes, true at ``nodes`` (kept for the next call)."""
        mask = self._marks.get(n_nodes)
        if mask is None:
            mask = np.zeros(n_nodes, dtype=np.bool_)
            mask[self.nodes] = True
            self._marks[n_nodes] = mask
        return mask


# -- the shortest-path kernel -----------------------------------------------------------------

_HEAP_ARITY = 4  # a 4-ary heap: shallower than a binary one, ~20 % faster on street grids


def _dijkstra_kernel(  # noqa: PLR0912, PLR0915, PLR0917 — one flat loop nest for numba
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32],
    weights: NDArray[np.float64],
    sources: NDArray[np.int64],
    budgets: NDArray[np.float64],
    targets: NDArray[np.int64],
    is_target: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Shortest-path times (seconds) from each source node to each target node.

    One Dijkstra search per source, in turn, with an indexed 4-ary heap (decrease-key, no
    stale entries; keys stored beside the nodes). A search stops when every target is settled
    or when nothing is left within the source's budget (seconds; ``inf`` for none).
    ``targets`` must be distinct and ``is_target`` mark exactly them. The work arrays are
    allocated once per call and reset after each search in O(nodes touched), so a batch of
    short searches (small budgets) costs what they touch, not the network's size.

    Returns
    -------
    numpy.ndarray
        (len(sources), len(targets)) seconds, ``inf`` where unreachable or over budget.
    """
    arity = _HEAP_ARITY
    n = indptr.shape[0] - 1
    n_sources = sources.shape[0]
    n_targets = targets.shape[0]
    out = np.empty((n_sources, n_targets), dtype=np.float64)
    dist = np.full(n, np.inf)
    pos = np.full(n, -1, dtype=np.int64)  # -1 never reached, -2 settled, else slot in the heap
    heap = np.empty(n, dtype=np.int64)
    key = np.empty(n, dtype=np.float64)  # key[i] == dist[heap[i]]
    touched = np.empty(n, dtype=np.int64)
    for s in range(n_sources):
        source = sources[s]
        budget = budgets[s]
        dist[source] = 0.0
        heap[0] = source
        key[0] = 0.0
        pos[source] = 0
        size = 1
        touched[0] = source
        n_touched = 1
        remaining = n_targets
        while size > 0:
            u = heap[0]
            du = key[0]
            pos[u] = -2
            size -= 1
            if size > 0:  # move the last entry to the root and sift it down
                moved = heap[size]
                k_moved = key[size]
                i = 0
                while True:
                    first = arity * i + 1
                    if first >= size:
                        break
                    best = first
                    k_best = key[first]
                    for c in range(first + 1, min(first + arity, size)):
                        if key[c] < k_best:
                            best = c
                            k_best = key[c]
                    if k_best >= k_moved:
                        break
                    heap[i] = heap[best]
                    key[i] = k_best
                    pos[heap[i]] = i
                    i = best
                heap[i] = moved
                key[i] = k_moved
                pos[moved] = i
            if is_target[u]:
                remaining -= 1
                if remaining == 0:
                    break
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                pv = pos[v]
                if pv == -2:
                    continue
                nd = du + weights[e]
                if nd > budget:
                    continue
                if pv == -1:
                    touched[n_touched] = v
                    n_touched += 1
                    i = size
                    size += 1
                elif nd < dist[v]:
                    i = pv
                else:
                    continue
                dist[v] = nd
                while i > 0:  # sift up
                    parent = (i - 1) // arity
                    if key[parent] <= nd:
                        break
                    heap[i] = heap[parent]
                    key[i] = key[parent]
                    pos[heap[i]] = i
                    i = parent
                heap[i] = v
                key[i] = nd
                pos[v] = i
        for j in range(n_targets):
            t = targets[j]
            out[s, j] = dist[t] if pos[t] == -2 else np.inf
        for j in range(n_touched):
            t = touched[j]
            dist[t] = np.inf
            pos[t] = -1
    return out


_Kernel = Callable[..., NDArray[np.float64]]


@functools.cache
def _kernel() -> _Kernel:
    """The kernel compiled by numba (imported here, not at module import: it takes ~0.3 s).

    ``nogil``: batches of sources run in parallel Python threads (`_pool`). numba's own
    ``parallel=True``/``prange`` was measured 2× slower per search here (its outlined loop
    body optimises worse), and its default thread pool may not be entered by two request
    threads at once.
    """
    import numba

    return cast("_Kernel", numba.njit(cache=True, nogil=True)(_dijkstra_kernel))


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_cpu_count(), thread_name_prefix="maillage-dijkstra")


def _writable(values: NDArray[Any], dtype: type[np.generic]) -> NDArray[Any]:
    array = np.ascontiguousarray(values, dtype=dtype)
    return array if array.flags.writeable else array.copy()


def _shortest_seconds(
    network: StreetNetwork,
    sources: NDArray[np.int64],
    budgets: NDArray[np.float64],
    targets: NDArray[np.int64],
    is_target: NDArray[np.bool_] | None = None,
    *,
    reverse: bool = False,
) -> NDArray[np.float64]:
    """Seconds from each (distinct) source node to each (distinct) target node, (k, m): one
    Dijkstra search per source. ``reverse``: over the reversed graph, i.e. seconds from each
    *target* to each *source* (still shaped (k, m)).

    Sources are cut into batches run on all cores (4 batches per core, for balance); a single
    source runs in the calling thread.
    """
    kernel = _kernel()
    if is_target is None:
        is_target = np.zeros(network.n_nodes, dtype=np.bool_)
        is_target[targets] = True
    # writable, contiguous arguments (the network's own arrays are read-only): numba compiles
    # one specialisation per combination of read-only flags, and one is enough
    sources = _writable(sources, np.int64)
    budgets = _writable(budgets, np.float64)
    targets = _writable(targets, np.int64)
    is_target = _writable(is_target, np.bool_)
    indptr, indices, weights = (
        network._reversed if reverse else (network.indptr, network.indices, network.weights)
    )

    def run(batch: slice) -> NDArray[np.float64]:
        return kernel(indptr, indices, weights, sources[batch], budgets[batch], targets, is_target)

    workers = _cpu_count()
    if sources.shape[0] < 2 or workers < 2:
        return run(slice(None))
    bounds = np.linspace(0, sources.shape[0], min(sources.shape[0], 4 * workers) + 1).astype(int)
    batches = [slice(a, b) for a, b in itertools.pairwise(bounds)]
    return np.concatenate(list(_pool().map(run, batches)), axis=0)


# -- choosing the method of a matrix ------------------------------------------------------------
# Costs measured on the 100,489-node grid of scripts/benchmarks/bench_traveltime.py, one core
# (see the module docstring): what the choice in `_matrix_seconds` weighs.

_DIJKSTRA_NS_PER_NODE = 150.0
"""One Dijkstra search settles a node in ~150 ns (a whole grid: 14.8 ms)."""

_HIERARCHY_NS_PER_SEARCH = 40_000.0
"""An upward search of the hierarchy with its bucket work, ~40 µs per source or target."""

_HIERARCHY_NS_PER_PAIR = 100.0
"""Bucket scanning, ~0.1 µs per (source, target) pair."""

_CONTRACTION_NS_PER_NODE = 50_000.0
"""Building the hierarchy, ~50 µs per node (5 s for 100,000 nodes)."""


MatrixMethod = Literal["auto", "dijkstra", "reverse", "hierarchy"]
"""How `StreetNetwork.travel_times` computes a matrix: ``auto`` (the cheapest, see
`_matrix_seconds`), or forced — one Dijkstra search per origin (``dijkstra``), per destination
over the reversed graph (``reverse``), or the contraction hierarchy (``hierarchy``; per origin
when the network has none, see `StreetNetwork.hierarchy`). Every method gives the same times
(sums of the same arc weights, in another order: equal within 1e-9 s)."""

_METHODS: tuple[MatrixMethod, ...] = ("auto", "dijkstra", "reverse", "hierarchy")


def _matrix_seconds(
    network: StreetNetwork,
    sources: NDArray[np.int64],
    budgets: NDArray[np.float64],
    targets: NDArray[np.int64],
    is_target: NDArray[np.bool_],
    *,
    method: MatrixMethod = "auto",
) -> NDArray[np.float64]:
    """Seconds from each distinct source node to each distinct target node, (k, m), by the
    cheapest of three exact methods, judged on the measured costs above:

    - one Dijkstra search per source (``k × reach``), or per target on the reversed graph
      (``m × reach``), where ``reach`` is the count of nodes within the budget, measured by one
      search from the first source (the whole network when there is no budget);
    - the contraction hierarchy with buckets (``(k + m)`` upward searches and ``k × m`` bucket
      entries scanned), when the network has one, or when the searches would cost more than
      twice what building it does (it is then built, once, and kept).
    """
    k, m = sources.shape[0], targets.shape[0]
    if method == "auto":
        method = _cheapest(network, sources, budgets, targets)
    bound = float(budgets.max(initial=-math.inf))
    hierarchy = network.hierarchy if method == "hierarchy" else None
    if hierarchy is not None:
        from geodata.hierarchy import many_to_many

        return many_to_many(
            hierarchy,
            _writable(sources, np.int64),
            _writable(budgets, np.float64),
            _writable(targets, np.int64),
            mapper=_pool().map,
            parts=4 * _cpu_count(),
        )
    if method == "reverse" and k > 0:
        marks = np.zeros(network.n_nodes, dtype=np.bool_)
        marks[sources] = True
        seconds = _shortest_seconds(
            network, targets, np.full(m, bound), sources, marks, reverse=True
        ).T
        seconds[seconds > budgets[:, None]] = np.inf
        return seconds
    return _shortest_seconds(network, sources, budgets, targets, is_target)


def _cheapest(
    network: StreetNetwork,
    sources: NDArray[np.int64],
    budgets: NDArray[np.float64],
    targets: NDArray[np.int64],
) -> MatrixMethod:
    """The method of least estimated cost (see `_matrix_seconds`)."""
    k, m = sources.shape[0], targets.shape[0]
    if k <= 1 or m == 0:
        return "dijkstra"
    bound = float(budgets.max())
    if math.isinf(bound):
        reach = network.n_nodes
    else:
        every, marks = network._every_node
        probe = _shortest_seconds(network, sources[:1], np.array([bound]), every, marks)
        reach = int(np.count_nonzero(np.isfinite(probe)))
    searches_ns = min(k, m) * reach * _DIJKSTRA_NS_PER_NODE
    hierarchy_ns = (k + m) * _HIERARCHY_NS_PER_SEARCH + k * m * _HIERARCHY_NS_PER_PAIR
    if (
        hierarchy_ns < searches_ns
        and not network.hierarchy_declined
        and (
            network.has_hierarchy
            or searches_ns > 2 * network.n_nodes * _CONTRACTION_NS_PER_NODE + hierarchy_ns
        )
    ):
        return "hierarchy"
    return "reverse" if m < k else "dijkstra"


def warm_up() -> None:
    """Compile (or load from numba's cache) the shortest-path kernels now rather than on the
    first query — Dijkstra and the hierarchy's many-to-many queries (not its construction,
    which only `StreetNetwork.save` and very large matrices need): a few seconds the first
    time on a machine, ~0.5 s afterwards."""
    from geodata.hierarchy import Hierarchy, many_to_many

    indptr = np.array([0, 1, 2], dtype=np.int64)
    indices = np.array([1, 0], dtype=np.int32)
    network = StreetNetwork(
        "walk",
        indptr=indptr,
        indices=indices,
        weights=np.ones(2),
        node_lon=np.zeros(2),
        node_lat=np.array([0.0, 0.001]),
    )
    _shortest_seconds(network, np.array([0]), np.array([np.inf]), np.array([0, 1]))
    # the hierarchy of 0 ⇄ 1 with node 1 on top: 0 → 1 goes up, 1 → 0 comes down
    ptr = np.array([0, 0, 1])  # both arcs stored at query id 1 (node 0)
    two = Hierarchy.from_arrays(
        np.array([1, 0]), ptr, np.array([0]), np.ones(1), ptr, np.array([0]), np.ones(1)
    )
    many_to_many(two, np.array([0, 1]), np.full(2, np.inf), np.array([0, 1]))


# -- the models -------------------------------------------------------------------------------


class SingleModeModel(Protocol):
    """One mode's travel-time source: a street network or the straight-line estimate.

    Matrices from many origins, and isochrones; the many-mode seam the matching core asks is
    `geodata.journeys.TravelTimeModel`.
    """

    @property
    def mode(self) -> str: ...

    @property
    def estimated(self) -> bool: ...

    def travel_times(
        self, origins: ArrayLike, destinations: ArrayLike, *, max_minutes: float | None = None
    ) -> NDArray[np.float64]: ...

    def isochrone(self, lon: float, lat: float, minutes: float) -> Polygon: ...


class StreetNetwork:
    """One mode's street network as compact arrays, and the queries it answers.

    The graph is directed, in CSR form: the arcs leaving node ``u`` are
    ``indices[indptr[u]:indptr[u + 1]]`` (their head nodes) with travel times
    ``weights[indptr[u]:indptr[u + 1]]``. It is strongly connected (`build_network` keeps the
    largest strongly connected component), so every node reaches every other.

    Parameters
    ----------
    mode
        ``"walk"``, ``"bike"`` or ``"car"``.
    indptr
        int64, shape (n_nodes + 1,): arc offsets per tail node, from 0 to ``n_arcs``.
    indices
        int32, shape (n_arcs,): head node of each arc.
    weights
        float64, shape (n_arcs,): travel time of each arc in **seconds** (≥ 0). float64 rather
        than float32: 8 bytes an arc is small next to the graph, and sums then agree with any
        other shortest-path code to the last digit.
    node_lon, node_lat
        float64, shape (n_nodes,): node coordinates, EPSG:4326 degrees.
    node_id
        int64, shape (n_nodes,): the OpenStreetMap node ids (zeros when unknown).

    Attributes
    ----------
    estimated
        ``False``: answers come from a network, not from `StraightLineEstimator`.
    """

    estimated: ClassVar[bool] = False

    def __init__(
        self,
        mode: str,
        *,
        indptr: ArrayLike,
        indices: ArrayLike,
        weights: ArrayLike,
        node_lon: ArrayLike,
        node_lat: ArrayLike,
        node_id: ArrayLike | None = None,
        hierarchy: Hierarchy | None = None,
        declined: bool = False,
    ) -> None:
        self.mode: StreetMode = parse_mode(mode)
        self.indptr = _frozen(indptr, np.int64)
        self.indices = _frozen(indices, np.int32)
        self.weights = _frozen(weights, np.float64)
        self.node_lon = _frozen(node_lon, np.float64)
        self.node_lat = _frozen(node_lat, np.float64)
        n = self.node_lon.shape[0]
        self.node_id = _frozen(np.zeros(n, np.int64) if node_id is None else node_id, np.int64)
        self._check()
        self._snaps: LRUCache[tuple[int, tuple[int, ...]], tuple[NDArray[np.float64], Snap]] = (
            LRUCache(_SNAP_CACHE_SIZE)
        )
        if hierarchy is not None and hierarchy.n_nodes != n:
            msg = "Hiérarchie de contraction incohérente avec le réseau."
            raise ValueError(msg)
        self._hierarchy = hierarchy
        self._hierarchy_tried = hierarchy is not None or declined
        self._hierarchy_lock = threading.Lock()

    def _check(self) -> None:
        n = self.node_lon.shape[0]
        arrays = (self.indptr, self.indices, self.weights, self.node_lon, self.node_lat)
        problems = [
            any(a.ndim != 1 for a in arrays) or self.node_id.ndim != 1,
            self.indptr.shape[0] != n + 1 or self.node_lat.shape[0] != n,
            self.node_id.shape[0] != n or n == 0,
            self.indices.shape[0] != self.weights.shape[0],
        ]
        if not any(problems):
            problems += [
                int(self.indptr[0]) != 0 or int(self.indptr[-1]) != self.indices.shape[0],
                bool(np.any(np.diff(self.indptr) < 0)),
                self.indices.size > 0
                and (int(self.indices.min()) < 0 or int(self.indices.max()) >= n),
                not bool(np.all(np.isfinite(self.weights) & (self.weights >= 0))),
            ]
        if any(problems):
            msg = "Réseau incohérent : tableaux CSR ou coordonnées de tailles ou valeurs invalides."
            raise ValueError(msg)

    # -- description

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_lon.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of directed arcs (a two-way street segment counts twice)."""
        return int(self.indices.shape[0])

    def __repr__(self) -> str:
        return f"StreetNetwork(mode={self.mode!r}, n_nodes={self.n_nodes}, n_arcs={self.n_arcs})"

    # -- the contraction hierarchy (large matrices)

    @property
    def has_hierarchy(self) -> bool:
        """Whether the contraction hierarchy is at hand (loaded with the network, or built)."""
        return self._hierarchy is not None

    @property
    def hierarchy(self) -> Hierarchy | None:
        """The contraction hierarchy of `geodata.hierarchy`, built on first use unless it was
        saved with the network (`save` writes it): ~50 µs per node, once. ``None`` when the
        network contracts badly (`geodata.hierarchy.contract` gave up): Dijkstra serves."""
        if not self._hierarchy_tried:
            with self._hierarchy_lock:
                if not self._hierarchy_tried:
                    from geodata.hierarchy import contract

                    self._hierarchy = contract(self.indptr, self.indices, self.weights)
                    self._hierarchy_tried = True
        return self._hierarchy

    @property
    def hierarchy_declined(self) -> bool:
        """Whether building the hierarchy was tried and given up (then saved as such)."""
        return self._hierarchy_tried and self._hierarchy is None

    @cached_property
    def _reversed(self) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.float64]]:
        """The reversed graph in CSR form (the arcs entering each node), for searches run from
        destinations."""
        tails = np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr))
        order = np.argsort(self.indices, kind="stable")
        indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.indices, minlength=self.n_nodes), out=indptr[1:])
        return (
            _frozen(indptr, np.int64),
            _frozen(tails[order], np.int32),
            _frozen(self.weights[order], np.float64),
        )

    # -- storage

    def save(self, path: str | Path, *, hierarchy: bool = True) -> Path:
        """Write the arrays as an uncompressed ``.npz`` (loads in milliseconds).

        Parameters
        ----------
        path
            A file ending in ``.npz``, or a directory (created if needed), in which case the
            file is ``<path>/<mode>.npz``.
        hierarchy
            Write the contraction hierarchy too, building it now when needed (~50 µs per node;
            it roughly doubles the file), so that large matrices over the loaded network need
            not build it.

        Returns
        -------
        Path
            The file written.
        """
        target = Path(path)
        if target.suffix != ".npz":
            target.mkdir(parents=True, exist_ok=True)
            target = target / f"{self.mode}.npz"
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
        extra: dict[str, Any] = {}
        h = self.hierarchy if hierarchy else None
        if hierarchy and h is None:  # given up: saved as such, not tried again after loading
            extra = {"ch_order": np.zeros(0, dtype=np.int32)}
        elif h is not None:
            extra = {
                "ch_order": h.order,
                "ch_up_ptr": h.up_ptr,
                "ch_up_head": h.up_head,
                "ch_up_w": h.up_w,
                "ch_down_ptr": h.down_ptr,
                "ch_down_tail": h.down_tail,
                "ch_down_w": h.down_w,
            }
        arrays: dict[str, Any] = {
            "version": np.int64(_NPZ_VERSION),
            "mode": np.str_(self.mode),
            "indptr": self.indptr,
            "indices": self.indices,
            "weights": self.weights,
            "node_lon": self.node_lon,
            "node_lat": self.node_lat,
            "node_id": self.node_id,
        }
        with target.open("wb") as file:
            np.savez(file, **arrays, **extra)
        return target

    def to_networkx(self, *, multigraph: bool = True) -> nx.MultiDiGraph | nx.DiGraph:
        """The same graph for networkx, shaped like an OSMnx graph.

        Nodes are ``0 … n_nodes - 1`` with ``x``/``y`` (lon/lat, EPSG:4326) and ``osmid``; arcs
        carry ``travel_time`` in seconds. ``multigraph=False`` gives a plain ``DiGraph``
        (parallel arcs were already merged, keeping the fastest).
        """
        import networkx as nx

        graph: nx.MultiDiGraph | nx.DiGraph = nx.MultiDiGraph() if multigraph else nx.DiGraph()
        graph.graph["crs"] = "epsg:4326"
        graph.add_nodes_from(
            (int(i), {"x": float(x), "y": float(y), "osmid": int(o)})
            for i, (x, y, o) in enumerate(
                zip(self.node_lon, self.node_lat, self.node_id, strict=True)
            )
        )
        tails = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        graph.add_edges_from(
            (int(u), int(v), {"travel_time": float(w)})
            for u, v, w in zip(tails, self.indices, self.weights, strict=True)
        )
        return graph

    # -- snapping

    @cached_property
    def _tree(self) -> cKDTree:
        from scipy.spatial import cKDTree

        return cKDTree(unit_xyz_m(self.node_lon, self.node_lat), balanced_tree=False)

    def snap(self, points: ArrayLike) -> Snap:
        """Attach points to their nearest node.

        Parameters
        ----------
        points
            Array-like of shape (n, 2): ``(lon, lat)`` in EPSG:4326 degrees.

        Returns
        -------
        Snap
            Nearest node, great-circle distance to it (metres) and whether it is farther than
            `MAX_SNAP_DISTANCE_M` (1 km), per point.
        """
        lon, lat = _lonlat(points)
        if lon.size == 0:
            return Snap(np.empty(0, np.int64), np.empty(0), np.empty(0, np.bool_))
        workers = -1 if lon.size > 10_000 else 1
        chord, nodes = self._tree.query(unit_xyz_m(lon, lat), k=1, workers=workers)
        distance = 2 * EARTH_RADIUS_M * np.arcsin(np.clip(chord / (2 * EARTH_RADIUS_M), 0, 1))
        nodes = np.asarray(nodes, dtype=np.int64)
        distance = np.asarray(distance, dtype=np.float64)
        too_far = distance > MAX_SNAP_DISTANCE_M
        for array in (nodes, distance, too_far):
            array.setflags(write=False)
        return Snap(nodes, distance, too_far)

    def _as_snap(self, points: ArrayLike | Snap) -> Snap:
        """A `Snap` as given, or the points snapped — large point sets through a small cache
        keyed by their content, so that calls reusing the same destinations snap them once."""
        if isinstance(points, Snap):
            if points._routable.largest >= self.n_nodes:
                msg = "Ce rattachement (Snap) a été calculé sur un autre réseau."
                raise ValueError(msg)
            return points
        array = np.ascontiguousarray(points, dtype=np.float64)
        if array.ndim != 2 or array.shape[0] < _SNAP_CACHE_MIN_POINTS:
            return self.snap(array)
        # Python's bytes hash (0.3 ms for 100,000 points, 4× cheaper than blake2b), confirmed
        # by comparing the points themselves: a hit is never a collision.
        key = (hash(array.tobytes()), array.shape)
        points_seen, snap = self._snaps.get_or_compute(
            key, lambda: (array.copy(), self.snap(array))
        )
        return snap if np.array_equal(points_seen, array) else self.snap(array)

    # -- travel times

    @cached_property
    def _every_node(self) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        return np.arange(self.n_nodes, dtype=np.int64), np.ones(self.n_nodes, dtype=np.bool_)

    def one_to_all(
        self, origin_lon: float, origin_lat: float, *, max_minutes: float | None = None
    ) -> NDArray[np.float64]:
        """Minutes from a point to every node of the network.

        Parameters
        ----------
        origin_lon, origin_lat
            The origin, EPSG:4326 degrees.
        max_minutes
            Time budget in minutes; nodes beyond it are ``inf`` (and the search stops there,
            which is what makes small budgets fast). ``None``: no budget.

        Returns
        -------
        numpy.ndarray
            float64, shape (n_nodes,): the origin's walked access leg plus the shortest-path
            time to each node, minutes; all ``inf`` when the origin is more than 1 km from the
            network. Turn it into times to destinations with `node_times_to` — the service
            caches it per origin.
        """
        snap = self.snap(np.array([[origin_lon, origin_lat]], dtype=np.float64))
        out = np.full(self.n_nodes, np.inf)
        access_s = float(snap.leg_seconds[0])
        budget = _budget_seconds(max_minutes) - access_s
        if bool(snap.too_far[0]) or budget < 0:
            return out
        every, marks = self._every_node
        seconds = _shortest_seconds(self, snap.nodes[:1], np.array([budget]), every, marks)[0]
        return cast("NDArray[np.float64]", (seconds + access_s) / 60.0)

    def node_times_to(
        self,
        destinations: ArrayLike | Snap,
        node_times: ArrayLike,
        *,
        max_minutes: float | None = None,
    ) -> NDArray[np.float64]:
        """Minutes to destinations, from per-node minutes (`one_to_all`): a gather and an add.

        Parameters
        ----------
        destinations
            A `Snap` of this network (cheapest: snap partners once and keep it), or points of
            shape (m, 2), EPSG:4326 lon/lat.
        node_times
            float, shape (n_nodes,): minutes to each node, as `one_to_all` returns.
        max_minutes
            Time budget in minutes: totals above it become ``inf``.

        Returns
        -------
        numpy.ndarray
            float64, shape (m,): node time plus the walked egress leg, minutes; ``inf`` for
            destinations more than 1 km from the network or beyond the budget.
        """
        snap = self._as_snap(destinations)
        times = np.asarray(node_times, dtype=np.float64)
        if times.shape != (self.n_nodes,):
            msg = f"Temps par nœud attendus de forme ({self.n_nodes},), reçu {times.shape}."
            raise ValueError(msg)
        out = times[snap.nodes] + snap.leg_seconds / 60.0
        out[snap.too_far] = np.inf
        if max_minutes is not None:
            out[out > _budget_seconds(max_minutes) / 60.0] = np.inf
        return out

    def travel_times(
        self,
        origins: ArrayLike | Snap,
        destinations: ArrayLike | Snap,
        *,
        max_minutes: float | None = None,
        method: MatrixMethod = "auto",
    ) -> NDArray[np.float64]:
        """Travel-time matrix from origins to destinations, minutes.

        Parameters
        ----------
        origins, destinations
            Points of shape (k, 2) and (m, 2), ``(lon, lat)`` in EPSG:4326 degrees, or `Snap`
            objects of this network. Point sets of 256 or more are snapped through a small
            content-keyed cache, so repeating the same destinations costs no second snap.
        max_minutes
            Time budget in minutes: longer trips are ``inf``, and searches stop there.
        method
            ``auto`` (the cheapest), or one of `MatrixMethod` forced; the times are the same.

        Returns
        -------
        numpy.ndarray
            float64, shape (k, m): walked access leg + shortest path + walked egress leg,
            minutes; ``inf`` where a point is more than 1 km from the network, or beyond the
            budget. Points snapped to the same node share one search.
        """
        if method not in _METHODS:
            msg = f"Méthode inconnue : attendu {', '.join(_METHODS)}."
            raise ValueError(msg)
        origin_snap = self._as_snap(origins)
        destination_snap = self._as_snap(destinations)
        budget = _budget_seconds(max_minutes)
        origin, destination = origin_snap._routable, destination_snap._routable
        k, m = len(origin_snap), len(destination_snap)
        if origin.positions.size == 0 or destination.positions.size == 0:
            return np.full((k, m), np.inf)
        budgets = np.full(origin.nodes.shape[0], -np.inf)
        np.maximum.at(budgets, origin.node_of, budget - origin.leg_seconds)
        seconds = _matrix_seconds(
            self,
            origin.nodes,
            budgets,
            destination.nodes,
            destination.marks(self.n_nodes),
            method=method,
        )
        if origin.nodes.shape[0] == 1:
            total = seconds[:, destination.node_of]  # one search shared by every origin
            total = np.repeat(total, origin.positions.size, axis=0)
        else:
            total = seconds[origin.node_of][:, destination.node_of]
        total += origin.leg_seconds[:, None]
        total += destination.leg_seconds[None, :]
        if math.isfinite(budget):
            total[total > budget] = np.inf
        total /= 60.0
        if origin.complete and destination.complete:
            return total
        out = np.full((k, m), np.inf)
        out[np.ix_(origin.positions, destination.positions)] = total
        return out

    # -- isochrones

    def isochrone(
        self, lon: float, lat: float, minutes: float, *, buffer_m: float = _DEFAULT_BUFFER_M
    ) -> Polygon:
        """The area reachable from a point within ``minutes``, as drawn on a map.

        Method: the streets reached — every arc leaving a node reached in time, cut where the
        time runs out (linear along the arc) — and the walked access leg from the point to its
        node, buffered by ``buffer_m`` metres (the street and the buildings along it), holes
        filled. Computed in an azimuthal equidistant projection centred on the point (exact
        distances from the centre, < 0.1 % scale error within 50 km), returned in EPSG:4326.

        Limits: it is a picture of `travel_times`, not its exact level set: a place off the
        streets is in the polygon when within ``buffer_m`` of a street reached, whatever its
        own egress leg; a pocket left unreached inside (a park, a railway yard) is filled in.
        Reaching a one-way arc's tail counts the arc from that end only.

        Parameters
        ----------
        lon, lat
            The origin, EPSG:4326 degrees.
        minutes
            Time budget, minutes (> 0).
        buffer_m
            Width added around the streets, metres.

        Returns
        -------
        shapely.Polygon
            EPSG:4326 lon/lat; empty when the origin is more than 1 km from the network.
        """
        import shapely
        from shapely import Polygon

        budget = _positive_minutes(minutes)
        snap = self.snap(np.array([[lon, lat]], dtype=np.float64))
        if bool(snap.too_far[0]):
            return Polygon()
        node_minutes = self.one_to_all(lon, lat, max_minutes=budget)
        to_plane, to_lonlat = _local_projection(lon, lat)
        tails = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        leaving = np.isfinite(node_minutes[tails])
        tails, heads = tails[leaving], self.indices[leaving].astype(np.int64)
        arc_minutes = self.weights[leaving] / 60.0
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(
                arc_minutes > 0, (budget - node_minutes[tails]) / arc_minutes, 1.0
            ).clip(0.0, 1.0)
        # a street reached whole from both ends is drawn once
        whole = share >= 1.0
        low, high = np.minimum(tails, heads), np.maximum(tails, heads)
        _, once = np.unique(low[whole] * self.n_nodes + high[whole], return_index=True)
        keep = np.flatnonzero(~whole)
        keep = np.concatenate([np.flatnonzero(whole)[once], keep])
        tails, heads, share = tails[keep], heads[keep], share[keep]
        used = np.unique(np.concatenate([tails, heads, snap.nodes[:1]]))
        x = np.zeros(self.n_nodes)
        y = np.zeros(self.n_nodes)
        x[used], y[used] = to_plane(self.node_lon[used], self.node_lat[used])
        node = int(snap.nodes[0])
        access_share = min(1.0, budget * 60.0 / max(float(snap.leg_seconds[0]), 1e-9))
        starts = np.column_stack([np.append(x[tails], 0.0), np.append(y[tails], 0.0)])
        ends = np.column_stack(
            [
                np.append(x[tails] + share * (x[heads] - x[tails]), access_share * x[node]),
                np.append(y[tails] + share * (y[heads] - y[tails]), access_share * y[node]),
            ]
        )
        segments = shapely.linestrings(np.stack([starts, ends], axis=1))
        # buffering each segment then merging is ~100× faster than buffering the multi-line
        area = shapely.union_all(shapely.buffer(segments, buffer_m, quad_segs=4))
        filled = _fill_holes(area)
        return cast("Polygon", shapely.transform(filled.simplify(buffer_m / 10), to_lonlat))


def _frozen(values: ArrayLike, dtype: type[np.generic]) -> NDArray[Any]:
    """A read-only contiguous copy of ``values`` as ``dtype`` (the caller's array is untouched)."""
    array = np.array(values, dtype=dtype, copy=True, order="C")
    array.setflags(write=False)
    return array


def _local_projection(
    lon: float, lat: float
) -> tuple[
    Callable[[NDArray[np.float64], NDArray[np.float64]], tuple[Any, Any]],
    Callable[[NDArray[np.float64]], NDArray[np.float64]],
]:
    """(lon/lat → metres, metres (n, 2) → lon/lat (n, 2)) in an azimuthal equidistant
    projection centred on (lon, lat), on the WGS84 ellipsoid."""
    from pyproj import CRS, Transformer

    local = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    transformer = Transformer.from_crs("EPSG:4326", local, always_xy=True)

    def to_plane(lons: NDArray[np.float64], lats: NDArray[np.float64]) -> tuple[Any, Any]:
        return transformer.transform(lons, lats)

    def to_lonlat(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        back_lon, back_lat = transformer.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
        return np.column_stack([back_lon, back_lat])

    return to_plane, to_lonlat


def _fill_holes(area: Any) -> Polygon:
    """The polygon without its holes; of several parts, the one around the origin (0, 0)."""
    import shapely
    from shapely import MultiPolygon, Point, Polygon

    parts = list(area.geoms) if isinstance(area, MultiPolygon) else [area]
    filled = shapely.union_all([Polygon(part.exterior) for part in parts if not part.is_empty])
    if isinstance(filled, Polygon):
        return filled
    candidates = [p for p in getattr(filled, "geoms", []) if isinstance(p, Polygon)]
    if not candidates:
        return Polygon()
    origin = Point(0.0, 0.0)
    around = [p for p in candidates if p.intersects(origin)]
    return max(around or candidates, key=lambda p: p.area)


def load_network(path: str | Path, mode: str) -> StreetNetwork:
    """Load a network written by `StreetNetwork.save`.

    Parameters
    ----------
    path
        The ``.npz`` file, or the directory holding ``<mode>.npz``.
    mode
        ``"walk"``, ``"bike"`` or ``"car"``; must be the mode the file was built for.

    Returns
    -------
    StreetNetwork
        Arrays are memory-resident; loading takes milliseconds (a few tens for a
        100,000-node network); the KD-tree for snapping is built on first use. The contraction
        hierarchy comes with the file when it was saved with it (format 2); a file of format 1
        still loads, and builds it on the first matrix that needs it.

    Raises
    ------
    ValueError
        In French: unknown mode, missing or unreadable file, wrong mode, inconsistent arrays.
    """
    street_mode = parse_mode(mode)
    source = Path(path)
    if source.is_dir():
        source = source / f"{street_mode}.npz"
    if not source.is_file():
        msg = f"Réseau introuvable : {source}."
        raise ValueError(msg)
    try:
        with np.load(source, allow_pickle=False) as data:
            arrays = {key: data[key] for key in _NPZ_KEYS}
            stored = {key: data[key] for key in _HIERARCHY_KEYS if key in data.files}
    except (OSError, KeyError, ValueError) as exc:
        msg = f"Fichier de réseau illisible : {source} ({type(exc).__name__})."
        raise ValueError(msg) from exc
    if int(arrays["version"]) not in _NPZ_VERSIONS_READ:
        msg = f"Version de fichier de réseau non prise en charge : {int(arrays['version'])}."
        raise ValueError(msg)
    if str(arrays["mode"]) != street_mode:
        msg = f"Le fichier {source.name} est un réseau « {arrays['mode']} », pas « {mode} »."
        raise ValueError(msg)
    hierarchy = None
    declined = "ch_order" in stored and stored["ch_order"].size == 0
    if len(stored) == len(_HIERARCHY_KEYS):
        from geodata.hierarchy import Hierarchy

        hierarchy = Hierarchy.from_arrays(*(stored[key] for key in _HIERARCHY_KEYS))
    return StreetNetwork(
        street_mode,
        indptr=arrays["indptr"],
        indices=arrays["indices"],
        weights=arrays["weights"],
        node_lon=arrays["node_lon"],
        node_lat=arrays["node_lat"],
        node_id=arrays["node_id"],
        hierarchy=hierarchy,
        declined=declined,
    )


class StraightLineEstimator:
    """Travel times where there is no network: straight line × detour factor at a mode speed.

    Walk, bike and car: ``t = great_circle_m(A, B) × DETOUR_FACTOR[mode] /
    ESTIMATE_SPEED_KMH[mode]`` (converted to minutes), with no access leg: the speed is meant
    door to door; a walk is `geodata.walking`'s estimated walk, counted in whole seconds
    rounded up like every estimated walk. Transit:
    `geodata.transit_estimate.TransitEstimate` without a timetable — a walk to a stop, a
    wait, a ride and a walk, or the walk when quicker (give it a timetable's stops by
    building a ``TransitEstimate`` directly). Every answer is an estimate
    (``estimated = True``).

    Parameters
    ----------
    mode
        ``"walk"``, ``"bike"``, ``"car"`` or ``"transit"``.
    detour_factor, speed_kmh
        Street modes only: overrides of `DETOUR_FACTOR` (≥ 1) and `ESTIMATE_SPEED_KMH`
        (km/h, > 0).
    """

    estimated: ClassVar[bool] = True

    def __init__(
        self, mode: str, *, detour_factor: float | None = None, speed_kmh: float | None = None
    ) -> None:
        self._transit: TransitEstimate | None = None
        if mode == "transit":
            if detour_factor is not None or speed_kmh is not None:
                msg = (
                    "Transports en commun : les hypothèses de l'estimation se donnent à "
                    "TransitEstimate (TransitAssumptions), pas une vitesse unique."
                )
                raise ValueError(msg)
            from geodata.transit_estimate import TransitEstimate

            self._transit = TransitEstimate()
            self.mode: TravelMode = "transit"
            walk = self._transit.assumptions
            self.detour_factor, self.speed_kmh = walk.walk_detour, walk.walk_speed_kmh
            return
        if mode not in ESTIMATE_SPEED_KMH:
            known = ", ".join([*ESTIMATE_SPEED_KMH, "transit"])
            msg = f"Mode inconnu « {mode} » : attendu {known}."
            raise ValueError(msg)
        self.mode = cast("TravelMode", mode)
        self.detour_factor = float(DETOUR_FACTOR[mode] if detour_factor is None else detour_factor)
        self.speed_kmh = float(ESTIMATE_SPEED_KMH[mode] if speed_kmh is None else speed_kmh)
        if not (self.detour_factor >= 1 and 0 < self.speed_kmh < math.inf):
            msg = "Facteur de détour (≥ 1) ou vitesse (> 0 km/h) invalide."
            raise ValueError(msg)

    @property
    def metres_per_minute(self) -> float:
        """Straight-line metres covered per minute: speed / detour factor (for transit, the
        walk's: the least it covers)."""
        return self.speed_kmh * 1000.0 / 60.0 / self.detour_factor

    def __repr__(self) -> str:
        if self._transit is not None:
            return "StraightLineEstimator(mode='transit')"
        return (
            f"StraightLineEstimator(mode={self.mode!r}, detour_factor={self.detour_factor}, "
            f"speed_kmh={self.speed_kmh})"
        )

    def travel_times(
        self, origins: ArrayLike, destinations: ArrayLike, *, max_minutes: float | None = None
    ) -> NDArray[np.float64]:
        """Estimated minutes from each origin to each destination.

        Parameters
        ----------
        origins, destinations
            Points of shape (k, 2) and (m, 2), ``(lon, lat)`` in EPSG:4326 degrees.
        max_minutes
            Time budget in minutes: longer estimates are ``inf``.

        Returns
        -------
        numpy.ndarray
            float64, shape (k, m), minutes.
        """
        if self._transit is not None:
            return self._transit.travel_times(origins, destinations, max_minutes=max_minutes)
        budget = _budget_seconds(max_minutes) / 60.0
        o_lon, o_lat = _lonlat(origins)
        d_lon, d_lat = _lonlat(destinations)
        metres = great_circle_m(o_lon[:, None], o_lat[:, None], d_lon[None, :], d_lat[None, :])
        if self.mode == "walk":  # the one estimated walk, in whole seconds
            minutes = self.walk.minutes(metres)
        else:
            minutes = metres / self.metres_per_minute
        minutes[minutes > budget] = np.inf
        return minutes

    @property
    def walk(self) -> walking.EstimatedWalk:
        """The estimated walk of this estimator's walk figures (`geodata.walking`): for
        ``walk``, its own detour and speed."""
        if self.mode == "walk":
            return walking.EstimatedWalk(self.speed_kmh, self.detour_factor)
        return walking.ESTIMATED_WALK

    def metres(self, origins: ArrayLike, destinations: ArrayLike) -> NDArray[np.float64]:
        """The length of each estimated route, metres: straight line × detour factor."""
        o_lon, o_lat = _lonlat(origins)
        d_lon, d_lat = _lonlat(destinations)
        metres = great_circle_m(o_lon[:, None], o_lat[:, None], d_lon[None, :], d_lat[None, :])
        return metres * self.detour_factor

    def isochrone(self, lon: float, lat: float, minutes: float) -> Polygon:
        """The disc of radius ``minutes × metres_per_minute`` around the point, EPSG:4326.

        A geodesic circle (drawn in an azimuthal equidistant projection centred on the point,
        64 vertices).
        """
        import shapely
        from shapely import Point

        if self._transit is not None:
            return self._transit.isochrone(lon, lat, minutes)
        radius = _positive_minutes(minutes) * self.metres_per_minute
        _, to_lonlat = _local_projection(lon, lat)
        disc = Point(0.0, 0.0).buffer(radius, quad_segs=16)
        return cast("Polygon", shapely.transform(disc, to_lonlat))


def travel_time_model(path: str | Path | None, mode: str) -> StreetNetwork | StraightLineEstimator:
    """The network saved at ``path`` for ``mode``, or the straight-line estimate when there is
    none (``path`` is ``None``, holds no file for the mode, or ``mode`` is ``"transit"``, which
    has no street network). An unreadable file raises `ValueError`: a broken network is not
    silently replaced by an estimate."""
    if path is not None and mode in STREET_MODES:
        source = Path(path)
        candidate = source / f"{mode}.npz" if source.is_dir() else source
        if candidate.is_file():
            return load_network(candidate, mode)
    return StraightLineEstimator(mode)


def long_format(matrix: ArrayLike, from_ids: ArrayLike, to_ids: ArrayLike) -> pd.DataFrame:
    """A travel-time matrix as a long table, like r5py's ``TravelTimeMatrix``.

    Parameters
    ----------
    matrix
        Minutes, shape (len(from_ids), len(to_ids)), ``inf`` (or NaN) where unreachable.
    from_ids, to_ids
        Identifiers of the rows (origins) and columns (destinations).

    Returns
    -------
    pandas.DataFrame
        Columns ``from_id``, ``to_id``, ``travel_time`` (minutes, float64), one row per
        reachable pair, in row-major order; unreachable pairs are dropped.
    """
    import pandas as pd

    minutes = np.asarray(matrix, dtype=np.float64)
    origins = np.asarray(from_ids)
    destinations = np.asarray(to_ids)
    if minutes.ndim != 2 or minutes.shape != (origins.shape[0], destinations.shape[0]):
        msg = (
            f"Matrice de forme {minutes.shape} incompatible avec {origins.shape[0]} origines "
            f"et {destinations.shape[0]} destinations."
        )
        raise ValueError(msg)
    rows, cols = np.nonzero(np.isfinite(minutes))
    return pd.DataFrame(
        {
            "from_id": origins[rows],
            "to_id": destinations[cols],
            "travel_time": minutes[rows, cols],
        }
    )
