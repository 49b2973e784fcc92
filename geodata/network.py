"""Street networks for walking, cycling and driving, read from local OpenStreetMap files.

`build_network` reads a file — ``.osm.pbf`` with pyrosm, ``.osm`` / ``.osm.bz2`` / ``.osm.gz``
(OSM XML) with OSMnx's ``graph_from_xml`` — and never touches the network. It is a short
script of the steps below, each public so that it can be checked on its own:

1. `read_osm`: every way tagged ``highway``, cut into segments between consecutive nodes, in the
   way's node order, with the tags the rules need (`TAG_KEYS`).
2. `mode_arcs`: the mode rules (`way_rule`) decide, per way, which directions the mode may use
   and at what speed; each usable segment direction becomes an arc whose travel time is its
   great-circle length (metres, R = 6,371,009 m) over that speed. Parallel arcs are merged,
   keeping the fastest.
3. `largest_strongly_connected`: only the largest strongly connected component is kept, so
   that every node reaches every other (a one-way dead end, a private enclave, a footway
   floating in a car park are dropped).
4. The arcs become the CSR arrays of a `geodata.traveltime.StreetNetwork`.

Mode rules
----------
A way is used by a mode when its ``highway`` value is one the mode may use, it is not an area
(``area=yes``), and the access tags do not close it. Access follows OSM's hierarchy: the most
specific tag present decides — walk ``foot`` > ``access``; bike ``bicycle`` > ``vehicle`` >
``access``; car ``motorcar`` > ``motor_vehicle`` > ``vehicle`` > ``access``. A way is closed
when that tag says ``no``, ``private``, ``agricultural``, ``forestry``, ``delivery``,
``emergency``, ``military`` or ``use_sidepath`` (also as one of several ``;``-separated
values); ``destination``, ``customers``, ``permissive`` and the rest keep it open. Ways tagged
``motorroad=yes`` (French "route pour automobiles") are closed to walkers and cyclists.

=======  ===================================================================================
mode     ``highway`` values used
=======  ===================================================================================
walk     trunk, primary, secondary, tertiary (and their ``_link``), unclassified, residential,
         living_street, service, road, pedestrian, footway, steps, path, track, bridleway,
         corridor, elevator; cycleway only when ``foot`` is yes/designated/permissive (French
         rule: pedestrians keep off cycle tracks)
bike     trunk, primary, secondary, tertiary (and ``_link``), unclassified, residential,
         living_street, service, road, cycleway, track, path, bridleway, pedestrian (French
         pedestrian zones admit cyclists at walking pace unless signed, Code de la route
         R431-9); footway and corridor only when ``bicycle`` is yes/designated/permissive
car      motorway, trunk, primary, secondary, tertiary (and their ``_link``), unclassified,
         residential, living_street, road, service — except ``service=parking_aisle``,
         ``parking``, ``private``, ``emergency_access`` (OSMnx's ``drive_service`` choice:
         reaching a partner often takes a service road)
=======  ===================================================================================

Directions: walkers ignore one-way tags. Cars follow ``oneway`` (``yes``/``true``/``1``
forward, ``-1``/``reverse`` backward, ``no`` both ways); without it, ``junction=roundabout`` or
``circular`` and ``highway=motorway`` are one-way forward (implied, per the OSM wiki).
Cyclists follow ``oneway:bicycle`` when present, else ride both ways where
``cycleway=opposite``, ``opposite_lane`` or ``opposite_track`` (contraflow), else follow the
car rule.

Speeds: walk 4.5 km/h, bike 15 km/h everywhere (`geodata.traveltime.WALK_SPEED_KMH`,
`~geodata.traveltime.BIKE_SPEED_KMH`). Car: ``maxspeed`` when it parses (`parse_maxspeed`),
else `CAR_DEFAULT_SPEED_KMH` for the highway class — free-flow speeds at the limit, with no
congestion or junction delay, so car times are lower bounds in town.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from geodata.modes import StreetMode
from geodata.sphere import great_circle_m
from geodata.traveltime import BIKE_SPEED_KMH, WALK_SPEED_KMH, StreetNetwork, parse_mode

Progress = Callable[[str, float], None]
"""``progress(step, fraction)``: a French step label and the overall fraction done, 0 → 1."""

TAG_KEYS: tuple[str, ...] = (
    "highway",
    "area",
    "access",
    "foot",
    "bicycle",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "motorroad",
    "service",
    "oneway",
    "oneway:bicycle",
    "cycleway",
    "junction",
    "maxspeed",
)
"""The way tags the mode rules read."""

_ROADS = frozenset(
    {
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
_HIGHWAYS: Mapping[StreetMode, frozenset[str]] = {
    "walk": _ROADS
    | {"pedestrian", "footway", "steps", "path", "track", "bridleway", "corridor", "elevator"},
    "bike": _ROADS | {"cycleway", "track", "path", "bridleway", "pedestrian"},
    "car": _ROADS | {"motorway", "motorway_link"},
}
# Ways a mode uses only when its own access tag explicitly allows it.
_IF_ALLOWED: Mapping[StreetMode, frozenset[str]] = {
    "walk": frozenset({"cycleway"}),
    "bike": frozenset({"footway", "corridor"}),
    "car": frozenset(),
}
_ALLOWING = frozenset({"yes", "designated", "permissive"})
_CLOSING = frozenset(
    {"no", "private", "agricultural", "forestry", "delivery", "emergency", "military"}
    | {"use_sidepath"}
)
_ACCESS_KEYS: Mapping[StreetMode, tuple[str, ...]] = {
    "walk": ("foot", "access"),
    "bike": ("bicycle", "vehicle", "access"),
    "car": ("motorcar", "motor_vehicle", "vehicle", "access"),
}
_CAR_CLOSED_SERVICE = frozenset({"parking_aisle", "parking", "private", "emergency_access"})
_FORWARD = frozenset({"yes", "true", "1"})
_BACKWARD = frozenset({"-1", "reverse"})
_TWO_WAY = frozenset({"no", "false", "0"})
_CONTRAFLOW = frozenset({"opposite", "opposite_lane", "opposite_track"})

CAR_DEFAULT_SPEED_KMH: Mapping[str, float] = {
    "motorway": 130.0,  # Code de la route R413-2
    "motorway_link": 90.0,  # interchanges are usually signed 90 then 70
    "trunk": 110.0,  # R413-2: dual carriageways
    "trunk_link": 70.0,
    "primary": 80.0,  # R413-2 since 2018: two-way roads outside built-up areas
    "primary_link": 50.0,
    "secondary": 80.0,
    "secondary_link": 50.0,
    "tertiary": 50.0,  # mostly through villages and towns: R413-3 (en agglomération)
    "tertiary_link": 50.0,
    "unclassified": 50.0,
    "road": 50.0,
    "residential": 50.0,  # R413-3
    "living_street": 20.0,  # "zone de rencontre", R110-2
    "service": 20.0,  # car parks, yards, driveways: no legal limit, walking-pace driving
}
"""Car speed (km/h) per ``highway`` class when ``maxspeed`` is absent or unreadable: the French
legal limit where the class implies one, a cautious town value where it does not."""

_ZONE_SPEED_KMH: Mapping[str, float] = {
    "urban": 50.0,
    "rural": 80.0,
    "trunk": 110.0,
    "motorway": 130.0,
    "zone30": 30.0,
    "zone20": 20.0,
    "living_street": 20.0,
    "walk": 6.0,
}
_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
_MPH_KMH = 1.609344
_XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml")
_PBF_SUFFIXES = (".osm.pbf", ".pbf")
_OSMNX_LOCK = threading.Lock()  # osmnx's settings are module globals
_READING = "lecture du fichier OSM"


# -- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WayRule:
    """How a mode may use a way: ``forward`` (node order) and ``backward``, at ``speed_kmh``."""

    forward: bool
    backward: bool
    speed_kmh: float

    @property
    def used(self) -> bool:
        """Whether the mode uses the way at all."""
        return self.forward or self.backward


_UNUSED = WayRule(forward=False, backward=False, speed_kmh=0.0)


def parse_maxspeed(value: str | None) -> float | None:
    """A ``maxspeed`` tag in km/h, or ``None`` when it gives no number.

    Reads ``"50"``, ``"50 km/h"``, ``"30 mph"`` (× 1.609344), zone codes ``"FR:urban"`` (50),
    ``"FR:rural"`` (80), ``"FR:trunk"`` (110), ``"FR:motorway"`` (130), ``"FR:zone30"`` (30),
    ``"FR:zone20"``/``"FR:living_street"`` (20), ``"walk"`` (6) — the French figures whatever
    the country prefix — and takes the lowest of several ``;``-separated values. ``"none"``,
    ``"signals"``, ``"variable"`` and values outside 1–200 km/h give ``None``.
    """
    if not value:
        return None
    speeds = []
    for part in value.split(";"):
        token = part.strip().lower()
        zone = token.split(":", 1)[1] if ":" in token else token
        if zone in _ZONE_SPEED_KMH:
            speeds.append(_ZONE_SPEED_KMH[zone])
            continue
        match = _MAXSPEED.match(token)
        if match:
            number = float(match.group(1))
            speeds.append(number * _MPH_KMH if match.group(2) == "mph" else number)
    plausible = [s for s in speeds if 1.0 <= s <= 200.0]
    return min(plausible) if plausible else None


def car_speed_kmh(tags: Mapping[str, str]) -> float:
    """Car speed on a way, km/h: ``maxspeed`` if readable, else the class default (50 if the
    class has none)."""
    tagged = parse_maxspeed(tags.get("maxspeed"))
    if tagged is not None:
        return tagged
    return CAR_DEFAULT_SPEED_KMH.get(tags.get("highway", ""), 50.0)


def _values(tag: str) -> list[str]:
    return [part.strip().lower() for part in tag.split(";")]


def _closed(tags: Mapping[str, str], mode: StreetMode) -> bool:
    for key in _ACCESS_KEYS[mode]:
        if key in tags:
            return any(value in _CLOSING for value in _values(tags[key]))
    return False


def _allowed_explicitly(tags: Mapping[str, str], mode: StreetMode) -> bool:
    key = _ACCESS_KEYS[mode][0]
    return key in tags and any(value in _ALLOWING for value in _values(tags[key]))


def _car_direction(tags: Mapping[str, str]) -> int:
    """+1 one-way forward, -1 one-way backward, 0 both ways, for cars."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in _FORWARD:
        return 1
    if oneway in _BACKWARD:
        return -1
    if oneway in _TWO_WAY:
        return 0
    junction = tags.get("junction", "")
    return 1 if junction in {"roundabout", "circular"} or tags.get("highway") == "motorway" else 0


def _bike_direction(tags: Mapping[str, str]) -> int:
    oneway = tags.get("oneway:bicycle", "").strip().lower()
    if oneway in _FORWARD:
        return 1
    if oneway in _BACKWARD:
        return -1
    if oneway in _TWO_WAY or tags.get("cycleway", "") in _CONTRAFLOW:
        return 0
    return _car_direction(tags)


def way_rule(tags: Mapping[str, str], mode: str) -> WayRule:
    """Whether and how ``mode`` uses a way with these OSM tags (rules: module docstring).

    Parameters
    ----------
    tags
        The way's tags (``highway`` at least).
    mode
        ``"walk"``, ``"bike"`` or ``"car"``.

    Returns
    -------
    WayRule
        Directions allowed relative to the way's node order, and the speed in km/h.
    """
    street_mode = parse_mode(mode)
    if not _uses(tags, street_mode):
        return _UNUSED
    if street_mode == "walk":
        return WayRule(forward=True, backward=True, speed_kmh=WALK_SPEED_KMH)
    if street_mode == "bike":
        direction, speed = _bike_direction(tags), BIKE_SPEED_KMH
    else:
        direction, speed = _car_direction(tags), car_speed_kmh(tags)
    return WayRule(forward=direction >= 0, backward=direction <= 0, speed_kmh=speed)


def _uses(tags: Mapping[str, str], mode: StreetMode) -> bool:
    """Whether ``mode`` may use the way at all, in some direction."""
    highway = tags.get("highway", "")
    if highway in _IF_ALLOWED[mode]:
        usable = _allowed_explicitly(tags, mode)
    else:
        usable = highway in _HIGHWAYS[mode]
    if mode == "car":
        usable = usable and not (
            highway == "service" and tags.get("service", "") in _CAR_CLOSED_SERVICE
        )
    else:
        usable = usable and tags.get("motorroad", "").lower() != "yes"
    return usable and tags.get("area", "").lower() != "yes" and not _closed(tags, mode)


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OsmWays:
    """The ``highway`` ways of an OSM file, cut into segments between consecutive nodes.

    Attributes
    ----------
    node_id
        OSM ids of the nodes the segments use, int64, sorted, distinct, shape (n,).
    node_lon, node_lat
        Their coordinates, EPSG:4326 degrees, float64, shape (n,).
    segment_way
        For each segment, the index of its way in ``way_tags``, shape (s,).
    segment_u, segment_v
        Positions (in ``node_id``) of each segment's ends, in the way's node order, shape (s,).
    way_tags
        The `TAG_KEYS` tags of each way.
    """

    node_id: NDArray[np.int64]
    node_lon: NDArray[np.float64]
    node_lat: NDArray[np.float64]
    segment_way: NDArray[np.intp]
    segment_u: NDArray[np.intp]
    segment_v: NDArray[np.intp]
    way_tags: Sequence[Mapping[str, str]]


@dataclass(frozen=True)
class Arcs:
    """Directed arcs over the nodes of an `OsmWays`: ``tail → head`` in ``seconds``."""

    tail: NDArray[np.intp]
    head: NDArray[np.intp]
    seconds: NDArray[np.float64]


def _file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(_PBF_SUFFIXES):
        return "pbf"
    if name.endswith(_XML_SUFFIXES):
        return "xml"
    msg = (
        f"Format de fichier OSM non reconnu : « {path.name} » "
        "(attendu .osm.pbf, .osm, .osm.bz2 ou .osm.gz)."
    )
    raise ValueError(msg)


def read_osm(path: str | Path, *, progress: Progress | None = None) -> OsmWays:
    """Read the ``highway`` ways of a local OSM file (no network access).

    Parameters
    ----------
    path
        ``.osm.pbf`` (read with pyrosm) or OSM XML ``.osm``, ``.osm.bz2``, ``.osm.gz`` (read with
        OSMnx's ``graph_from_xml``).
    progress
        ``progress(step, fraction)`` during a ``.osm.pbf`` read (pyrosm reports it); an XML
        read reports nothing until it is done.

    Raises
    ------
    ValueError
        In French: missing file, unknown extension, unreadable content, no ``highway`` way.
    """
    source = Path(path)
    kind = _file_kind(source)
    if not source.is_file():
        msg = f"Fichier OSM introuvable : {source}."
        raise ValueError(msg)
    try:
        ways = _read_pbf(source, progress) if kind == "pbf" else _read_xml(source)
    except ValueError:
        raise
    except Exception as exc:  # readers fail in many ways on a damaged file
        msg = f"Fichier OSM illisible : {source.name} ({type(exc).__name__})."
        raise ValueError(msg) from exc
    if ways is None or ways.segment_u.size == 0:
        msg = f"Aucune voie (highway) dans {source.name}."
        raise ValueError(msg)
    return ways


def _tags_of(record: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k in TAG_KEYS if isinstance(v := record.get(k), str) and v}


def _assemble(
    *,
    node_id: NDArray[np.int64],
    node_lon: NDArray[np.float64],
    node_lat: NDArray[np.float64],
    segment_way_id: NDArray[np.int64],
    segment_u_id: NDArray[np.int64],
    segment_v_id: NDArray[np.int64],
    tags_by_way: Mapping[int, Mapping[str, str]],
) -> OsmWays:
    """Index nodes and ways: OSM ids → positions."""
    order = np.argsort(node_id, kind="stable")
    ids = node_id[order]
    keep = np.ones(ids.shape[0], dtype=bool)
    keep[1:] = ids[1:] != ids[:-1]
    ids, lon, lat = ids[keep], node_lon[order][keep], node_lat[order][keep]
    u = np.searchsorted(ids, segment_u_id)
    v = np.searchsorted(ids, segment_v_id)
    known = (u < ids.size) & (v < ids.size)
    known[known] &= (ids[u[known]] == segment_u_id[known]) & (ids[v[known]] == segment_v_id[known])
    way_ids, segment_way = np.unique(segment_way_id[known], return_inverse=True)
    return OsmWays(
        node_id=ids,
        node_lon=lon,
        node_lat=lat,
        segment_way=segment_way.astype(np.intp),
        segment_u=u[known].astype(np.intp),
        segment_v=v[known].astype(np.intp),
        way_tags=[tags_by_way[int(w)] for w in way_ids],
    )


def _read_pbf(path: Path, progress: Progress | None) -> OsmWays | None:
    from pyrosm import OSM

    def reading(done: float, total: float) -> None:
        if progress is not None:
            progress(_READING, done / total)

    # a callable progress also keeps pyrosm's own bar off the terminal
    result = OSM(str(path), progress=reading).get_network(
        network_type="all", nodes=True, extra_attributes=list(TAG_KEYS), tags_to_keep=["highway"]
    )
    if result is None:
        return None
    nodes, edges = result
    if edges is None or len(edges) == 0:
        return None
    columns = [key for key in TAG_KEYS if key in edges.columns]
    firsts = edges.drop_duplicates("id")
    tags_by_way = {
        int(way): _tags_of(record)
        for way, record in zip(firsts["id"], firsts[columns].to_dict("records"), strict=True)
    }
    return _assemble(
        node_id=nodes["id"].to_numpy(np.int64),
        node_lon=nodes["lon"].to_numpy(np.float64),
        node_lat=nodes["lat"].to_numpy(np.float64),
        segment_way_id=edges["id"].to_numpy(np.int64),
        segment_u_id=edges["u"].to_numpy(np.int64),
        segment_v_id=edges["v"].to_numpy(np.int64),
        tags_by_way=tags_by_way,
    )


def _read_xml(path: Path) -> OsmWays | None:
    import osmnx as ox

    with _OSMNX_LOCK:
        saved = (ox.settings.useful_tags_way, ox.settings.all_oneway)
        # all_oneway: one edge per segment, tags kept raw — the mode rules below decide the
        # directions. OSMnx reverses the node order of oneway=-1 ways; that is undone below.
        ox.settings.useful_tags_way = list(TAG_KEYS)
        ox.settings.all_oneway = True
        try:
            graph = ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
        finally:
            ox.settings.useful_tags_way, ox.settings.all_oneway = saved
    way_ids: list[int] = []
    u_ids: list[int] = []
    v_ids: list[int] = []
    tags_by_way: dict[int, dict[str, str]] = {}
    reversed_values = {"-1", "reverse", "T"}  # what graph_from_xml reverses
    for tail, head, data in graph.edges(data=True):
        if "highway" not in data:
            continue
        way = int(data["osmid"])
        if way not in tags_by_way:
            tags_by_way[way] = _tags_of(data)
        flipped = data.get("oneway") in reversed_values
        way_ids.append(way)
        u_ids.append(int(head if flipped else tail))
        v_ids.append(int(tail if flipped else head))
    if not way_ids:
        return None
    node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=len(graph))
    lon = np.fromiter((graph.nodes[n]["x"] for n in graph.nodes), np.float64, len(graph))
    lat = np.fromiter((graph.nodes[n]["y"] for n in graph.nodes), np.float64, len(graph))
    return _assemble(
        node_id=node_ids,
        node_lon=lon,
        node_lat=lat,
        segment_way_id=np.array(way_ids, dtype=np.int64),
        segment_u_id=np.array(u_ids, dtype=np.int64),
        segment_v_id=np.array(v_ids, dtype=np.int64),
        tags_by_way=tags_by_way,
    )


# -- arcs and connectivity ------------------------------------------------------------------


def mode_arcs(ways: OsmWays, mode: str) -> Arcs:
    """The arcs ``mode`` may travel, with their travel times (seconds).

    Every segment direction the way's `way_rule` allows becomes an arc of duration
    ``great_circle_m(u, v) / speed``; self-loops are dropped and parallel arcs merged into the
    fastest.
    """
    street_mode = parse_mode(mode)
    rules = [way_rule(tags, street_mode) for tags in ways.way_tags]
    forward = np.array([r.forward for r in rules], dtype=bool)[ways.segment_way]
    backward = np.array([r.backward for r in rules], dtype=bool)[ways.segment_way]
    speed = np.array([r.speed_kmh for r in rules], dtype=np.float64)[ways.segment_way]
    u, v = ways.segment_u, ways.segment_v
    metres = great_circle_m(ways.node_lon[u], ways.node_lat[u], ways.node_lon[v], ways.node_lat[v])
    with np.errstate(divide="ignore"):
        seconds = metres / (speed / 3.6)
    tail = np.concatenate([u[forward], v[backward]])
    head = np.concatenate([v[forward], u[backward]])
    duration = np.concatenate([seconds[forward], seconds[backward]])
    proper = tail != head
    tail, head, duration = tail[proper], head[proper], duration[proper]
    order = np.lexsort((duration, head, tail))
    tail, head, duration = tail[order], head[order], duration[order]
    first = np.ones(tail.size, dtype=bool)
    first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
    return Arcs(tail=tail[first], head=head[first], seconds=duration[first])


def largest_strongly_connected(n_nodes: int, arcs: Arcs) -> NDArray[np.bool_]:
    """Mask (shape (n_nodes,)) of the nodes in the largest strongly connected component."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    graph = csr_matrix(
        (np.ones(arcs.tail.size, dtype=np.int8), (arcs.tail, arcs.head)), shape=(n_nodes, n_nodes)
    )
    _, labels = connected_components(graph, directed=True, connection="strong")
    largest = np.bincount(labels).argmax()
    return np.asarray(labels == largest)


def _to_network(
    ways: OsmWays, arcs: Arcs, keep: NDArray[np.bool_], mode: StreetMode
) -> StreetNetwork:
    position = np.full(keep.size, -1, dtype=np.int64)
    position[keep] = np.arange(int(keep.sum()))
    inside = keep[arcs.tail] & keep[arcs.head]
    tail, head = position[arcs.tail[inside]], position[arcs.head[inside]]
    seconds = arcs.seconds[inside]
    order = np.lexsort((head, tail))
    n = int(keep.sum())
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
    return StreetNetwork(
        mode,
        indptr=indptr,
        indices=head[order].astype(np.int32),
        weights=seconds[order],
        node_lon=ways.node_lon[keep],
        node_lat=ways.node_lat[keep],
        node_id=ways.node_id[keep],
    )


def build_network(
    osm_path: str | Path, mode: str, *, progress: Progress | None = None
) -> StreetNetwork:
    """Build one mode's street network from a local OSM file.

    Parameters
    ----------
    osm_path
        ``.osm.pbf``, ``.osm``, ``.osm.bz2`` or ``.osm.gz`` file.
    mode
        ``"walk"``, ``"bike"`` or ``"car"`` (rules and speeds: module docstring).
    progress
        Called as ``progress(step, fraction)`` with a French step label and the overall
        fraction done (0 → 1); reading the file is most of the time.

    Returns
    -------
    StreetNetwork
        The largest strongly connected component, arcs weighted in seconds; save it with
        `~geodata.traveltime.StreetNetwork.save`.

    Raises
    ------
    ValueError
        In French: unknown mode, missing/unreadable file, no way usable by the mode.
    """
    street_mode = parse_mode(mode)
    report = progress or (lambda _step, _fraction: None)
    report(_READING, 0.0)
    ways = read_osm(osm_path, progress=lambda step, done: report(step, 0.8 * done))
    return network_from_ways(
        ways,
        street_mode,
        source_name=Path(osm_path).name,
        progress=lambda step, done: report(step, 0.8 + 0.2 * done),
    )


def network_from_ways(
    ways: OsmWays, mode: str, *, source_name: str = "", progress: Progress | None = None
) -> StreetNetwork:
    """One mode's street network from ways already read (`read_osm`): read a file once, build
    every mode from it.

    Parameters
    ----------
    ways
        From `read_osm`.
    mode
        ``"walk"``, ``"bike"`` or ``"car"``.
    source_name
        Name of the file read, for the error message.
    progress
        ``progress(step, fraction)``, fraction of this build (0 → 1).

    Raises
    ------
    ValueError
        In French, when no way is usable by the mode.
    """
    street_mode = parse_mode(mode)
    report = progress or (lambda _step, _fraction: None)
    report("règles du mode et durées des tronçons", 0.0)
    arcs = mode_arcs(ways, street_mode)
    if arcs.tail.size == 0:
        msg = f"Aucune voie praticable en mode « {street_mode} » dans {source_name}."
        raise ValueError(msg)
    report("plus grande composante fortement connexe", 0.5)
    keep = largest_strongly_connected(ways.node_id.size, arcs)
    report("tableaux compacts", 0.75)
    network = _to_network(ways, arcs, keep, street_mode)
    report("terminé", 1.0)
    return network
