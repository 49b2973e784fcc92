"""Coverage requests: the query of ``/v1/coverage`` and ``/v1/gaps``, the body of
``/v1/siting``, and `Spec`, one coverage question (hashable: with the revision, a cache key).

Units: minutes; coordinates EPSG:4326 lon/lat, degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter
from pydantic_core import PydanticCustomError

from geodata.modes import TravelMode
from graph.coverage import (
    E2SFCA_BANDS,
    MAX_COVERAGE_MINUTES,
    GapKind,
    People,
    bands_for_budget,
)
from graph.inputs import InputModel, Integer, Number, one_of, padded, split_numbers
from graph.models import CategoryCode, Latitude, Longitude

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_CANDIDATES: Final = 2_000
MAX_SITES: Final = 20
PER_THOUSAND: Final = 1000.0
ACCESSIBILITY_UNIT: Final = "places pour 1 000 personnes de la demande"

ZoneChoice = Literal["communes", "grid1km"]

GRID_RESOLUTION: Final = 1000
AHI_PEOPLE: Final = People("personne hébergée", "personnes hébergées")
DEMAND_NAME = padded(r"[a-z0-9][a-z0-9_-]{0,63}")
DEPARTEMENTS = padded(r"all|[0-9][0-9AB][0-9]?(?:,[0-9][0-9AB][0-9]?){0,120}")
"""``departements=``: all, or codes such as 30, 2A, 977 separated by commas."""


# --- requests --------------------------------------------------------------------------------


Corners = tuple[float, float, float, float]


def _corners(bbox: Corners | None) -> Corners | None:
    """A rectangle given by two opposite corners, in any order, as (west, south, east, north).

    A flat rectangle (a line, a point) is a rectangle too: the zones that touch it.
    """
    if bbox is None:
        return None
    lon_a, lat_a, lon_b, lat_b = bbox
    return min(lon_a, lon_b), min(lat_a, lat_b), max(lon_a, lon_b), max(lat_a, lat_b)


BBOX_DESCRIPTION = (
    "seulement les zones qui touchent ce rectangle : deux coins opposés lon,lat,lon,lat "
    "(EPSG:4326, degrés), dans n'importe quel ordre ; la médiane est alors celle de ces "
    "zones. Si aucune commune du territoire chargé ne le touche : 422"
)
_QueryLon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
_QueryLat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
BBox = Annotated[
    tuple[_QueryLon, _QueryLat, _QueryLon, _QueryLat] | None,
    BeforeValidator(split_numbers),
    AfterValidator(_corners),
]
"""A query's bbox: one text ``lon,lat,lon,lat`` or four repeated values."""


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
    tuple[Longitude, Latitude, Longitude, Latitude] | None,
    BeforeValidator(_bbox_numbers),
    AfterValidator(_corners),
]
"""A body's bbox: four numbers (never booleans nor texts), or the query's text."""


class CoverageParams(InputModel):
    """Quelle offre, pour quelle demande, par quel mode et en combien de minutes."""

    # examples (for /docs): the crèches within 20 minutes on foot, on the demo territory
    category: CategoryCode = Field(examples=["garde-enfants"])
    mode: TravelMode = Field(
        description="walk : à pied, bike : à vélo, car : en voiture, transit : transports en "
        "commun",
        examples=["walk"],
    )
    max_minutes: float = Field(
        gt=0,
        le=MAX_COVERAGE_MINUTES,
        allow_inf_nan=False,
        description="budget de temps de trajet, en minutes (120 au plus)",
        examples=[20],
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
        "enfants_0_3 : enfants de 0 à 3 ans, tranche d'âge de Filosofi (maillage import "
        "filosofi) ; ahi : places des structures d'hébergement ; ou le nom d'une couche "
        "importée (maillage import demand FICHIER --layer NOM). Liste, chargées ou non : "
        "/v1/coverage/demands. Une couche que la base n'a pas (qpv ou enfants_0_3 sans leur "
        "import, un nom inconnu) : 422, qui dit les couches présentes",
    )
    median_fraction: float = Field(
        0.5,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="offre faible : accessibilité E2SFCA sous cette fraction de la médiane du "
        "territoire (0,5 par défaut ; 0 : pas de signalement d'offre faible)",
    )
    bbox: BBox = Field(None, description=BBOX_DESCRIPTION)
    departements: str | None = Field(
        None,
        pattern=DEPARTEMENTS,
        description="servir les résultats nationaux chargés (maillage national coverage puis "
        "maillage national load) de ces départements : codes séparés par des virgules "
        "(30,977) ou all. Sans résultats chargés pour ces départements, ce mode, cette "
        "catégorie et ce budget (ou avec format=gpkg) : 422. Sans ce paramètre, le calcul "
        "porte sur le territoire chargé",
    )

    def spec(self) -> Spec:
        return Spec.of(self, median_fraction=float(self.median_fraction))

    def departement_list(self) -> list[str] | None:
        """The départements asked (``None``: all of them)."""
        assert self.departements is not None
        if self.departements == "all":
            return None
        return sorted({code.strip().upper() for code in self.departements.split(",")})


class CoverageQuery(CoverageParams):
    format: Literal["geojson", "csv", "csv-fr", "gpkg"] = Field(
        "geojson",
        description="geojson (défaut), csv (séparateur « ; », point décimal, UTF-8 avec BOM), "
        "csv-fr (le même avec la virgule décimale, pour Excel en français) ou gpkg "
        "(GeoPackage) : tous s'ouvrent dans QGIS",
    )
    level: Literal["zones", "departements"] = Field(
        "zones",
        description="zones (défaut) ; departements : avec departements=, une entité par "
        "département (part de la demande dans le budget, contour simplifié), pour une carte "
        "de France ; sans departements= : 422",
    )


class GapsQuery(CoverageParams):
    format: Literal["json", "csv", "csv-fr"] = Field(
        "json",
        description="json (défaut), csv (séparateur « ; », point décimal, UTF-8 avec BOM) ou "
        "csv-fr (le même avec la virgule décimale, pour Excel en français)",
    )
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
CandidatePoints = Annotated[list[CandidatePoint], Field(min_length=1, max_length=MAX_CANDIDATES)]
_CANDIDATE_POINTS = TypeAdapter(CandidatePoints)


def _candidates_kind(value: Any) -> TypeAdapter[Any] | None:
    if isinstance(value, str):
        return _CANDIDATE_SET
    if isinstance(value, list):
        return _CANDIDATE_POINTS
    return None


Candidates = Annotated[
    CandidateSet | CandidatePoints,
    one_of(_candidates_kind, "candidates_type", CANDIDATES_EXPECTED),
]


class SitingRequest(InputModel):
    """Où ouvrir ``k`` sites d'une catégorie pour couvrir le plus de demande non couverte."""

    category: CategoryCode
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
        description=BBOX_DESCRIPTION + " ; quatre nombres [lon, lat, lon, lat] ou le même "
        "texte « lon,lat,lon,lat »",
    )

    def spec(self) -> Spec:
        return Spec.of(self, median_fraction=0.5)


SITING_EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "creches-mairies": {
        "summary": "Trois crèches de plus, à 15 min en voiture, parmi les mairies du Gard",
        "value": {
            "category": "garde-enfants",
            "mode": "car",
            "max_minutes": 15,
            "k": 3,
            "candidates": "town_halls",
            "zones": "communes",
            "demand": "population",
        },
    },
    "lieux-proposes": {
        "summary": "Un accueil de jour : lequel de trois lieux proposés, à 20 min à pied",
        "description": "Des points donnés (lat, lon, label) : la gare d'Alès, la mairie de "
        "Nîmes, la place de la Mairie de Bagnols-sur-Cèze ; les carreaux de 1 km comme zones.",
        "value": {
            "category": "hebergement",
            "mode": "walk",
            "max_minutes": 20,
            "k": 1,
            "candidates": [
                {"lat": 44.1274, "lon": 4.0833, "label": "Gare d'Alès"},
                {"lat": 43.8367, "lon": 4.3601, "label": "Mairie de Nîmes"},
                {"lat": 44.1623, "lon": 4.6195, "label": "Mairie de Bagnols-sur-Cèze"},
            ],
            "zones": "grid1km",
        },
    },
}
"""Request examples of POST /v1/siting for /docs, on the Gard demo territory."""


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
    """E2SFCA bands, fitted to the budget by `of` (`graph.coverage.bands_for_budget`)."""

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
            bbox=request.bbox,
            bands=bands_for_budget(float(request.max_minutes)),
        )

    @property
    def search_minutes(self) -> float:
        """The travel-time horizon, minutes: ``max(2 d, last E2SFCA bound)`` (the nearest site
        is looked for up to twice the budget, to say how far beyond it lies)."""
        return max(2.0 * self.max_minutes, self.bands[-1][0])
