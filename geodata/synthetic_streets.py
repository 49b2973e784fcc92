"""A drawn, road-like street network the size of a French département (pure, seeded).

Benchmarks and tests need département-scale street networks that offline machines do not
have (a real département's OSM extract is 1.5 to 3 million street nodes). A plain grid stands
badly for one: every node has degree 4, every street the same speed, and a contraction
hierarchy cannot find an order in it (`geodata.hierarchy.WORK_PER_NODE`). This module draws
**OpenStreetMap ways** instead — `geodata.network.OsmWays`, the very structure `read_osm`
returns — and the network of each mode is built from them by
`geodata.network.network_from_ways`, the builder of real extracts: the same mode rules,
``highway`` classes, ``maxspeed`` parsing and largest strongly connected component.

What is drawn (`draw_streets`, lengths in metres on a local plane, then EPSG:4326 lon/lat):

1. **towns** — one per ~17 km² (the Gard: 350 communes over 5,853 km²), uniform over the
   square, each with a weight drawn lognormal (a few large towns, many villages) and a radius
   of 0.3 to 3 km growing with it;
2. **intersections** — ``intersection_share`` of the wanted nodes, half in the towns (Gaussian
   around their centre, in proportion to their weight: dense town streets), half uniform
   (the sparse rural mesh);
3. **streets between them** — the Delaunay triangulation's minimum spanning tree (every
   intersection reached), plus the shortest of the remaining Delaunay edges (relative to the
   local spacing) until intersections have 2.7 streets on average, as simplified real
   street graphs do (Boeing 2017: 3-way junctions dominate, a fifth to a quarter dead ends); an
   eighth of the added ones are ``track`` (walk only);
4. **a hierarchy of roads** — the shortest path (by length) between towns adjacent in their
   own Delaunay triangulation becomes ``tertiary``, between the largest fifth of towns
   ``secondary``, with ``maxspeed=80`` outside towns and ``50`` inside (French limits since
   2018); other streets are ``residential`` in towns and ``unclassified`` outside
   (50 km/h: `geodata.network.CAR_DEFAULT_SPEED_KMH`); a **motorway** (130 km/h, two one-way
   carriageways sharing their nodes, 90 km/h ``motorway_link`` interchanges every ~10 km and
   at its ends) joins the four largest towns along their spanning tree;
5. **shape nodes** — every street is cut into segments by degree-2 nodes spaced so that the
   total reaches ``nodes``, along a gentle curve (a sine bow of up to 8 % of its length): in
   real OSM extracts most nodes only shape a way (degree 2), which is what makes them large.

`degree_profile` measures the result (the share of degree-1, 2, 3 and 4+ nodes), printed by
``scripts/bench national``. Why it stands for a real département, measured the same way on
the car networks `network_from_ways` builds (the drawn one at 1 to 3 million nodes, any seed):

============================  ========  ========  ========  ========  ===========
network (car)                 degree 1  degree 2  degree 3  degree 4+ mean degree
============================  ========  ========  ========  ========  ===========
drawn                         2 %       84 %      11 %      3 %       2.16
Helsinki extract (real OSM)   5 %       84 %      9 %       3 %       2.09
Saint-Barthélemy (real OSM)   11 %      75 %      13 %      1 %       2.03
============================  ========  ========  ========  ========  ===========

Fewer dead ends and a little more loops than the real ones: if anything, harder to route
(dead ends are contracted first, for nothing). Speeds are those the builder gives real tags:
walk 4.5 km/h everywhere, car 50 km/h on streets, 80 on roads outside towns, 130 on the
motorway. What is not drawn: one-way streets in towns, roundabouts, turn
costs, ferries — none changes the order of a routing cost much. Everything is deterministic
for a ``seed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geodata.network import OsmWays

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

KM2_PER_TOWN = 17.0
"""One town or village per ~17 km² (the Gard: 350 communes over 5,853 km²)."""

_METRES_PER_LAT = 111_320.0

# the classes of the drawn ways, and their tags (`geodata.network.TAG_KEYS`)
_LOCAL_TOWN, _LOCAL_RURAL, _TRACK = 0, 1, 2
_TERTIARY_TOWN, _TERTIARY_RURAL, _SECONDARY_TOWN, _SECONDARY_RURAL = 3, 4, 5, 6
_MOTORWAY, _MOTORWAY_BACK, _LINK = 7, 8, 9
_TAGS: tuple[dict[str, str], ...] = (
    {"highway": "residential"},
    {"highway": "unclassified"},
    {"highway": "track"},
    {"highway": "tertiary", "maxspeed": "50"},
    {"highway": "tertiary", "maxspeed": "80"},
    {"highway": "secondary", "maxspeed": "50"},
    {"highway": "secondary", "maxspeed": "80"},
    {"highway": "motorway"},
    {"highway": "motorway"},
    {"highway": "motorway_link", "oneway": "no"},
)


@dataclass(frozen=True, eq=False)
class DrawnStreets:
    """The drawn ways and what they were drawn from.

    Attributes
    ----------
    ways : geodata.network.OsmWays
        Nodes (EPSG:4326 lon/lat) and segments with their tags: build a mode's network with
        `geodata.network.network_from_ways`.
    towns : numpy.ndarray
        float64 (t, 2) lon/lat of the town centres, largest first.
    town_weight : numpy.ndarray
        float64 (t,): each town's drawn weight (its relative population), same order.
    """

    ways: OsmWays
    towns: FloatArray
    town_weight: FloatArray


def draw_streets(
    *,
    side_km: float,
    nodes: int,
    origin: tuple[float, float],
    seed: int = 0,
    intersection_share: float = 0.25,
) -> DrawnStreets:
    """Draw the ways of a ``side_km`` × ``side_km`` square whose south-west corner is
    ``origin`` (lon, lat degrees), about ``nodes`` nodes in all (see the module docstring).
    """
    rng = np.random.default_rng(seed)
    side = side_km * 1000.0
    towns, weight, radius = _towns(rng, side)
    points = _intersections(
        rng, side, round(nodes * intersection_share), towns=towns, weight=weight, radius=radius
    )
    in_town = _in_town(points, towns, radius)
    u, v, kind = _streets(rng, points, in_town)
    kind = _road_hierarchy(points, u, v, kind, in_town=in_town, towns=towns)
    points, u, v, kind = _motorway(points, u, v, kind, towns, towns_used=4)
    xy, su, sv, skind = _shape_nodes(rng, points, u, v, kind=kind, nodes=nodes)
    lon0, lat0 = origin
    per_lon = _METRES_PER_LAT * math.cos(math.radians(lat0))
    lon, lat = lon0 + xy[:, 0] / per_lon, lat0 + xy[:, 1] / _METRES_PER_LAT
    ways = OsmWays(
        node_id=np.arange(xy.shape[0], dtype=np.int64),
        node_lon=lon,
        node_lat=lat,
        segment_way=skind.astype(np.intp),
        segment_u=su.astype(np.intp),
        segment_v=sv.astype(np.intp),
        way_tags=[dict(t) for t in _TAGS],
    )
    centres = np.column_stack([lon0 + towns[:, 0] / per_lon, lat0 + towns[:, 1] / _METRES_PER_LAT])
    return DrawnStreets(ways, centres, weight)


def _towns(rng: np.random.Generator, side: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    count = max(2, round(side * side / 1e6 / KM2_PER_TOWN))
    weight = np.sort(rng.lognormal(0.0, 1.3, count))[::-1]
    centres = rng.uniform(0.05 * side, 0.95 * side, size=(count, 2))
    radius = np.clip(300.0 * np.sqrt(weight / np.median(weight)) * 1.5, 300.0, 3000.0)
    return centres, weight, radius


def _intersections(
    rng: np.random.Generator,
    side: float,
    count: int,
    *,
    towns: FloatArray,
    weight: FloatArray,
    radius: FloatArray,
) -> FloatArray:
    in_towns = count // 2
    home = rng.choice(towns.shape[0], size=in_towns, p=weight / weight.sum())
    town_points = towns[home] + rng.normal(size=(in_towns, 2)) * radius[home, None]
    rural = rng.uniform(0.0, side, size=(count - in_towns, 2))
    points = np.clip(np.concatenate([town_points, rural]), 0.0, side)
    # Delaunay needs distinct points: a jitter of a millimetre settles exact ties
    return np.asarray(points + rng.uniform(0, 1e-3, points.shape), dtype=np.float64)


def _in_town(points: FloatArray, towns: FloatArray, radius: FloatArray) -> NDArray[np.bool_]:
    from scipy.spatial import cKDTree

    distance, nearest = cKDTree(towns).query(points)
    return np.asarray(distance <= radius[nearest])


def _delaunay_edges(points: FloatArray) -> tuple[IntArray, IntArray]:
    from scipy.spatial import Delaunay

    triangles = Delaunay(points).simplices.astype(np.int64)
    a = np.concatenate([triangles[:, 0], triangles[:, 1], triangles[:, 2]])
    b = np.concatenate([triangles[:, 1], triangles[:, 2], triangles[:, 0]])
    low, high = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(low * points.shape[0] + high)
    return pairs // points.shape[0], pairs % points.shape[0]


def _streets(
    rng: np.random.Generator, points: FloatArray, in_town: NDArray[np.bool_]
) -> tuple[IntArray, IntArray, IntArray]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    n = points.shape[0]
    a, b = _delaunay_edges(points)
    length = np.hypot(*(points[a] - points[b]).T)
    tree = minimum_spanning_tree(coo_matrix((length + 1e-9, (a, b)), shape=(n, n))).tocoo()
    in_tree = np.zeros(a.shape[0], dtype=bool)
    key = a * n + b
    tree_key = np.minimum(tree.row, tree.col).astype(np.int64) * n + np.maximum(tree.row, tree.col)
    in_tree[np.searchsorted(key, np.sort(tree_key))] = True
    # the local spacing at a node: the mean length of its Delaunay edges
    ends = np.concatenate([a, b])
    spacing = np.bincount(ends, np.concatenate([length, length]), minlength=n) / np.maximum(
        np.bincount(ends, minlength=n), 1
    )
    score = length / np.minimum(spacing[a], spacing[b]) * rng.lognormal(0.0, 0.3, a.shape[0])
    extra = np.flatnonzero(~in_tree)
    wanted = round(0.35 * n)
    added = extra[np.argsort(score[extra], kind="stable")[:wanted]]
    keep = np.concatenate([np.flatnonzero(in_tree), added])
    kind = np.where(in_town[a[keep]] & in_town[b[keep]], _LOCAL_TOWN, _LOCAL_RURAL)
    is_track = np.zeros(keep.shape[0], dtype=bool)
    is_track[keep.shape[0] - added.shape[0] :] = rng.random(added.shape[0]) < 0.125
    return a[keep], b[keep], np.where(is_track, _TRACK, kind).astype(np.int64)


def _road_hierarchy(
    points: FloatArray,
    u: IntArray,
    v: IntArray,
    kind: IntArray,
    *,
    in_town: NDArray[np.bool_],
    towns: FloatArray,
) -> IntArray:
    """Upgrade the streets on the shortest paths between neighbouring towns."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    n = points.shape[0]
    drivable = kind != _TRACK
    length = np.hypot(*(points[u] - points[v]).T)
    edge_of = coo_matrix(
        (np.arange(u.shape[0]) + 1, (u, v)), shape=(n, n)
    ).tocsr()  # edge index + 1 by (low, high) pair
    graph = coo_matrix((length[drivable] + 1e-9, (u[drivable], v[drivable])), shape=(n, n)).tocsr()
    # each town's intersection nearest its centre, among the drivable ones
    reachable = np.unique(np.concatenate([u[drivable], v[drivable]]))
    _, near = cKDTree(points[reachable]).query(towns)
    centre = reachable[near]
    a, b = _delaunay_edges(towns) if towns.shape[0] >= 3 else (np.array([0]), np.array([1]))
    major = max(2, towns.shape[0] // 5)
    grade = np.where((a < major) & (b < major), 2, 1)  # towns are sorted largest first
    upgraded = kind.copy()
    for first in range(0, towns.shape[0], 16):
        sources = np.arange(first, min(first + 16, towns.shape[0]))
        mine = np.isin(a, sources)
        if not mine.any():
            continue
        reach = float(np.hypot(*(towns[a[mine]] - towns[b[mine]]).T).max()) * 2.0
        _, previous = dijkstra(
            graph, directed=False, indices=centre[sources], limit=reach, return_predecessors=True
        )
        for pair in np.flatnonzero(mine):
            row = int(a[pair] - first)
            node = int(centre[b[pair]])
            while node >= 0 and node != centre[a[pair]]:
                before = int(previous[row, node])
                if before < 0:
                    break
                low, high = min(node, before), max(node, before)
                index = int(edge_of[low, high]) - 1
                rural = not (in_town[node] and in_town[before])
                road = (
                    (_SECONDARY_RURAL if rural else _SECONDARY_TOWN)
                    if grade[pair] == 2
                    else (_TERTIARY_RURAL if rural else _TERTIARY_TOWN)
                )
                upgraded[index] = max(int(upgraded[index]), road)
                node = before
    return upgraded


def _motorway(
    points: FloatArray,
    u: IntArray,
    v: IntArray,
    kind: IntArray,
    towns: FloatArray,
    *,
    towns_used: int,
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """A motorway along the spanning tree of the largest towns: its own nodes every 500 m (shape
    nodes come later; the way back is added with them), interchanges to the nearest drivable
    intersection every ~10 km."""
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import cKDTree

    used = min(towns_used, towns.shape[0])
    if used < 2:
        return points, u, v, kind
    centres = towns[:used]
    distances = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    tree = minimum_spanning_tree(distances).tocoo()
    drivable = np.unique(np.concatenate([u[kind != _TRACK], v[kind != _TRACK]]))
    finder = cKDTree(points[drivable])
    new_points, new_u, new_v, new_kind = [points], [u], [v], [kind]
    count = points.shape[0]
    for start, end in zip(tree.row, tree.col, strict=True):
        a, b = centres[start], centres[end]
        steps = max(2, math.ceil(float(np.hypot(*(b - a))) / 500.0))
        chain = a + np.linspace(0.0, 1.0, steps + 1)[:, None] * (b - a)
        ids = np.arange(count, count + chain.shape[0], dtype=np.int64)
        count += chain.shape[0]
        new_points.append(chain)
        new_u.append(ids[:-1])
        new_v.append(ids[1:])
        new_kind.append(np.full(steps, _MOTORWAY))
        exits = np.unique(np.r_[0 : chain.shape[0] : 20, chain.shape[0] - 1])
        _, near = finder.query(chain[exits])
        new_u.append(ids[exits])
        new_v.append(drivable[near].astype(np.int64))
        new_kind.append(np.full(exits.shape[0], _LINK))
    return (
        np.concatenate(new_points),
        np.concatenate(new_u),
        np.concatenate(new_v),
        np.concatenate(new_kind).astype(np.int64),
    )


def _shape_nodes(
    rng: np.random.Generator,
    points: FloatArray,
    u: IntArray,
    v: IntArray,
    *,
    kind: IntArray,
    nodes: int,
) -> tuple[FloatArray, IntArray, IntArray, IntArray]:
    """Cut every street into segments by degree-2 nodes along a sine bow, ``nodes`` in all."""
    vector = points[v] - points[u]
    length = np.hypot(*vector.T)
    wanted = max(0, nodes - points.shape[0])
    spacing = float(length.sum()) / max(wanted, 1)
    # rounded at random, so that the count reaches ``nodes`` on average
    drawn = np.floor(length / spacing + rng.random(u.shape[0])) if wanted else np.zeros(u.shape)
    inner = drawn.astype(np.int64)
    segments = inner + 1
    edge = np.repeat(np.arange(u.shape[0]), segments)
    step = np.arange(edge.shape[0]) - np.repeat(np.cumsum(segments) - segments, segments)
    first_shape = points.shape[0] + np.cumsum(inner) - inner  # id of each street's first
    bow = rng.uniform(-0.08, 0.08, u.shape[0]) * length
    normal = np.column_stack([-vector[:, 1], vector[:, 0]]) / np.maximum(length, 1e-9)[:, None]
    shaped = np.flatnonzero(inner > 0)
    owner = np.repeat(shaped, inner[shaped])
    rank = np.arange(owner.shape[0]) - np.repeat(np.cumsum(inner[shaped]) - inner[shaped],
                                                 inner[shaped])  # fmt: skip
    t = (rank + 1) / (inner[owner] + 1)
    xy = points[u[owner]] + t[:, None] * vector[owner]
    xy += (bow[owner] * np.sin(np.pi * t))[:, None] * normal[owner]
    # the segment ends: the street's tail, its shape nodes in order, its head
    tail = np.where(step == 0, u[edge], first_shape[edge] + step - 1)
    head = np.where(step == segments[edge] - 1, v[edge], first_shape[edge] + step)
    segment_kind = kind[edge]
    # the motorway's way back: its two carriageways share the nodes of the way there
    there = segment_kind == _MOTORWAY
    tail, head = np.concatenate([tail, head[there]]), np.concatenate([head, tail[there]])
    segment_kind = np.concatenate([segment_kind, np.full(int(there.sum()), _MOTORWAY_BACK)])
    return np.concatenate([points, xy]), tail, head, segment_kind


def degree_profile(indptr: NDArray[np.int64], indices: NDArray[np.int32]) -> dict[str, float]:
    """The share of nodes with 1, 2, 3 and 4 or more distinct neighbours (arcs in or out), and
    the mean degree, of a CSR graph (a `geodata.traveltime.StreetNetwork`'s arrays)."""
    n = indptr.shape[0] - 1
    tail = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    head = indices.astype(np.int64)
    low, high = np.minimum(tail, head), np.maximum(tail, head)
    pairs = np.unique(low * n + high)
    degree = np.bincount(np.concatenate([pairs // n, pairs % n]), minlength=n)
    return {
        "1": float(np.mean(degree == 1)),
        "2": float(np.mean(degree == 2)),
        "3": float(np.mean(degree == 3)),
        "4+": float(np.mean(degree >= 4)),
        "mean": float(degree.mean()),
    }
