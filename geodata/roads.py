"""The main roads of a street network, as simplified lines for a map background.

A page without tiles (offline) draws the registered street network's main roads so that a
click « chez la personne » lands somewhere recognisable. A `geodata.traveltime.StreetNetwork`
keeps no ``highway`` class, only each arc's travel time; its speed (great-circle length over
time) tells the class on a car network — motorways, trunk and rural roads run at 70 km/h or
more, town streets at 50 and less. `main_roads`:

1. keeps the arcs with an end inside the box, once per pair of nodes (both directions of a
   street are one line);
2. ranks them: rank 1 at `MAIN_SPEED_KMH` or more (car networks), rank 2 otherwise; when more
   than ``max_segments`` remain, keeps the fastest — on a walk or bike network, where every
   street has the same speed, none (the map says to zoom in: ``complete`` is false);
3. chains segments of one rank through the nodes where exactly two of them meet, and
   simplifies each line (Douglas–Peucker, `shapely.simplify`) to ``tolerance`` degrees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely

from geodata.sphere import great_circle_m
from geodata.traveltime import StreetNetwork

MAIN_SPEED_KMH: Final = 70.0
"""A car arc this fast or faster is a main road (rank 1): French rural and express roads."""

Box = tuple[float, float, float, float]
"""West, south, east, north, EPSG:4326 degrees."""


@dataclass(frozen=True, slots=True)
class RoadLine:
    """One drawn line: its rank (1 main, 2 other) and its (lon, lat) coordinates."""

    rank: int
    coordinates: list[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Roads:
    """The lines in a box; ``complete`` is false when streets were left out (too many)."""

    lines: list[RoadLine]
    complete: bool


def _segments(network: StreetNetwork, box: Box) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node pairs (u < v) of the arcs with an end in ``box``, and their speed (km/h)."""
    west, south, east, north = box
    lon, lat = network.node_lon, network.node_lat
    inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    tails = np.repeat(np.arange(lon.shape[0], dtype=np.int64), np.diff(network.indptr))
    heads = network.indices.astype(np.int64)
    keep = inside[tails] | inside[heads]
    tails, heads, seconds = tails[keep], heads[keep], network.weights[keep]
    low, high = np.minimum(tails, heads), np.maximum(tails, heads)
    metres = great_circle_m(lon[low], lat[low], lon[high], lat[high])
    speed = np.where(seconds > 0, metres / np.maximum(seconds, 1e-9) * 3.6, 0.0)
    pairs = low * lon.shape[0] + high
    order = np.lexsort((-speed, pairs))  # per pair, the fastest direction first
    pairs, low, high, speed = pairs[order], low[order], high[order], speed[order]
    first = np.ones(pairs.shape[0], dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    return low[first], high[first], speed[first]


def _chains(pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Node sequences covering every segment once, joined where exactly two segments meet."""
    around: dict[int, list[int]] = defaultdict(list)
    for index, (u, v) in enumerate(pairs):
        around[u].append(index)
        around[v].append(index)
    used = [False] * len(pairs)

    def walk(start: int, segment: int) -> list[int]:
        nodes = [start]
        node = start
        while True:
            used[segment] = True
            u, v = pairs[segment]
            node = v if node == u else u
            nodes.append(node)
            onward = [s for s in around[node] if not used[s]]
            if len(around[node]) != 2 or not onward:
                return nodes
            segment = onward[0]

    chains = []
    # from the ends and junctions first, then what is left: loops
    for node in sorted(around, key=lambda n: len(around[n]) == 2):
        for segment in around[node]:
            if not used[segment]:
                chains.append(walk(node, segment))
    return chains


def main_roads(
    network: StreetNetwork, box: Box, *, max_segments: int = 5000, tolerance: float = 0.0
) -> Roads:
    """The roads of ``network`` with an end in ``box``, ranked and simplified (see the module).

    ``tolerance`` (degrees) is the simplification's; 0 keeps every vertex.
    """
    low, high, speed = _segments(network, box)
    rank = np.where(speed >= MAIN_SPEED_KMH - 0.5, 1, 2)
    complete = low.shape[0] <= max_segments
    if not complete:
        if network.mode != "car":
            return Roads([], complete=False)
        fastest = np.argsort(-speed, kind="stable")[:max_segments]
        low, high, rank = low[fastest], high[fastest], rank[fastest]
    lines = []
    for wanted in (1, 2):
        chosen = rank == wanted
        pairs = list(zip(low[chosen].tolist(), high[chosen].tolist(), strict=True))
        for nodes in _chains(pairs):
            points = np.column_stack((network.node_lon[nodes], network.node_lat[nodes]))
            if tolerance > 0:
                line = shapely.simplify(shapely.linestrings(points), tolerance)
                points = shapely.get_coordinates(line)
            lines.append(RoadLine(wanted, [(round(x, 5), round(y, 5)) for x, y in points.tolist()]))
    return Roads(lines, complete)
