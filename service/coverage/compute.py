"""Coverage for the service: from the store and the travel networks to `graph.coverage`.

One request names a category of offer (a family ``garde-enfants``, a kind ``creches-avip`` or
a thematique ``famille--garde-denfants``), a mode, a time budget ``d`` (minutes), zones and a
demand. `compute_coverage` runs these steps, each a short function:

1. **territory** — the communes (polygons, population, town halls) and the open partners, read
   once per store revision (`StoreSnapshot`);
2. **zones** — the communes, or the 1 km INSPIRE cells over them (`geodata.grid.grid_over`)
   with their population from `geodata.grid.areal_population`: Filosofi where a ``filosofi``
   layer was imported, the communes' population spread by area elsewhere. Each zone is
   represented by one point: its town hall (a point inside the commune when unknown), or the
   cell's centre;
3. **demand** — ``population``; ``qpv`` (people living in a QPV: the ``qpv`` layer of
   ``maillage import qpv``); ``ahi`` (places of the hébergement partners in the zone,
   `graph.coverage.ahi_capacity`); or any layer of ``maillage import demand``
   (`service.coverage.layers`);
4. **sites** — the open partners of the category (`graph.coverage.select_sites`: capacity as
   supply, 1 when unknown);
5. **travel** — minutes from each zone's point to every site through `TravelService.matrix`
   (the registered networks — on a street network one bounded search per site over the
   reversed graph, or the contraction hierarchy, for all the zones at once —, straight-line
   estimates elsewhere), kept up to the **search
   horizon** ``max(2 d, 30)`` minutes: ``d`` for the reach, 30 for the E2SFCA's last band,
   ``2 d`` to name the nearest site of a zone that has none within ``d``. Beyond the horizon a
   site counts as unreachable. The pairs go into a `graph.coverage.ReachTable`; whether any is
   an estimate is reported (``estimated``);
6. **indicators**, **gaps** — `graph.coverage.indicators` and `graph.coverage.flag_gaps`.

`compute_isolated` adds the AHI structures with no relation to a SIAE or an employer and
none within ``d`` (`graph.coverage.isolated_ahi`, relations from the ``relation`` table);
`service.coverage.siting.compute_siting` the ``k`` candidates (town halls, commune centroids
or given points) that newly cover the most uncovered demand (`graph.siting.maximal_covering`,
existing sites kept).

Caching
-------
Every result is kept in a `CoverageCache` (an LRU on ``app.state``) under a key that starts
with the store revision (`service.store.snapshot`, bumped by a trigger on every write
to partners, relations, communes and demand layers), then the category, mode, budget, zones,
bounding box, demand, E2SFCA bands and median fraction. The same request at the same revision
is answered from memory; after any write the revision differs, the old entries are dropped and
the next request recomputes. Zones and travel tables are cached too, so a second demand or
fraction over the same zones and sites skips the travel times.

Units: minutes; demand in persons (or the layer's unit); accessibility (2SFCA, E2SFCA) is given
in **places per 1,000 persons** of demand; coordinates EPSG:4326 lon/lat.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely

from geodata.grid import Grid, areal_population, grid_over
from geodata.lru import LRUCache
from graph import vocabulary
from graph.coverage import (
    Category,
    Gap,
    Indicators,
    IsolatedStructure,
    People,
    ReachTable,
    Supply,
    Zones,
    ahi_capacity,
    flag_gaps,
    indicators,
    isolated_ahi,
    isolation_sites,
    select_sites,
    unlinked_ahi,
)
from graph.models import CATEGORY_UNKNOWN
from service.coverage import layers
from service.coverage.parameters import (
    AHI_PEOPLE,
    GRID_RESOLUTION,
    BoolArray,
    FloatArray,
    Spec,
)
from service.errors import InvalidInputError
from service.store.snapshot import LayerInfo, StoreSnapshot
from service.travel import TravelService

# --- the cache -------------------------------------------------------------------------------


class CoverageCache(LRUCache[tuple[Any, ...], Any]):
    """Coverage results by key ``(what, revision, ...)``, for the newest revision seen only.

    `hits` and `misses` count lookups per ``what`` (``coverage``, ``zones``, ``reach``,
    ``isolated``, ``siting``). Two threads asking for the same key compute it once.
    """

    def __init__(self, size: int = 128) -> None:
        super().__init__(size, kind=lambda key: str(key[0]))
        self._revision = -1

    def at(self, territory: StoreSnapshot) -> CoverageCache:
        """Drop results of other revisions when a newer snapshot shows up; returns ``self``."""
        if territory.revision > self._revision:
            self._revision = territory.revision
            self.discard_if(lambda key: key[1] != territory.revision)
        return self


# --- zones -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ZoneSet:
    """The zones of a request: rows of the travel table.

    ``commune_mask`` selects the territory's communes the zones come from (all of them unless
    a bbox was given); ``grid`` is the 1 km grid for cells, ``None`` for communes.
    """

    kind: str
    ids: tuple[str, ...]
    names: tuple[str, ...]
    geometries: Any  # shapely polygons, EPSG:4326
    points: FloatArray  # (n, 2) lon/lat: town hall or cell centre
    population: FloatArray
    commune_mask: BoolArray
    grid: Grid | None

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def geojson(self) -> list[str]:
        """GeoJSON geometries, one text per zone."""
        return [str(text) for text in shapely.to_geojson(self.geometries)]

    def locate(self, lonlat: FloatArray) -> npt.NDArray[np.int64]:
        """Zone index of each point (lon, lat), ``-1`` outside every zone."""
        if self.grid is not None:
            return self.grid.locate(lonlat)
        found = np.full(len(lonlat), -1, dtype=np.int64)
        if len(lonlat) and len(self):
            points = shapely.points(lonlat)
            pairs = shapely.STRtree(self.geometries).query(points, predicate="within")
            found[pairs[0][::-1]] = pairs[1][::-1]  # the first zone when on a boundary
        return found


def zone_set(cache: CoverageCache, territory: StoreSnapshot, spec: Spec) -> ZoneSet:
    key = ("zones", territory.revision, spec.zones, spec.bbox)
    zones: ZoneSet = cache.get_or_compute(key, lambda: _build_zones(territory, spec))
    return zones


def _build_zones(territory: StoreSnapshot, spec: Spec) -> ZoneSet:
    if not territory.codes:
        raise InvalidInputError(
            "Aucune commune chargée : chargez le territoire (maillage territory load "
            "--departement 30) avant de calculer une couverture."
        )
    mask = _commune_mask(territory, spec.bbox)
    if spec.zones == "grid1km":
        return _grid_zones(territory, mask, spec.bbox)
    return ZoneSet(
        kind="communes",
        ids=tuple(np.array(territory.codes)[mask].tolist()),
        names=tuple(np.array(territory.names)[mask].tolist()),
        geometries=territory.geometries[mask],
        points=territory.points[mask],
        population=territory.population[mask],
        commune_mask=mask,
        grid=None,
    )


def _commune_mask(territory: StoreSnapshot, bbox: tuple[float, ...] | None) -> BoolArray:
    if bbox is None:
        return np.ones(len(territory.codes), dtype=bool)
    mask = np.asarray(shapely.intersects(territory.geometries, shapely.box(*bbox)), dtype=bool)
    if not mask.any():
        raise InvalidInputError(
            "bbox : aucune commune du territoire chargé ne touche ce rectangle."
        )
    return mask


def _grid_zones(
    territory: StoreSnapshot, mask: BoolArray, bbox: tuple[float, ...] | None
) -> ZoneSet:
    communes = territory.geometries[mask]
    grid = grid_over(communes, resolution=GRID_RESOLUTION)
    if bbox is not None:
        grid = grid.subset(shapely.intersects(grid.polygons("EPSG:4326"), shapely.box(*bbox)))
    filosofi = _stored_filosofi(territory)
    people = areal_population(grid, list(communes), territory.population[mask], filosofi=filosofi)
    points = grid.centroids("EPSG:4326")
    nearest = shapely.STRtree(communes).query_nearest(shapely.points(points), all_matches=False)
    home = np.zeros(len(grid), dtype=np.int64)
    home[nearest[0]] = nearest[1]
    town = np.array(territory.names)[mask][home]
    names = tuple(
        f"{name} (carreau 1 km N{y // 1000} E{x // 1000})"
        for name, x, y in zip(town.tolist(), grid.x_sw.tolist(), grid.y_sw.tolist(), strict=True)
    )
    return ZoneSet(
        kind="grid1km",
        ids=grid.ids,
        names=names,
        geometries=grid.polygons("EPSG:4326"),
        points=points,
        population=people.population,
        commune_mask=mask,
        grid=grid,
    )


def _stored_filosofi(territory: StoreSnapshot) -> Any:
    info = territory.layers.get(layers.FILOSOFI)
    if info is None:
        return None
    ids, values = territory.layer_values(info)
    return territory.derive(("filosofi",), lambda: layers.filosofi_grid(ids, values))


# --- demand ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Demand:
    """The demand per zone, with its name and the French noun of whom it counts."""

    name: str
    label: str
    people: People
    values: FloatArray
    known: BoolArray | None = None
    """Zones the layer says something about; ``None``: all of them. A grid layer (Filosofi)
    knows the zones that touch the convex hull of its cells; elsewhere its 0 means « no data »,
    and the zone's demand and accessibility are given as unknown."""


def resolve_demand(territory: StoreSnapshot, zones: ZoneSet, name: str) -> Demand:
    """Population, AHI places, or a stored layer, on the zones; 422 in French when unknown."""
    if name == "population":
        return Demand(name, "habitants", People(), zones.population)
    if name == "ahi":
        where = zones.locate(np.array([(s.lon, s.lat) for s in territory.sites]).reshape(-1, 2))
        values = ahi_capacity(territory.sites, where.tolist(), len(zones))
        return Demand(name, "places d'hébergement (AHI)", AHI_PEOPLE, values)
    info = _find_layer(territory, name, zones.kind)
    people = _LAYER_PEOPLE.get(name, People(info.label, info.label))
    ids, stored = territory.layer_values(info)
    codes = np.array(territory.codes)[zones.commune_mask].tolist()
    communes = territory.geometries[zones.commune_mask]
    if zones.grid is None:
        values = layers.onto_communes(info.zone_kind, ids, stored, codes, communes)
    else:
        values = layers.onto_grid(
            info.zone_kind, ids, stored, zones.grid, codes=codes, communes=communes
        )
    known = None
    if info.zone_kind != "commune":
        known = layers.grid_extent(ids, zones.geometries)
    return Demand(name, info.label, people, values, known)


_LAYER_PEOPLE: Final = {layers.CHILDREN: People("enfant de 0 à 3 ans", "enfants de 0 à 3 ans")}
"""The nouns of the layers maillage writes itself, when the label is not one."""

_MISSING: Final = {
    layers.QPV: "aucune couche QPV chargée. Importez les contours et les indicateurs des "
    "quartiers prioritaires : maillage import qpv CONTOURS.geojson --indicators "
    "INDICATEURS.csv.",
    layers.CHILDREN: "aucune population carroyée Filosofi chargée : les enfants de 0 à 3 ans "
    "viennent de ses tranches d'âge. Importez-la : maillage import filosofi FICHIER.csv.",
}
"""Why a demand maillage knows is absent, and how to load it (French)."""


@dataclass(frozen=True, slots=True)
class DemandChoice:
    """A demand a coverage request may name, loaded or not (``reason`` says why not)."""

    name: str
    label: str
    unit: str | None
    available: bool
    reason: str | None = None
    source: str | None = None


def demand_choices(territory: StoreSnapshot) -> list[DemandChoice]:
    """The demands of ``demand=``: population, QPV residents, children aged 0 to 3, AHI places,
    then every other stored layer (a ``NOM_grid1km`` twin of a layer ``NOM`` is the same
    demand on the grid, not another one)."""
    stored = territory.layers

    def known(name: str, label: str, unit: str) -> DemandChoice:
        info = stored.get(name)
        if info is None:
            return DemandChoice(
                name, label, unit, False, reason=_MISSING[name][:1].upper() + _MISSING[name][1:]
            )
        return DemandChoice(name, info.label, info.unit, True, source=info.source)

    choices = [
        DemandChoice("population", "habitants (Insee)", "habitants", True),
        known(layers.QPV, "habitants des quartiers prioritaires (QPV)", "habitants"),
        known(layers.CHILDREN, "enfants de 0 à 3 ans (Filosofi, Insee)", "enfants"),
        DemandChoice("ahi", "places d'hébergement (AHI)", "places", True),
    ]
    listed = {choice.name for choice in choices}
    for name, info in sorted(stored.items()):
        twin = name.endswith(layers.GRID_SUFFIX) and name[: -len(layers.GRID_SUFFIX)] in stored
        if name not in listed and not twin:
            choices.append(DemandChoice(name, info.label, info.unit, True, source=info.source))
    return choices


def _find_layer(territory: StoreSnapshot, name: str, zone_kind: str) -> LayerInfo:
    stored = territory.layers
    if zone_kind == "grid1km" and name + layers.GRID_SUFFIX in stored:
        return stored[name + layers.GRID_SUFFIX]
    if name in stored:
        return stored[name]
    if name in _MISSING:
        raise InvalidInputError(f"demand : {_MISSING[name]}")
    known = ", ".join(["population", "qpv", layers.CHILDREN, "ahi", *sorted(stored)])
    raise InvalidInputError(
        f"demand : demande inconnue, valeurs admises {known} ; une autre couche s'importe "
        "avec maillage import demand FICHIER --layer NOM."
    )


# --- category and sites ----------------------------------------------------------------------


def resolve_category(code: str) -> Category:
    """A family, a kind or a thematique code as a `graph.coverage.Category`; 422 otherwise."""
    if code in vocabulary.families():
        return Category.of_family(code)
    if code in vocabulary.kinds():
        return Category.of_kinds(code)
    if code in vocabulary.thematiques():
        return Category.of_thematique(code)
    raise InvalidInputError(f"category : {CATEGORY_UNKNOWN}")


# --- travel ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Reach:
    """Travel times zones → sites within a horizon, and how they are known."""

    table: ReachTable
    estimated_zone: BoolArray  # a pair of the zone is an estimate
    estimated_pairs: int
    networks: tuple[str, ...]
    notices: tuple[str, ...] = ()  # the timetables' (a departure moved into their validity)
    assumptions: str | None = None  # what the estimated pairs assume, in French

    @property
    def estimated(self) -> bool:
        return self.estimated_pairs > 0

    @property
    def estimated_share(self) -> float:
        return self.estimated_pairs / len(self.table) if len(self.table) else 0.0


_MATRIX_CELLS = 4_000_000
"""Origins × destinations asked of `TravelService.matrix` at once (32 MB of minutes): a 200 m
grid of a département is answered in slices of origins, not as one dense matrix."""


def travel_reach(
    travel: TravelService,
    mode: str,
    origins: FloatArray,
    destinations: FloatArray,
    *,
    horizon: float,
) -> Reach:
    """Minutes from every origin to every destination (lon/lat), pairs ``<= horizon`` kept.

    `TravelService.matrix` answers many origins at once: on a street network, one bounded
    search per destination over the reversed graph (or the contraction hierarchy), not one
    per origin; the same minutes as `TravelService.times` origin by origin.
    """
    n, m = len(origins), len(destinations)
    zones: list[Any] = []
    sites: list[Any] = []
    minutes: list[Any] = []
    estimated = np.zeros(n, dtype=bool)
    pairs_estimated = 0
    networks: set[str] = set()
    notices: dict[str, None] = {}
    assumptions: str | None = None
    step = max(1, _MATRIX_CELLS // max(m, 1))
    for first in range(0, n if m else 0, step):
        found = travel.matrix(
            mode, origins[first : first + step], destinations, max_minutes=horizon
        )
        rows, cols = np.nonzero(found.minutes <= horizon)
        flagged = found.estimated[rows, cols]
        zones.append(rows + first)
        sites.append(cols)
        minutes.append(found.minutes[rows, cols])
        pairs_estimated += int(np.count_nonzero(flagged))
        estimated[rows[flagged] + first] = True
        networks.update(found.networks)
        notices.update(dict.fromkeys(found.notices))
        if assumptions is None and flagged.any():
            lon, lat = origins[first + rows[flagged][0]]
            assumptions = travel.assumptions(mode, float(lon), float(lat))
    table = ReachTable.from_pairs(
        np.concatenate(zones) if zones else np.zeros(0, dtype=np.int64),
        np.concatenate(sites) if sites else np.zeros(0, dtype=np.int64),
        np.concatenate(minutes) if minutes else np.zeros(0),
        shape=(n, m),
    )
    return Reach(
        table, estimated, pairs_estimated, tuple(sorted(networks)), tuple(notices), assumptions
    )


# --- coverage --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Indicators and gaps of one `Spec` at one store revision."""

    spec: Spec
    revision: int
    category: Category
    zones: ZoneSet
    demand: Demand
    supply: Supply
    reach: Reach
    indicators: Indicators
    gaps: tuple[Gap, ...]

    @cached_property
    def gap_of_zone(self) -> dict[str, Gap]:
        return {gap.zone_id: gap for gap in self.gaps}


def compute_coverage(
    territory: StoreSnapshot, cache: CoverageCache, travel: TravelService, spec: Spec
) -> CoverageResult:
    """Indicators and ranked gaps for ``spec``, from the cache when already computed."""
    category = resolve_category(spec.category)
    cache = cache.at(territory)
    key = ("coverage", territory.revision, spec)
    result: CoverageResult = cache.get_or_compute(
        key,
        lambda: _coverage(cache, travel, territory=territory, spec=spec, category=category),
    )
    return result


def _coverage(
    cache: CoverageCache,
    travel: TravelService,
    *,
    territory: StoreSnapshot,
    spec: Spec,
    category: Category,
) -> CoverageResult:
    zones = zone_set(cache, territory, spec)
    demand = resolve_demand(territory, zones, spec.demand)
    supply = select_sites(territory.sites, category)
    reach = _site_reach(cache, travel, territory=territory, spec=spec, zones=zones, supply=supply)
    found = indicators(
        reach.table,
        demand.values,
        supply.weights,
        max_minutes=spec.max_minutes,
        bands=spec.bands,
    )
    gaps = flag_gaps(
        Zones(zones.ids, zones.names, demand.people),
        found,
        supply=supply,
        mode=spec.mode,
        median_fraction=spec.median_fraction,
    )
    return CoverageResult(
        spec, territory.revision, category, zones, demand, supply, reach, found, tuple(gaps)
    )


def _site_reach(
    cache: CoverageCache,
    travel: TravelService,
    *,
    territory: StoreSnapshot,
    spec: Spec,
    zones: ZoneSet,
    supply: Supply,
) -> Reach:
    key = ("reach", territory.revision, spec.category, spec.mode, spec.zones, spec.bbox,
           spec.search_minutes)  # fmt: skip
    reach: Reach = cache.get_or_compute(
        key,
        lambda: travel_reach(
            travel, spec.mode, zones.points, supply.lonlat, horizon=spec.search_minutes
        ),
    )
    return reach


# --- isolated AHI structures -----------------------------------------------------------------


def compute_isolated(
    territory: StoreSnapshot, cache: CoverageCache, travel: TravelService, spec: Spec
) -> tuple[IsolatedStructure, ...]:
    """AHI structures with no relation to a SIAE or employer and none within the budget."""
    cache = cache.at(territory)
    key = ("isolated", territory.revision, spec.mode, spec.max_minutes)
    found: tuple[IsolatedStructure, ...] = cache.get_or_compute(
        key, lambda: _isolated(travel, territory, spec)
    )
    if spec.bbox is None:
        return found
    west, south, east, north = spec.bbox
    sites = territory.site_by_id
    return tuple(
        s for s in found if west <= sites[s.id].lon <= east and south <= sites[s.id].lat <= north
    )


def count_unlinked(territory: StoreSnapshot, spec: Spec) -> int:
    """How many AHI structures (within the bbox when given) have no relation to an employment
    actor, whatever the distance (`graph.coverage.unlinked_ahi`)."""
    found = unlinked_ahi(territory.sites, territory.relation_pairs)
    if spec.bbox is None:
        return len(found)
    west, south, east, north = spec.bbox
    return sum(1 for s in found if west <= s.lon <= east and south <= s.lat <= north)


def _isolated(
    travel: TravelService, territory: StoreSnapshot, spec: Spec
) -> tuple[IsolatedStructure, ...]:
    ahi, employers = isolation_sites(territory.sites)
    reach = travel_reach(
        travel,
        spec.mode,
        np.array([(s.lon, s.lat) for s in ahi], dtype=np.float64).reshape(-1, 2),
        np.array([(s.lon, s.lat) for s in employers], dtype=np.float64).reshape(-1, 2),
        horizon=spec.search_minutes,
    )
    return tuple(
        isolated_ahi(
            territory.sites,
            territory.relation_pairs,
            reach.table,
            budget=spec.max_minutes,
            mode=spec.mode,
        )
    )
