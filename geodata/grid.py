"""INSPIRE statistical grids: cells, Filosofi population, and population spread from communes.

The grid
--------
The European statistical grid of the INSPIRE directive, the one INSEE publishes its "données
carroyées" (Filosofi) on: square cells of ``resolution`` metres (1,000 or 200) in
**EPSG:3035** (ETRS89-extended / LAEA Europe, an equal-area projection, so a cell's area is
its true area). A cell is named by its south-west corner, in whole metres:

    CRS3035RES1000mN2341000E3842000   (resolution 1,000 m, y = 2,341,000, x = 3,842,000)

Coordinates are EPSG:3035 metres ``(x, y)`` (easting, northing) unless a function says
EPSG:4326, where they are ``(lon, lat)`` degrees; conversions use pyproj with
``always_xy=True``. Cell polygons in EPSG:4326 are the four corners converted (the edges are
straight in EPSG:3035, so a converted cell is very slightly off a true quadrilateral: under a
metre for 1 km cells).

Population per cell
-------------------
`read_filosofi` reads INSEE Filosofi cells (``ind``: people; ``men_pauv``: poor households;
...). INSEE publishes only inhabited cells, and an extract may cover part of a territory.
`areal_population` combines both sources over any grid:

1. where Filosofi is loaded, a cell takes the Filosofi population (``ind``; a 1 km value is
   split evenly over its 25 cells of 200 m, 200 m values add up into 1 km cells);
2. inside the Filosofi **footprint** — by default the convex hull of the cells read — a cell
   with no Filosofi value is uninhabited (INSEE publishes every inhabited cell) and gets 0;
3. outside it, each commune's **remaining** population ``max(0, pop_c − F_c)`` is spread over
   the part of the commune outside the footprint, in proportion to area:

   .. math::

      p_k = \\sum_c \\max(0,\\; pop_c - F_c) \\;
            \\frac{|k \\cap (c \\setminus \\Phi)|}{|c \\setminus \\Phi|}

   where ``Φ`` is the footprint and ``F_c = Σ_f ind_f · |f ∩ c| / |f|`` the Filosofi people
   attributed to commune ``c`` by area share of each Filosofi cell ``f``. Without Filosofi,
   ``Φ`` is empty and ``p_k = Σ_c pop_c · |k ∩ c| / |c|``: plain areal weighting, which
   assumes people spread evenly over each commune — coarse in the countryside, where villages
   gather them, but it conserves every commune's population.

Areas are computed in EPSG:3035 (equal-area). Nothing here touches a database.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import shapely

__all__ = [
    "INSPIRE_CRS",
    "WGS84",
    "FilosofiGrid",
    "Grid",
    "PopulationAssignment",
    "areal_population",
    "cell_id",
    "grid_over",
    "parse_cell_id",
    "read_filosofi",
    "to_3035",
    "to_4326",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Crs = Literal["EPSG:3035", "EPSG:4326"]

INSPIRE_CRS: Final = "EPSG:3035"
"""The INSPIRE grid's projection: ETRS89-extended / LAEA Europe, metres, equal-area."""

WGS84: Final = "EPSG:4326"
"""Longitude/latitude in degrees, the partners' and the travel times' coordinates."""

_ID_PATTERN: Final = re.compile(r"^CRS3035RES(\d+)mN(\d+)E(\d+)$")
_KEY_FACTOR: Final = 10**8  # cell key = column × 10⁸ + row (columns and rows < 10⁸)


# --- cell ids ----------------------------------------------------------------------------------


def cell_id(x_sw: int, y_sw: int, resolution: int) -> str:
    """INSPIRE id of the cell whose south-west corner is ``(x_sw, y_sw)`` (EPSG:3035 metres).

    >>> cell_id(3842000, 2341000, 1000)
    'CRS3035RES1000mN2341000E3842000'
    """
    return f"CRS3035RES{int(resolution)}mN{int(y_sw)}E{int(x_sw)}"


def parse_cell_id(identifier: str) -> tuple[int, int, int]:
    """``(resolution, x_sw, y_sw)`` in metres from an INSPIRE id; `ValueError` in French."""
    match = _ID_PATTERN.fullmatch(identifier.strip())
    if match is None:
        msg = (
            f"Identifiant de carreau INSPIRE invalide : « {identifier} » "
            "(ex. CRS3035RES1000mN2341000E3842000)."
        )
        raise ValueError(msg)
    resolution, north, east = (int(group) for group in match.groups())
    if resolution <= 0 or north % resolution or east % resolution:
        msg = f"Carreau « {identifier} » : coin non aligné sur la résolution de {resolution} m."
        raise ValueError(msg)
    return resolution, east, north


# --- projections -------------------------------------------------------------------------------


@functools.cache
def _transformer(source: str, target: str) -> Any:
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def _convert(xy: FloatArray, source: str, target: str) -> FloatArray:
    x, y = _transformer(source, target).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])


def to_3035(geometries: Any) -> Any:
    """Shapely geometries (one, or an array) from EPSG:4326 lon/lat to EPSG:3035 metres."""
    return shapely.transform(geometries, lambda xy: _convert(xy, WGS84, INSPIRE_CRS))


def to_4326(geometries: Any) -> Any:
    """Shapely geometries (one, or an array) from EPSG:3035 metres to EPSG:4326 lon/lat."""
    return shapely.transform(geometries, lambda xy: _convert(xy, INSPIRE_CRS, WGS84))


# --- the grid ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Grid:
    """Cells of one INSPIRE grid, in a fixed order (the rows of a travel-time matrix).

    Attributes
    ----------
    resolution : int
        Cell side, metres (1000 or 200 for INSEE's grids; any positive integer works).
    x_sw, y_sw : numpy.ndarray
        int64, south-west corners in EPSG:3035 metres, multiples of ``resolution``.
    """

    resolution: int
    x_sw: IntArray
    y_sw: IntArray

    def __post_init__(self) -> None:
        res = int(self.resolution)
        if res <= 0 or self.x_sw.shape != self.y_sw.shape or self.x_sw.ndim != 1:
            raise ValueError("grille invalide : résolution > 0 et coins (x, y) de même longueur")
        if (self.x_sw % res).any() or (self.y_sw % res).any():
            raise ValueError(f"coins de carreaux non alignés sur la résolution de {res} m")
        if np.unique(self._keys).size != self._keys.size:
            raise ValueError("carreau en double dans la grille")

    def __len__(self) -> int:
        return int(self.x_sw.shape[0])

    @classmethod
    def from_ids(cls, identifiers: Sequence[str]) -> Grid:
        """A grid from INSPIRE ids, in their order (one resolution for all)."""
        parsed = [parse_cell_id(identifier) for identifier in identifiers]
        resolutions = {resolution for resolution, _, _ in parsed}
        if len(resolutions) > 1:
            raise ValueError(f"carreaux de résolutions différentes : {sorted(resolutions)}")
        resolution = resolutions.pop() if resolutions else 1000
        return cls(
            resolution,
            np.array([x for _, x, _ in parsed], dtype=np.int64),
            np.array([y for _, _, y in parsed], dtype=np.int64),
        )

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """INSPIRE ids (``CRS3035RES1000mN…E…``), one per cell."""
        return tuple(
            cell_id(x, y, self.resolution)
            for x, y in zip(self.x_sw.tolist(), self.y_sw.tolist(), strict=True)
        )

    @cached_property
    def _keys(self) -> IntArray:
        res = int(self.resolution)
        return (self.x_sw // res) * _KEY_FACTOR + self.y_sw // res

    @cached_property
    def _sorted_keys(self) -> tuple[IntArray, IntArray]:
        order = np.argsort(self._keys, kind="stable").astype(np.int64)
        return self._keys[order], order

    def centroids(self, crs: Crs = "EPSG:3035") -> FloatArray:
        """Cell centres, shape (n, 2): ``(x, y)`` metres in EPSG:3035, or ``(lon, lat)``
        degrees in EPSG:4326 (the origins of a travel-time matrix)."""
        half = self.resolution / 2.0
        xy = np.column_stack([self.x_sw + half, self.y_sw + half]).astype(np.float64)
        return xy if crs == INSPIRE_CRS else _convert(xy, INSPIRE_CRS, WGS84)

    def polygons(self, crs: Crs = "EPSG:3035") -> Any:
        """Cell squares as a numpy array of shapely Polygons, in EPSG:3035 or EPSG:4326."""
        res = self.resolution
        boxes = shapely.box(self.x_sw, self.y_sw, self.x_sw + res, self.y_sw + res)
        return boxes if crs == INSPIRE_CRS else to_4326(boxes)

    def index_of(self, xy: npt.ArrayLike) -> IntArray:
        """Index of the cell holding each EPSG:3035 point (shape (n, 2)), ``-1`` outside.

        A point on a cell's west or south edge belongs to that cell (corners are floored).
        """
        points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        res = self.resolution
        keys = np.floor(points[:, 0] / res).astype(np.int64) * _KEY_FACTOR + np.floor(
            points[:, 1] / res
        ).astype(np.int64)
        result = np.full(keys.shape, -1, dtype=np.int64)
        if len(self) == 0:
            return result
        sorted_keys, order = self._sorted_keys
        position = np.minimum(np.searchsorted(sorted_keys, keys), len(self) - 1)
        found = sorted_keys[position] == keys
        result[found] = order[position[found]]
        return result

    def locate(self, lonlat: npt.ArrayLike) -> IntArray:
        """Index of the cell holding each EPSG:4326 ``(lon, lat)`` point, ``-1`` outside."""
        points = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
        return self.index_of(_convert(points, WGS84, INSPIRE_CRS))

    def subset(self, mask: npt.ArrayLike) -> Grid:
        """The cells where ``mask`` (bool, one per cell) is true, in order."""
        keep = np.asarray(mask, dtype=bool)
        return Grid(self.resolution, self.x_sw[keep], self.y_sw[keep])


def grid_over(
    geometries: Sequence[Any] | Any, *, resolution: int = 1000, min_area: float = 1.0
) -> Grid:
    """The cells of the INSPIRE grid that overlap a territory.

    Parameters
    ----------
    geometries
        Shapely polygons in EPSG:4326 lon/lat, e.g. the communes of a département (their
        union is the territory; no need to dissolve them first).
    resolution
        Cell side in metres, default 1,000 (INSEE also publishes 200).
    min_area
        Square metres a cell must share with the territory, default 1: a boundary that runs
        along a grid line comes back from EPSG:4326 up to a millimetre off, which must not add
        a row of empty cells.

    Returns
    -------
    Grid
        Cells ordered by row from south to north, then west to east.
    """
    res = int(resolution)
    if res <= 0:
        raise ValueError("la résolution doit être un nombre de mètres > 0")
    shapes = to_3035(np.asarray(geometries, dtype=object).ravel())
    xmin, ymin, xmax, ymax = shapely.total_bounds(shapes)
    xs = np.arange(math.floor(xmin / res) * res, xmax, res, dtype=np.int64)
    ys = np.arange(math.floor(ymin / res) * res, ymax, res, dtype=np.int64)
    y_grid, x_grid = np.meshgrid(ys, xs, indexing="ij")
    candidates = Grid(res, x_grid.ravel(), y_grid.ravel())
    pairs, areas = _overlaps(shapes, candidates.polygons())
    overlap = np.bincount(pairs[1], weights=areas, minlength=len(candidates))
    return candidates.subset(overlap > min_area)


# --- Filosofi ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FilosofiGrid:
    """INSEE Filosofi cells ("données carroyées") as read by `read_filosofi`.

    Attributes
    ----------
    grid : Grid
        The cells published (inhabited cells only), in file order.
    values : Mapping[str, numpy.ndarray]
        Every numeric column by its lower-case name, float64: ``ind`` (people), ``men``
        (households), ``men_pauv`` (poor households), ``log_soc`` (social housing), age bands
        ``ind_0_3``…, per cell.
    communes : tuple of tuple of str
        The INSEE codes of the communes each cell overlaps (``lcog_geo`` cut into 5-character
        codes), empty when the column is absent.
    estimated : numpy.ndarray
        bool, INSEE's ``i_est`` flag: values imputed for confidentiality (fewer than 11
        households).
    """

    grid: Grid
    values: Mapping[str, FloatArray]
    communes: tuple[tuple[str, ...], ...]
    estimated: BoolArray

    @property
    def population(self) -> FloatArray:
        """``ind``: people per cell (INSEE's imputed values are fractional)."""
        return self.values["ind"]

    def footprint(self) -> Any:
        """Convex hull of the cells, EPSG:3035: where a missing cell means "uninhabited"."""
        if len(self.grid) == 0:
            return shapely.Polygon()
        return shapely.convex_hull(shapely.union_all(self.grid.polygons()))


def read_filosofi(path: str | Path) -> FilosofiGrid:
    """Read an INSEE Filosofi grid CSV (e.g. ``ales_filosofi2019_1km.csv``).

    The id column is the one named ``idcar_…`` (``idcar_1km``, ``idcar_200m``; any case);
    ``x3035_sw``/``y3035_sw`` are checked against it when present. ``i_est_…`` gives
    `FilosofiGrid.estimated`, ``lcog_geo`` the communes; every other column must be numeric.

    Raises
    ------
    ValueError
        In French: no id column, no ``ind`` column, an id that does not match its
        coordinates, a value that is not a number.
    """
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [{key.strip().lower(): value for key, value in row.items()} for row in reader]
        header = [name.strip().lower() for name in reader.fieldnames or ()]
    id_column = next((name for name in header if name.startswith("idcar")), None)
    if id_column is None or "ind" not in header:
        raise ValueError(f"{path} : colonnes « idcar_… » et « ind » attendues (Filosofi Insee).")
    grid = Grid.from_ids([row[id_column] for row in rows])
    if "x3035_sw" in header and "y3035_sw" in header:
        x = np.array([int(float(row["x3035_sw"])) for row in rows], dtype=np.int64)
        y = np.array([int(float(row["y3035_sw"])) for row in rows], dtype=np.int64)
        if not (np.array_equal(x, grid.x_sw) and np.array_equal(y, grid.y_sw)):
            raise ValueError(f"{path} : x3035_sw/y3035_sw ne correspondent pas aux identifiants.")
    estimate_column = next((name for name in header if name.startswith("i_est")), None)
    skipped = {id_column, estimate_column, "lcog_geo", "x3035_sw", "y3035_sw"}
    values: dict[str, FloatArray] = {}
    for name in header:
        if name in skipped:
            continue
        try:
            values[name] = np.array([float(row[name]) for row in rows], dtype=np.float64)
        except ValueError:
            raise ValueError(f"{path} : colonne « {name} » non numérique.") from None
    communes = tuple(
        tuple(codes[i : i + 5] for i in range(0, len(codes), 5))
        for codes in (row.get("lcog_geo", "") or "" for row in rows)
    )
    estimated = np.array(
        [bool(int(float(row[estimate_column] or 0))) if estimate_column else False for row in rows],
        dtype=bool,
    )
    return FilosofiGrid(grid=grid, values=values, communes=communes, estimated=estimated)


# --- population per cell ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PopulationAssignment:
    """People per cell of a grid, and where they come from (see the module docstring).

    Attributes
    ----------
    population : numpy.ndarray
        People per cell, float64: ``from_filosofi + from_communes``.
    from_filosofi : numpy.ndarray
        Filosofi ``ind`` carried onto the grid (0 without Filosofi).
    from_communes : numpy.ndarray
        Remaining commune population spread by area outside the Filosofi footprint.
    remaining : numpy.ndarray
        Per commune (input order): ``max(0, pop_c − F_c)``, the people left to spread.
    unplaced : float
        People of ``remaining`` that fell outside the grid (a commune not covered by it, or
        wholly inside the footprint): not in ``population``.
    """

    population: FloatArray
    from_filosofi: FloatArray
    from_communes: FloatArray
    remaining: FloatArray
    unplaced: float


def areal_population(
    grid: Grid,
    communes: Sequence[Any],
    populations: npt.ArrayLike,
    *,
    filosofi: FilosofiGrid | None = None,
    footprint: Any | None = None,
) -> PopulationAssignment:
    """People per cell from Filosofi where loaded, and from communes by area share elsewhere.

    Parameters
    ----------
    grid
        Target cells (e.g. `grid_over` the communes).
    communes
        Commune boundaries, shapely polygons in EPSG:4326 lon/lat.
    populations
        Population of each commune, persons (e.g. `CommuneRecord.population`).
    filosofi
        Filosofi cells (same resolution as ``grid``, or one dividing or multiple of it).
    footprint
        Where Filosofi is complete, a shapely polygon in EPSG:3035; default
        `FilosofiGrid.footprint` (convex hull of its cells). Ignored without ``filosofi``.

    Returns
    -------
    PopulationAssignment
    """
    people = np.asarray(populations, dtype=np.float64)
    shapes = to_3035(np.asarray(communes, dtype=object).ravel())
    if people.shape != shapes.shape or not (np.isfinite(people).all() and (people >= 0).all()):
        raise ValueError("une population finie ≥ 0 est attendue par commune")
    from_filosofi = np.zeros(len(grid), dtype=np.float64)
    attributed: FloatArray = np.zeros(people.shape[0], dtype=np.float64)
    outside = shapes
    if filosofi is not None and len(filosofi.grid):
        from_filosofi = _carry(filosofi.grid, filosofi.population, grid)
        boxes = filosofi.grid.polygons()
        pairs, areas = _overlaps(shapes, boxes)
        share = areas / float(filosofi.grid.resolution) ** 2
        attributed = np.bincount(
            pairs[0], weights=filosofi.population[pairs[1]] * share, minlength=people.shape[0]
        ).astype(np.float64)
        zone = footprint if footprint is not None else filosofi.footprint()
        outside = shapely.difference(shapes, zone)
    remaining = np.maximum(people - attributed, 0.0)
    from_communes, placed = _spread(outside, remaining, grid)
    return PopulationAssignment(
        population=from_filosofi + from_communes,
        from_filosofi=from_filosofi,
        from_communes=from_communes,
        remaining=remaining,
        unplaced=float(remaining.sum() - placed),
    )


def _overlaps(shapes: Any, boxes: Any) -> tuple[IntArray, FloatArray]:
    """Pairs (shape, box) overlapping, as a (2, k) array, and their intersection areas (m²).

    Boxes wholly inside a shape take their own area; only the others are intersected."""
    shapely.prepare(shapes)
    pairs = shapely.STRtree(boxes).query(shapes, predicate="intersects")
    areas = np.asarray(shapely.area(boxes[pairs[1]]), dtype=np.float64)
    partial = ~shapely.contains_properly(shapes[pairs[0]], boxes[pairs[1]])
    if partial.any():
        cut = shapely.intersection(shapes[pairs[0][partial]], boxes[pairs[1][partial]])
        areas[partial] = shapely.area(cut)
    return np.asarray(pairs, dtype=np.int64), areas


def _spread(shapes: Any, amounts: FloatArray, grid: Grid) -> tuple[FloatArray, float]:
    """Each shape's amount over the grid cells by area share of the shape; (per cell, placed)."""
    values = np.zeros(len(grid), dtype=np.float64)
    area = np.asarray(shapely.area(shapes), dtype=np.float64)
    active = (amounts > 0) & (area > 0)
    if not active.any() or len(grid) == 0:
        return values, 0.0
    index = np.flatnonzero(active)
    pairs, overlap = _overlaps(shapes[index], grid.polygons())
    weights = amounts[index][pairs[0]] * overlap / area[index][pairs[0]]
    values += np.bincount(pairs[1], weights=weights, minlength=len(grid))
    return values, float(weights.sum())


def _carry(source: Grid, values: FloatArray, target: Grid) -> FloatArray:
    """Values of ``source`` cells onto ``target`` cells of the same, finer or coarser grid.

    Finer target: a source value is split evenly among its sub-cells; coarser target: source
    values add up. Target cells without a source cell get 0."""
    fine, coarse = sorted((source.resolution, target.resolution))
    if coarse % fine:
        msg = f"Résolutions incompatibles : {source.resolution} m et {target.resolution} m."
        raise ValueError(msg)
    result = np.zeros(len(target), dtype=np.float64)
    if source.resolution >= target.resolution:  # split: each target cell looks up its parent
        parent = _parent_of(target, source.resolution)
        found = source.index_of(parent)
        ratio = (target.resolution / source.resolution) ** 2
        inside = found >= 0
        result[inside] = values[found[inside]] * ratio
        return result
    parent = _parent_of(source, target.resolution)  # aggregate: children add up
    found = target.index_of(parent)
    inside = found >= 0
    np.add.at(result, found[inside], values[inside])
    return result


def _parent_of(grid: Grid, resolution: int) -> FloatArray:
    """Centre of the ``resolution`` cell holding each cell's south-west corner, EPSG:3035."""
    x = (grid.x_sw // resolution) * resolution + resolution / 2.0
    y = (grid.y_sw // resolution) * resolution + resolution / 2.0
    return np.column_stack([x, y]).astype(np.float64)
