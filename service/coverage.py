"""Coverage for the service: from the store and the travel networks to `graph.coverage`.

One request names a category of offer (a family ``garde-enfants``, a kind ``creches-avip`` or
a thematique ``famille--garde-denfants``), a mode, a time budget ``d`` (minutes), zones and a
demand. `compute_coverage` runs these steps, each a short function:

1. **territory** — the communes (polygons, population, town halls) and the open partners, read
   once per store revision (`Territory`);
2. **zones** — the communes, or the 1 km INSPIRE cells over them (`geodata.grid.grid_over`)
   with their population from `geodata.grid.areal_population`: Filosofi where a ``filosofi``
   layer was imported, the communes' population spread by area elsewhere. Each zone is
   represented by one point: its town hall (a point inside the commune when unknown), or the
   cell's centre;
3. **demand** — ``population``; ``qpv`` (people living in a QPV: the ``qpv`` layer of
   ``maillage import qpv``); ``ahi`` (places of the hébergement partners in the zone,
   `graph.coverage.ahi_capacity`); or any layer of ``maillage import demand`` (`service.demand`);
4. **sites** — the open partners of the category (`graph.coverage.select_sites`: capacity as
   supply, 1 when unknown);
5. **travel** — minutes from each zone's point to every site through `TravelService.times`
   (the registered networks, straight-line estimates elsewhere), kept up to the **search
   horizon** ``max(2 d, 30)`` minutes: ``d`` for the reach, 30 for the E2SFCA's last band,
   ``2 d`` to name the nearest site of a zone that has none within ``d``. Beyond the horizon a
   site counts as unreachable. The pairs go into a `graph.coverage.ReachTable`; whether any is
   an estimate is reported (``estimated``);
6. **indicators**, **gaps** — `graph.coverage.indicators` and `graph.coverage.flag_gaps`.

`compute_isolated` adds the AHI structures with no relation to a SIAE or an employer and
none within ``d`` (`graph.coverage.isolated_ahi`, relations from the ``relation`` table);
`compute_siting` the ``k`` candidates (town halls, commune centroids or given points) that
newly cover the most uncovered demand (`graph.siting.maximal_covering`, existing sites kept).

Caching
-------
Every result is kept in a `CoverageCache` (an LRU on ``app.state``) under a key that starts
with the store revision (`service.matching.store_revision`, bumped by a trigger on every write
to partners, relations, communes and demand layers), then the category, mode, budget, zones,
bounding box, demand, E2SFCA bands and median fraction. The same request at the same revision
is answered from memory; after any write the revision differs, the old entries are dropped and
the next request recomputes. Zones and travel tables are cached too, so a second demand or
fraction over the same zones and sites skips the travel times.

Units: minutes; demand in persons (or the layer's unit); accessibility (2SFCA, E2SFCA) is given
in **places per 1,000 persons** of demand; coordinates EPSG:4326 lon/lat.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geodata.grid import Grid, areal_population, grid_over
from graph import vocabulary
from graph.coverage import (
    E2SFCA_BANDS,
    Category,
    Gap,
    GapKind,
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
)
from graph.siting import Siting, maximal_covering
from service import demand as layers
from service.errors import InvalidInputError
from service.matching import store_revision
from service.tables import Commune, Partner, Relation
from service.travel import TravelService

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_COVERAGE_MINUTES: Final = 120.0
MAX_CANDIDATES: Final = 2_000
MAX_SITES: Final = 20
PER_THOUSAND: Final = 1000.0
ACCESSIBILITY_UNIT: Final = "places pour 1 000 personnes de la demande"

TravelMode = Literal["walk", "bike", "car", "transit"]
ZoneChoice = Literal["communes", "grid1km"]

_GRID_RESOLUTION: Final = 1000
_AHI_PEOPLE: Final = People("personne hébergée", "personnes hébergées")
_DEMAND_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"


# --- requests --------------------------------------------------------------------------------


def _split_floats(value: Any) -> Any:
    """``bbox=4.0,43.9,4.2,44.2`` (one text) or repeated values."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    parts = [p.strip() for item in items for p in str(item).split(",") if p.strip()]
    return parts or None


BBox = Annotated[list[float] | None, BeforeValidator(_split_floats)]


def _check_bbox(bbox: list[float] | None) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    if len(bbox) != 4 or not all(math.isfinite(v) for v in bbox):
        raise ValueError("bbox : quatre nombres attendus, lon_min,lat_min,lon_max,lat_max")
    west, south, east, north = bbox
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError("bbox : lon_min < lon_max (entre -180 et 180), lat_min < lat_max (±90)")
    return west, south, east, north


class CoverageParams(BaseModel):
    """Quelle offre, pour quelle demande, par quel mode et en combien de minutes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: str = Field(
        min_length=1,
        max_length=120,
        description="famille (garde-enfants), type d'acteur (creches-avip) ou thématique "
        "data·inclusion (famille--garde-denfants) : voir /v1/reference",
    )
    mode: TravelMode = Field(
        description="walk : à pied, bike : à vélo, car : en voiture, transit : transports en commun"
    )
    max_minutes: float = Field(
        gt=0,
        le=MAX_COVERAGE_MINUTES,
        allow_inf_nan=False,
        description="budget de temps de trajet, en minutes (120 au plus)",
    )
    zones: ZoneChoice = Field(
        "communes",
        description="communes : les communes du territoire chargé ; grid1km : carreaux INSPIRE "
        "de 1 km (EPSG:3035) couvrant ces communes",
    )
    demand: str = Field(
        "population",
        pattern=_DEMAND_NAME,
        description="population (défaut) ; qpv : habitants des QPV (maillage import qpv) ; "
        "ahi : places des structures d'hébergement ; ou le nom d'une couche importée "
        "(maillage import demand FICHIER --layer NOM)",
    )
    median_fraction: float = Field(
        0.5,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="offre faible : accessibilité E2SFCA sous cette fraction de la médiane du "
        "territoire (0,5 par défaut ; 0 : pas de signalement d'offre faible)",
    )
    bbox: BBox = Field(
        None,
        description="seulement les zones qui touchent ce rectangle : lon_min,lat_min,lon_max,"
        "lat_max (EPSG:4326) ; la médiane est alors celle de ces zones",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_bbox(self.bbox)
        return self

    def spec(self) -> Spec:
        return Spec(
            category=self.category,
            mode=self.mode,
            max_minutes=float(self.max_minutes),
            zones=self.zones,
            demand=self.demand,
            median_fraction=float(self.median_fraction),
            bbox=_check_bbox(self.bbox),
        )


class CoverageQuery(CoverageParams):
    format: Literal["geojson", "csv", "gpkg"] = Field(
        "geojson",
        description="geojson (défaut), csv (séparateur « ; », UTF-8 avec BOM) ou gpkg "
        "(GeoPackage) : tous s'ouvrent dans QGIS",
    )


class GapsQuery(CoverageParams):
    format: Literal["json", "csv"] = Field("json", description="json (défaut) ou csv")
    kind: GapKind | None = Field(
        None,
        description="seulement ce type de manque : aucun-site-atteignable ou offre-faible",
    )
    limit: int = Field(1000, ge=1, le=20_000, description="nombre de manques rendus, au plus")


class CandidatePoint(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude WGS84, degrés")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude WGS84, degrés")
    label: str | None = Field(None, max_length=200, description="nom du lieu proposé")


class SitingRequest(BaseModel):
    """Où ouvrir ``k`` sites d'une catégorie pour couvrir le plus de demande non couverte."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: str = Field(min_length=1, max_length=120, description="comme pour /v1/coverage")
    mode: TravelMode = Field(description="walk, bike, car ou transit")
    max_minutes: float = Field(
        gt=0,
        le=MAX_COVERAGE_MINUTES,
        allow_inf_nan=False,
        description="budget de temps : un site couvre les zones à moins de ces minutes",
    )
    k: int = Field(ge=1, le=MAX_SITES, description="nombre de sites à proposer (1 à 20)")
    candidates: Literal["town_halls", "centroids"] | list[CandidatePoint] = Field(
        "town_halls",
        description="town_halls : mairies des communes ; centroids : centres des communes ; "
        "ou une liste de points {lat, lon, label} (2 000 au plus)",
    )
    zones: ZoneChoice = Field("communes", description="communes ou grid1km")
    demand: str = Field("population", pattern=_DEMAND_NAME, description="comme pour /v1/coverage")
    bbox: BBox = Field(None, description="comme pour /v1/coverage")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_bbox(self.bbox)
        if isinstance(self.candidates, list) and not 1 <= len(self.candidates) <= MAX_CANDIDATES:
            raise ValueError(f"candidates : de 1 à {MAX_CANDIDATES} points")
        return self

    def spec(self) -> Spec:
        return Spec(
            category=self.category,
            mode=self.mode,
            max_minutes=float(self.max_minutes),
            zones=self.zones,
            demand=self.demand,
            median_fraction=0.5,
            bbox=_check_bbox(self.bbox),
        )


@dataclass(frozen=True, slots=True)
class Spec:
    """One coverage question; hashable, it is (with the revision) the cache key."""

    category: str
    mode: str
    max_minutes: float
    zones: str
    demand: str
    median_fraction: float
    bbox: tuple[float, float, float, float] | None
    bands: tuple[tuple[float, float], ...] = E2SFCA_BANDS

    @property
    def search_minutes(self) -> float:
        """The travel-time horizon: ``max(2 d, last E2SFCA bound)`` minutes."""
        return max(2.0 * self.max_minutes, self.bands[-1][0])


# --- the territory at one revision -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Site:
    """An open partner as coverage sees it (`graph.coverage.SiteRecord`)."""

    id: str
    name: str
    kind: str
    lon: float
    lat: float
    thematiques: tuple[str, ...]
    capacity: int | None


@dataclass(frozen=True, eq=False)
class Territory:
    """Communes and open partners at one store revision, in code INSEE and id order."""

    revision: int
    codes: tuple[str, ...]
    names: tuple[str, ...]
    population: FloatArray
    geometries: Any  # numpy array of shapely (Multi)Polygons, EPSG:4326
    points: FloatArray  # town halls (a point inside the commune when unknown), (n, 2) lon/lat
    sites: tuple[Site, ...]
    relations: tuple[tuple[str, str], ...]

    @cached_property
    def site_by_id(self) -> dict[str, Site]:
        return {site.id: site for site in self.sites}


def build_territory(session: Session, revision: int) -> Territory:
    """Read the communes, the open partners and the relations once."""
    point = func.coalesce(Commune.town_hall, func.ST_PointOnSurface(Commune.geom))
    communes = session.execute(
        select(
            Commune.code_insee,
            Commune.name,
            Commune.population,
            func.ST_AsBinary(Commune.geom),
            func.ST_X(point),
            func.ST_Y(point),
        )
        .where(Commune.geom.is_not(None))
        .order_by(Commune.code_insee)
    ).all()
    partners = session.execute(
        select(
            Partner.id,
            Partner.name,
            Partner.kind,
            func.ST_X(Partner.geom),
            func.ST_Y(Partner.geom),
            Partner.thematiques,
            Partner.capacity,
        )
        .where(Partner.status == "open")
        .order_by(Partner.id)
    ).all()
    pairs = session.execute(select(Relation.source_partner_id, Relation.target_partner_id))
    return Territory(
        revision=revision,
        codes=tuple(row[0] for row in communes),
        names=tuple(row[1] for row in communes),
        population=np.array([float(row[2]) for row in communes], dtype=np.float64),
        geometries=shapely.from_wkb([bytes(row[3]) for row in communes])
        if communes
        else np.array([], dtype=object),
        points=np.array([(row[4], row[5]) for row in communes], dtype=np.float64).reshape(-1, 2),
        sites=tuple(
            Site(str(i), name, kind, float(x), float(y), tuple(themes or ()), capacity)
            for i, name, kind, x, y, themes, capacity in partners
        ),
        relations=tuple((str(s), str(t)) for s, t in pairs),
    )


# --- the cache -------------------------------------------------------------------------------


class CoverageCache:
    """Coverage results by key, for the current store revision only (an LRU, thread-safe).

    Keys are ``(what, revision, ...)``. `hits` and `misses` count lookups per ``what``
    (``coverage``, ``zones``, ``reach``, ``isolated``, ``siting``). Two threads asking for the
    same key compute it once.
    """

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._territory: Territory | None = None
        self._territory_lock = threading.Lock()

    def territory(self, session: Session) -> Territory:
        """The territory at the store's current revision, rebuilt when it has moved."""
        revision = store_revision(session)
        current = self._territory
        if current is not None and current.revision == revision:
            return current
        with self._territory_lock:
            current = self._territory
            if current is None or current.revision != revision:
                current = build_territory(session, revision)
                self._territory = current
                self._forget_other_revisions(revision)
        return current

    def get_or_compute(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        what = str(key[0])
        with self._lock:
            if key in self._data:
                self.hits[what] += 1
                self._data.move_to_end(key)
                return self._data[key]
            pending = self._pending.setdefault(key, threading.Lock())
        with pending:
            with self._lock:
                if key in self._data:
                    self.hits[what] += 1
                    return self._data[key]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._pending.pop(key, None)
            with self._lock:
                self.misses[what] += 1
                self._data[key] = value
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._data)

    def _forget_other_revisions(self, revision: int) -> None:
        with self._lock:
            for key in [k for k in self._data if isinstance(k, tuple) and k[1] != revision]:
                del self._data[key]


_STATE_LOCK = threading.Lock()


def cache_of(state: Any) -> CoverageCache:
    """The application's `CoverageCache` (``app.state.coverage``), created on first use."""
    cache = getattr(state, "coverage", None)
    if cache is None:
        with _STATE_LOCK:
            cache = getattr(state, "coverage", None)
            if cache is None:
                cache = CoverageCache()
                state.coverage = cache
    assert isinstance(cache, CoverageCache)
    return cache


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


def zone_set(session: Session, cache: CoverageCache, territory: Territory, spec: Spec) -> ZoneSet:
    key = ("zones", territory.revision, spec.zones, spec.bbox)
    zones: ZoneSet = cache.get_or_compute(key, lambda: _build_zones(session, territory, spec))
    return zones


def _build_zones(session: Session, territory: Territory, spec: Spec) -> ZoneSet:
    if not territory.codes:
        raise InvalidInputError(
            "Aucune commune chargée : chargez le territoire (maillage territory load "
            "--departement 30) avant de calculer une couverture."
        )
    mask = _commune_mask(territory, spec.bbox)
    if spec.zones == "grid1km":
        return _grid_zones(session, territory, mask, spec.bbox)
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


def _commune_mask(territory: Territory, bbox: tuple[float, ...] | None) -> BoolArray:
    if bbox is None:
        return np.ones(len(territory.codes), dtype=bool)
    mask = np.asarray(shapely.intersects(territory.geometries, shapely.box(*bbox)), dtype=bool)
    if not mask.any():
        raise InvalidInputError(
            "bbox : aucune commune du territoire chargé ne touche ce rectangle."
        )
    return mask


def _grid_zones(
    session: Session, territory: Territory, mask: BoolArray, bbox: tuple[float, ...] | None
) -> ZoneSet:
    communes = territory.geometries[mask]
    grid = grid_over(communes, resolution=_GRID_RESOLUTION)
    if bbox is not None:
        grid = grid.subset(shapely.intersects(grid.polygons("EPSG:4326"), shapely.box(*bbox)))
    filosofi = _stored_filosofi(session)
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


def _stored_filosofi(session: Session) -> Any:
    info = layers.list_layers(session).get(layers.FILOSOFI)
    if info is None:
        return None
    ids, values = layers.layer_values(session, info)
    return layers.filosofi_grid(ids, values)


# --- demand ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Demand:
    """The demand per zone, with its name and the French noun of whom it counts."""

    name: str
    label: str
    people: People
    values: FloatArray


def resolve_demand(session: Session, territory: Territory, zones: ZoneSet, name: str) -> Demand:
    """Population, AHI places, or a stored layer, on the zones; 422 in French when unknown."""
    if name == "population":
        return Demand(name, "habitants", People(), zones.population)
    if name == "ahi":
        where = zones.locate(np.array([(s.lon, s.lat) for s in territory.sites]).reshape(-1, 2))
        values = ahi_capacity(territory.sites, where.tolist(), len(zones))
        return Demand(name, "places d'hébergement (AHI)", _AHI_PEOPLE, values)
    info = _find_layer(session, name, zones.kind)
    ids, stored = layers.layer_values(session, info)
    codes = np.array(territory.codes)[zones.commune_mask].tolist()
    communes = territory.geometries[zones.commune_mask]
    if zones.grid is None:
        values = layers.onto_communes(info.zone_kind, ids, stored, codes, communes)
    else:
        values = layers.onto_grid(
            info.zone_kind, ids, stored, zones.grid, codes=codes, communes=communes
        )
    return Demand(name, info.label, People(info.label, info.label), values)


def _find_layer(session: Session, name: str, zone_kind: str) -> layers.LayerInfo:
    stored = layers.list_layers(session)
    if zone_kind == "grid1km" and name + layers.GRID_SUFFIX in stored:
        return stored[name + layers.GRID_SUFFIX]
    if name in stored:
        return stored[name]
    if name == layers.QPV:
        raise InvalidInputError(
            "Demande « qpv » indisponible : aucune couche QPV chargée. Importez les contours et "
            "les indicateurs des quartiers prioritaires : maillage import qpv "
            "CONTOURS.geojson --indicators INDICATEURS.csv."
        )
    known = ", ".join(["population", "qpv", "ahi", *sorted(stored)])
    raise InvalidInputError(
        f"Demande inconnue « {name} » : valeurs possibles {known} ; une autre couche s'importe "
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
    raise InvalidInputError(
        f"Catégorie inconnue « {code} » : donnez une famille (ex. garde-enfants), un type "
        "d'acteur (ex. creches-avip) ou une thématique (ex. famille--garde-denfants) ; "
        "listes : /v1/reference/families, /v1/reference/kinds, /v1/reference/thematiques."
    )


# --- travel ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Reach:
    """Travel times zones → sites within a horizon, and how they are known."""

    table: ReachTable
    estimated_zone: BoolArray  # a pair of the zone is a straight-line estimate
    estimated_pairs: int
    networks: tuple[str, ...]

    @property
    def estimated(self) -> bool:
        return self.estimated_pairs > 0

    @property
    def estimated_share(self) -> float:
        return self.estimated_pairs / len(self.table) if len(self.table) else 0.0


def travel_reach(
    travel: TravelService,
    mode: str,
    origins: FloatArray,
    destinations: FloatArray,
    *,
    horizon: float,
) -> Reach:
    """Minutes from every origin to every destination (lon/lat), pairs ``<= horizon`` kept."""
    n, m = len(origins), len(destinations)
    zones: list[Any] = []
    sites: list[Any] = []
    minutes: list[Any] = []
    estimated = np.zeros(n, dtype=bool)
    pairs_estimated = 0
    networks: set[str] = set()
    for i, (lon, lat) in enumerate(origins.tolist() if m else []):
        result = travel.times(mode, lon, lat, destinations, max_minutes=horizon)
        keep = np.flatnonzero(result.minutes <= horizon)
        zones.append(np.full(keep.size, i, dtype=np.int64))
        sites.append(keep)
        minutes.append(result.minutes[keep])
        flagged = int(np.count_nonzero(result.estimated[keep]))
        pairs_estimated += flagged
        estimated[i] = flagged > 0
        if result.network is not None:
            networks.add(result.network)
    table = ReachTable.from_pairs(
        np.concatenate(zones) if zones else np.zeros(0, dtype=np.int64),
        np.concatenate(sites) if sites else np.zeros(0, dtype=np.int64),
        np.concatenate(minutes) if minutes else np.zeros(0),
        shape=(n, m),
    )
    return Reach(table, estimated, pairs_estimated, tuple(sorted(networks)))


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
    session: Session, cache: CoverageCache, travel: TravelService, spec: Spec
) -> CoverageResult:
    """Indicators and ranked gaps for ``spec``, from the cache when already computed."""
    category = resolve_category(spec.category)
    territory = cache.territory(session)
    key = ("coverage", territory.revision, spec)
    result: CoverageResult = cache.get_or_compute(
        key,
        lambda: _coverage(
            session, cache, travel, territory=territory, spec=spec, category=category
        ),
    )
    return result


def _coverage(
    session: Session,
    cache: CoverageCache,
    travel: TravelService,
    *,
    territory: Territory,
    spec: Spec,
    category: Category,
) -> CoverageResult:
    zones = zone_set(session, cache, territory, spec)
    demand = resolve_demand(session, territory, zones, spec.demand)
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
    territory: Territory,
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
    session: Session, cache: CoverageCache, travel: TravelService, spec: Spec
) -> tuple[IsolatedStructure, ...]:
    """AHI structures with no relation to a SIAE or employer and none within the budget."""
    territory = cache.territory(session)
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


def _isolated(
    travel: TravelService, territory: Territory, spec: Spec
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
            territory.relations,
            reach.table,
            budget=spec.max_minutes,
            mode=spec.mode,
        )
    )


# --- siting ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate locations: what they are, their labels, communes and points (lon/lat)."""

    kind: str
    labels: tuple[str, ...]
    codes: tuple[str | None, ...]
    lonlat: FloatArray

    def digest(self) -> str:
        text = json.dumps([self.kind, self.labels, self.lonlat.round(7).tolist()])
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, eq=False)
class SitingResult:
    base: CoverageResult
    candidates: Candidates
    siting: Siting
    reach: Reach
    k: int


def compute_siting(
    session: Session, cache: CoverageCache, travel: TravelService, request: SitingRequest
) -> SitingResult:
    """MCLP for the request's category, with the existing sites kept (`maximal_covering`)."""
    spec = request.spec()
    base = compute_coverage(session, cache, travel, spec)
    territory = cache.territory(session)
    candidates = _candidates(territory, base.zones, request.candidates)
    key = ("siting", base.revision, spec, request.k, candidates.digest())
    result: SitingResult = cache.get_or_compute(
        key, lambda: _siting(travel, base, candidates, request.k)
    )
    return result


def _candidates(
    territory: Territory, zones: ZoneSet, choice: str | Sequence[CandidatePoint]
) -> Candidates:
    names = np.array(territory.names)[zones.commune_mask].tolist()
    codes = np.array(territory.codes)[zones.commune_mask].tolist()
    if choice == "town_halls":
        points = territory.points[zones.commune_mask]
        labels = tuple(f"Mairie {_of(name)}" for name in names)
        return Candidates("town_halls", labels, tuple(codes), points)
    if choice == "centroids":
        polygons = territory.geometries[zones.commune_mask]
        centres = shapely.centroid(polygons)
        outside = ~shapely.contains(polygons, centres)
        centres[outside] = shapely.point_on_surface(polygons[outside])
        labels = tuple(f"Centre {_of(name)}" for name in names)
        return Candidates("centroids", labels, tuple(codes), shapely.get_coordinates(centres))
    assert not isinstance(choice, str)
    labels = tuple(p.label or f"Point {i + 1}" for i, p in enumerate(choice))
    points = np.array([(p.lon, p.lat) for p in choice], dtype=np.float64)
    return Candidates("points", labels, tuple(None for _ in choice), points)


def _siting(
    travel: TravelService, base: CoverageResult, candidates: Candidates, k: int
) -> SitingResult:
    spec = base.spec
    reach = travel_reach(
        travel, spec.mode, base.zones.points, candidates.lonlat, horizon=spec.max_minutes
    )
    siting = maximal_covering(
        reach.table,
        base.indicators.demand,
        max_minutes=spec.max_minutes,
        k=k,
        covered_already=base.indicators.share.covered,
    )
    return SitingResult(base, candidates, siting, reach, k)


def _of(name: str) -> str:
    """« de » + a commune name, elided or contracted (« d'Alès », « du Vigan »)."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    return ("d'" if name[:1] in "AEIOUYÂÉÈÊÎÔÛaeiouyâéèêîôû" else "de ") + name


# --- responses -------------------------------------------------------------------------------


class CoverageMetadata(BaseModel):
    """De quoi parle un calcul de couverture, et quelle confiance lui accorder."""

    category: str
    category_label: str = Field(description="nom français des sites de la catégorie")
    mode: str
    max_minutes: float
    zones: str
    zone_count: int
    demand: str
    demand_label: str
    sites: int = Field(description="sites ouverts de la catégorie")
    sites_with_capacity: int = Field(description="sites dont la capacité est publiée")
    demand_total: float
    demand_covered: float = Field(description="demande des zones qui atteignent un site")
    share_covered: float | None = Field(description="part de la demande couverte, 0 à 1")
    median_e2sfca: float | None = Field(
        description="accessibilité E2SFCA de la personne médiane (places pour 1 000)"
    )
    accessibility_unit: str = ACCESSIBILITY_UNIT
    e2sfca_bands: list[tuple[float, float]] = Field(description="(borne en minutes, poids)")
    median_fraction: float
    search_minutes: float = Field(
        description="horizon de recherche du site le plus proche, en minutes"
    )
    gap_count: int
    estimated: bool = Field(description="au moins un temps est une estimation à vol d'oiseau")
    estimated_share: float = Field(description="part des trajets estimés à vol d'oiseau")
    networks: list[str] = Field(description="réseaux de déplacement utilisés")
    bbox: list[float] | None
    revision: int = Field(description="révision de la base à laquelle le calcul a été fait")


class GapItem(BaseModel):
    rank: int
    zone_id: str
    zone_name: str
    kind: GapKind
    severity: float = Field(description="0 à 1 : aucun site atteignable ≥ 0,5 ; offre faible ≤ 0,5")
    people_affected: float = Field(description="demande de la zone")
    nearest_site_id: str | None
    nearest_site_name: str | None
    nearest_minutes: float | None
    e2sfca: float = Field(description="accessibilité de la zone, places pour 1 000")
    threshold: float = Field(description="seuil d'offre faible, places pour 1 000")
    lon: float
    lat: float
    message: str


class IsolatedItem(BaseModel):
    id: str
    name: str
    kind: str
    lon: float
    lat: float
    nearest_id: str | None
    nearest_name: str | None
    nearest_minutes: float | None
    message: str


class GapsResponse(BaseModel):
    items: list[GapItem]
    total: int = Field(description="nombre de manques avant la limite")
    isolated_ahi: list[IsolatedItem] = Field(
        description="structures AHI sans relation avec une SIAE ou un employeur, et sans "
        "aucun à portée"
    )
    metadata: CoverageMetadata


class SitedZone(BaseModel):
    id: str
    name: str
    demand: float


class SitedSite(BaseModel):
    rank: int
    candidate: int = Field(description="indice du candidat (ordre des candidats)")
    label: str
    code_insee: str | None
    lon: float
    lat: float
    newly_covered: float = Field(description="demande nouvellement couverte par ce site")
    zones: list[SitedZone]


class SitingTotals(BaseModel):
    demand_total: float
    covered_before: float
    newly_covered: float
    covered_after: float
    uncovered_after: float
    unreachable: float = Field(description="demande qu'aucun candidat n'atteint dans le budget")
    share_before: float | None
    share_after: float | None


class SitingResponse(BaseModel):
    sites: list[SitedSite]
    totals: SitingTotals
    optimal: bool = Field(description="optimum prouvé (programme linéaire en nombres entiers)")
    bound: float = Field(description="borne supérieure de la demande nouvellement couvrable")
    candidates: str
    candidate_count: int
    k: int
    metadata: CoverageMetadata


def metadata(result: CoverageResult) -> CoverageMetadata:
    ind = result.indicators
    median = _median(ind.e2sfca.access, ind.demand)
    return CoverageMetadata(
        category=result.category.code,
        category_label=result.category.plural,
        mode=result.spec.mode,
        max_minutes=result.spec.max_minutes,
        zones=result.zones.kind,
        zone_count=len(result.zones),
        demand=result.demand.name,
        demand_label=result.demand.label,
        sites=len(result.supply),
        sites_with_capacity=int(result.supply.capacity_known.sum()),
        demand_total=_round(ind.share.demand_total, 2),
        demand_covered=_round(ind.share.demand_within, 2),
        share_covered=None if ind.share.share is None else _round(ind.share.share, 4),
        median_e2sfca=None if median is None else _round(PER_THOUSAND * median, 4),
        e2sfca_bands=list(result.spec.bands),
        median_fraction=result.spec.median_fraction,
        search_minutes=result.spec.search_minutes,
        gap_count=len(result.gaps),
        estimated=result.reach.estimated,
        estimated_share=_round(result.reach.estimated_share, 4),
        networks=list(result.reach.networks),
        bbox=list(result.spec.bbox) if result.spec.bbox else None,
        revision=result.revision,
    )


def _median(values: FloatArray, weights: FloatArray) -> float | None:
    from graph.coverage import weighted_median

    median = weighted_median(values, weights)
    return None if math.isnan(median) else median


def gap_items(result: CoverageResult, kind: str | None, limit: int) -> tuple[list[GapItem], int]:
    """The ranked gaps (of one kind when given), the first ``limit``, and how many there are."""
    gaps = [g for g in result.gaps if kind is None or g.kind == kind]
    index = {zone: i for i, zone in enumerate(result.zones.ids)}
    items = []
    for rank, gap in enumerate(gaps[:limit], start=1):
        lon, lat = result.zones.points[index[gap.zone_id]].tolist()
        items.append(
            GapItem(
                rank=rank,
                zone_id=gap.zone_id,
                zone_name=gap.zone_name,
                kind=gap.kind,
                severity=_round(gap.severity, 4),
                people_affected=_round(gap.population, 2),
                nearest_site_id=gap.nearest_site_id,
                nearest_site_name=gap.nearest_site_name,
                nearest_minutes=_minutes(gap.nearest_minutes),
                e2sfca=_round(PER_THOUSAND * gap.accessibility, 4),
                threshold=_round(PER_THOUSAND * gap.threshold, 4),
                lon=lon,
                lat=lat,
                message=gap.message,
            )
        )
    return items, len(gaps)


def isolated_items(found: Sequence[IsolatedStructure], territory: Territory) -> list[IsolatedItem]:
    sites = territory.site_by_id
    return [
        IsolatedItem(
            id=s.id,
            name=s.name,
            kind=s.kind,
            lon=sites[s.id].lon,
            lat=sites[s.id].lat,
            nearest_id=s.nearest_id,
            nearest_name=s.nearest_name,
            nearest_minutes=_minutes(s.nearest_minutes),
            message=s.message,
        )
        for s in found
    ]


def siting_response(result: SitingResult) -> SitingResponse:
    base, siting, candidates = result.base, result.siting, result.candidates
    zones, demand = base.zones, base.indicators.demand
    sites = [
        SitedSite(
            rank=rank,
            candidate=chosen.candidate,
            label=candidates.labels[chosen.candidate],
            code_insee=candidates.codes[chosen.candidate],
            lon=float(candidates.lonlat[chosen.candidate, 0]),
            lat=float(candidates.lonlat[chosen.candidate, 1]),
            newly_covered=_round(chosen.newly_covered, 2),
            zones=[
                SitedZone(id=zones.ids[z], name=zones.names[z], demand=_round(demand[z], 2))
                for z in chosen.zones.tolist()
            ],
        )
        for rank, chosen in enumerate(siting.sites, start=1)
    ]
    total = siting.total_demand
    after = siting.covered_before + siting.newly_covered
    return SitingResponse(
        sites=sites,
        totals=SitingTotals(
            demand_total=_round(total, 2),
            covered_before=_round(siting.covered_before, 2),
            newly_covered=_round(siting.newly_covered, 2),
            covered_after=_round(after, 2),
            uncovered_after=_round(siting.uncovered_after, 2),
            unreachable=_round(siting.unreachable, 2),
            share_before=_round(siting.covered_before / total, 4) if total > 0 else None,
            share_after=_round(after / total, 4) if total > 0 else None,
        ),
        optimal=siting.optimal,
        bound=_round(siting.bound, 2),
        candidates=candidates.kind,
        candidate_count=len(candidates.labels),
        k=result.k,
        metadata=metadata(base),
    )


# --- exports: GeoJSON, CSV, GeoPackage -------------------------------------------------------

ZONE_COLUMNS: Final = (
    "zone_id", "name", "population", "demand", "nearest_minutes", "nearest_site_id",
    "nearest_site_name", "reachable_sites", "reachable_supply", "covered", "e2sfca",
    "two_sfca", "gap", "gap_severity", "estimated",
)  # fmt: skip
GAP_COLUMNS: Final = (
    "rank", "zone_id", "zone_name", "kind", "severity", "people_affected", "nearest_site_id",
    "nearest_site_name", "nearest_minutes", "e2sfca", "threshold", "lon", "lat", "message",
)  # fmt: skip
NUMERIC_ZONE_COLUMNS: Final = frozenset(
    {"population", "demand", "nearest_minutes", "reachable_supply", "e2sfca", "two_sfca",
     "gap_severity"}
)  # fmt: skip


def zone_rows(result: CoverageResult) -> list[dict[str, Any]]:
    """One flat record per zone (the GeoJSON properties, the CSV and GeoPackage columns)."""
    ind, zones, supply = result.indicators, result.zones, result.supply
    rows = []
    for i, zone_id in enumerate(zones.ids):
        site = int(ind.nearest_site[i])
        gap = result.gap_of_zone.get(zone_id)
        rows.append(
            {
                "zone_id": zone_id,
                "name": zones.names[i],
                "population": _round(zones.population[i], 2),
                "demand": _round(ind.demand[i], 2),
                "nearest_minutes": _minutes(float(ind.nearest_minutes[i])),
                "nearest_site_id": supply.ids[site] if site >= 0 else None,
                "nearest_site_name": supply.names[site] if site >= 0 else None,
                "reachable_sites": int(ind.reachable_count[i]),
                "reachable_supply": _round(ind.reachable_supply[i], 2),
                "covered": int(ind.share.covered[i]),
                "e2sfca": _round(PER_THOUSAND * ind.e2sfca.access[i], 4),
                "two_sfca": _round(PER_THOUSAND * ind.two_sfca.access[i], 4),
                "gap": gap.kind if gap else None,
                "gap_severity": _round(gap.severity, 4) if gap else None,
                "estimated": int(result.reach.estimated_zone[i]),
            }
        )
    return rows


def geojson_bytes(result: CoverageResult) -> bytes:
    """The zones as a GeoJSON FeatureCollection (EPSG:4326) with a ``metadata`` member."""
    parts = []
    for row, geometry in zip(zone_rows(result), result.zones.geojson, strict=True):
        properties = json.dumps(row, ensure_ascii=False, allow_nan=False)
        parts.append(
            f'{{"type":"Feature","id":{json.dumps(row["zone_id"])},"geometry":{geometry},'
            f'"properties":{properties}}}'
        )
    head = json.dumps(metadata(result).model_dump(), ensure_ascii=False, allow_nan=False)
    body = f'{{"type":"FeatureCollection","metadata":{head},"features":[{",".join(parts)}]}}'
    return body.encode("utf-8")


def coverage_csv(result: CoverageResult) -> bytes:
    """Zones as CSV with the point each zone is measured from (``lon``, ``lat``)."""
    rows = zone_rows(result)
    for row, (lon, lat) in zip(rows, result.zones.points.tolist(), strict=True):
        row["lon"], row["lat"] = round(lon, 6), round(lat, 6)
    return csv_bytes([*ZONE_COLUMNS, "lon", "lat"], rows)


def gaps_csv(items: Sequence[GapItem]) -> bytes:
    return csv_bytes(GAP_COLUMNS, [item.model_dump() for item in items])


def csv_bytes(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    """``;``-separated, UTF-8 with a BOM (Excel, QGIS), decimal point, empty for none."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return out.getvalue().encode("utf-8-sig")


def write_gpkg(result: CoverageResult, path: Path) -> Path:
    """The zones as a GeoPackage layer ``couverture`` (EPSG:4326), for QGIS."""
    import geopandas  # type: ignore[import-untyped]
    import pandas as pd

    frame = pd.DataFrame(zone_rows(result), columns=list(ZONE_COLUMNS))
    for column in NUMERIC_ZONE_COLUMNS:
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    shapes = geopandas.GeoDataFrame(frame, geometry=list(result.zones.geometries), crs="EPSG:4326")
    meta = metadata(result)
    shapes.to_file(
        path,
        driver="GPKG",
        layer="couverture",
        engine="pyogrio",
        layer_options={
            "IDENTIFIER": f"Couverture : {meta.category_label}",
            "DESCRIPTION": _summary(meta),
        },
    )
    return path


def _summary(meta: CoverageMetadata) -> str:
    share = "inconnue" if meta.share_covered is None else f"{100 * meta.share_covered:.1f} %"
    estimated = " ; temps estimés à vol d'oiseau" if meta.estimated else ""
    return (
        f"{meta.category_label}, {meta.max_minutes:g} min ({meta.mode}), zones {meta.zones}, "
        f"demande {meta.demand_label} : {share} couverte{estimated} (révision {meta.revision})"
    )


def _round(value: float, digits: int) -> float:
    return round(float(value), digits)


def _minutes(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 1)
