"""Coverage requests: the query of ``/v1/coverage`` and ``/v1/gaps``, the body of
``/v1/siting``, and `Spec`, one coverage question (hashable: with the revision, a cache key).

Units: minutes; coordinates EPSG:4326 lon/lat, degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter, model_validator
from pydantic_core import PydanticCustomError

from geodata.modes import TravelMode
from graph.coverage import (
    E2SFCA_BANDS,
    GapKind,
    People,
)
from graph.inputs import InputModel, Integer, Number, one_of

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_COVERAGE_MINUTES: Final = 120.0
MAX_CANDIDATES: Final = 2_000
MAX_SITES: Final = 20
PER_THOUSAND: Final = 1000.0
ACCESSIBILITY_UNIT: Final = "places pour 1 000 personnes de la demande"

ZoneChoice = Literal["communes", "grid1km"]

GRID_RESOLUTION: Final = 1000
AHI_PEOPLE: Final = People("personne hébergée", "personnes hébergées")
DEMAND_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"


# --- requests --------------------------------------------------------------------------------


def _split_floats(value: Any) -> Any:
    """``bbox=4.0,43.9,4.2,44.2`` (one text) or repeated values; anything else is left for
    pydantic to refuse (« liste attendue », « nombre attendu »)."""
    if isinstance(value, str):
        value = [value]
    elif not isinstance(value, list | tuple):
        return value
    parts: list[Any] = []
    for item in value:
        if isinstance(item, str):
            parts.extend(p.strip() for p in item.split(",") if p.strip())
        else:
            parts.append(item)
    return parts or None


def _check_bbox(bbox: list[float] | None) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    if len(bbox) != 4 or not all(math.isfinite(v) for v in bbox):
        raise ValueError("quatre nombres attendus, lon_min,lat_min,lon_max,lat_max")
    west, south, east, north = bbox
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError("lon_min < lon_max (entre -180 et 180), lat_min < lat_max (±90)")
    return west, south, east, north


def _checked_bbox(bbox: list[float] | None) -> list[float] | None:
    _check_bbox(bbox)
    return bbox


BBox = Annotated[list[float] | None, BeforeValidator(_split_floats), AfterValidator(_checked_bbox)]
"""A query's bbox: one text ``lon_min,lat_min,lon_max,lat_max`` or four repeated values."""


def _bbox_numbers(value: Any) -> Any:
    """A body's bbox text ``"4.0,43.9,4.2,44.2"`` as numbers; a list is left as it is (its
    items must be numbers: `Number`)."""
    if not isinstance(value, str):
        return value
    try:
        return [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise PydanticCustomError("float_parsing", "nombre attendu") from None


BodyBBox = Annotated[
    list[Number] | None, BeforeValidator(_bbox_numbers), AfterValidator(_checked_bbox)
]
"""A body's bbox: four numbers (never booleans nor texts), or the query's text."""


class CoverageParams(InputModel):
    """Quelle offre, pour quelle demande, par quel mode et en combien de minutes."""

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
        pattern=DEMAND_NAME,
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

    def spec(self) -> Spec:
        return Spec.of(self, median_fraction=float(self.median_fraction))


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


class CandidatePoint(InputModel):
    lat: Number = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude WGS84, degrés")
    lon: Number = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude WGS84, degrés")
    label: str | None = Field(None, max_length=200, description="nom du lieu proposé")


CandidateSet = Literal["town_halls", "centroids"]
CANDIDATES_EXPECTED = "town_halls, centroids ou une liste de points (lat, lon, label)"
_CANDIDATE_SET = TypeAdapter(CandidateSet)
_CANDIDATE_POINTS = TypeAdapter(list[CandidatePoint])


def _candidates_kind(value: Any) -> TypeAdapter[Any] | None:
    if isinstance(value, str):
        return _CANDIDATE_SET
    if isinstance(value, list):
        return _CANDIDATE_POINTS
    return None


Candidates = Annotated[
    CandidateSet | list[CandidatePoint],
    one_of(_candidates_kind, "candidates_type", CANDIDATES_EXPECTED),
]


class SitingRequest(InputModel):
    """Où ouvrir ``k`` sites d'une catégorie pour couvrir le plus de demande non couverte."""

    category: str = Field(min_length=1, max_length=120, description="comme pour /v1/coverage")
    mode: TravelMode = Field(description="walk, bike, car ou transit")
    max_minutes: Number = Field(
        gt=0,
        le=MAX_COVERAGE_MINUTES,
        allow_inf_nan=False,
        description="budget de temps : un site couvre les zones à moins de ces minutes",
    )
    k: Integer = Field(ge=1, le=MAX_SITES, description="nombre de sites à proposer (1 à 20)")
    candidates: Candidates = Field(
        "town_halls",
        description="town_halls : mairies des communes ; centroids : centres des communes ; "
        "ou une liste de points {lat, lon, label} (2 000 au plus)",
    )
    zones: ZoneChoice = Field("communes", description="communes ou grid1km")
    demand: str = Field("population", pattern=DEMAND_NAME, description="comme pour /v1/coverage")
    bbox: BodyBBox = Field(
        None,
        description="comme pour /v1/coverage : quatre nombres [lon_min, lat_min, lon_max, "
        "lat_max] ou le même texte « lon_min,lat_min,lon_max,lat_max »",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if isinstance(self.candidates, list) and not 1 <= len(self.candidates) <= MAX_CANDIDATES:
            raise ValueError(f"candidates : de 1 à {MAX_CANDIDATES} points")
        return self

    def spec(self) -> Spec:
        return Spec.of(self, median_fraction=0.5)


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

    @classmethod
    def of(cls, request: CoverageParams | SitingRequest, *, median_fraction: float) -> Spec:
        """The question a coverage query or a siting body asks."""
        return cls(
            category=request.category,
            mode=request.mode,
            max_minutes=float(request.max_minutes),
            zones=request.zones,
            demand=request.demand,
            median_fraction=median_fraction,
            bbox=_check_bbox(request.bbox),
        )

    @property
    def search_minutes(self) -> float:
        """The travel-time horizon: ``max(2 d, last E2SFCA bound)`` minutes."""
        return max(2.0 * self.max_minutes, self.bands[-1][0])
