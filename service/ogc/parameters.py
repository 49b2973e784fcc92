"""The query parameters of OGC API – Features: paging, ``bbox``, ``datetime``, ``f`` and the
queryable properties of each collection, as query models (a refused value: 400 in French,
as the standard asks, `service.errors.BAD_REQUEST_PATHS`).

Coordinates CRS84 (longitude, latitude in degrees, WGS 84); budgets in minutes; instants
RFC 3339 (UTC when no offset is written).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from geodata.modes import TravelMode
from geodata.sources.common import GeocodingMethod
from graph.coverage import MAX_COVERAGE_MINUTES, GapKind
from graph.inputs import InputModel, split_numbers
from graph.models import CategoryCode, CodeInsee, FamilyCode, KindCode
from service.feature_tables import LayerQuestion

DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 10_000
MAX_OFFSET: Final = 10_000_000

DEFAULT_CATEGORY: Final = "garde-enfants"
DEFAULT_MODE: Final = "walk"
DEFAULT_MINUTES: Final = 20.0
DEFAULT_ZONES: Final = "communes"

Box = tuple[float, float, float, float]

_Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
_Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


def _south_to_north(bbox: Box | None) -> Box | None:
    """(west, south, east, north): the two latitudes in either order; west may exceed east,
    a box across the antimeridian (OGC API – Features, « bbox »)."""
    if bbox is None:
        return None
    west, lat_a, east, lat_b = bbox
    return west, min(lat_a, lat_b), east, max(lat_a, lat_b)


def _four_numbers(value: Any) -> Any:
    parts = split_numbers(value)
    if isinstance(parts, list) and len(parts) != 4:
        raise ValueError("quatre nombres attendus : ouest,sud,est,nord (CRS84, degrés)")
    return parts


BBox = Annotated[
    tuple[_Lon, _Lat, _Lon, _Lat] | None,
    BeforeValidator(_four_numbers),
    AfterValidator(_south_to_north),
]
"""``bbox=ouest,sud,est,nord`` (one text, as OGC clients send it) or four repeated values."""

BBOX_DESCRIPTION = (
    "seulement les entités dont la géométrie touche ce rectangle : ouest,sud,est,nord en CRS84 "
    "(longitude, latitude WGS 84, degrés) ; un ouest plus grand que l'est traverse "
    "l'antiméridien ; sud et nord dans n'importe quel ordre. Quatre nombres exactement (400 "
    "sinon)"
)


class Paging(InputModel):
    """What every items request may ask: a page, a rectangle, a format."""

    limit: int = Field(
        DEFAULT_LIMIT,
        ge=1,
        le=MAX_LIMIT,
        description=f"entités par page, 1 à {MAX_LIMIT} ({DEFAULT_LIMIT} par défaut ; au-delà : "
        "400) ; le lien « next » donne la page suivante",
    )
    offset: int = Field(
        0, ge=0, le=MAX_OFFSET, description="entités sautées avant la page (0 par défaut)"
    )
    bbox: BBox = Field(None, description=BBOX_DESCRIPTION)
    f: Literal["json", "geojson"] | None = Field(
        None,
        description="json : application/json ; geojson : application/geo+json ; sans f, selon "
        "l'en-tête Accept (application/geo+json par défaut)",
    )


class Format(InputModel):
    f: Literal["json", "geojson"] | None = Field(
        None, description="json : application/json ; geojson : application/geo+json"
    )


def _instant(text: str) -> dt.datetime | None:
    """An RFC 3339 instant, or a date (its midnight UTC); ``..`` or empty: open."""
    if text in ("", ".."):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            "instant ou intervalle RFC 3339 attendu (ex. 2026-01-01T00:00:00Z, "
            "2026-01-01T00:00:00Z/.., ../2026-06-30)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


Interval = tuple[dt.datetime | None, dt.datetime | None]


def _interval(value: str | None) -> Interval | None:
    """``a`` (an instant: start and end), ``a/b``, ``a/..`` or ``../b``; ``../..`` is
    everything."""
    if value is None:
        return None
    parts = value.split("/")
    if len(parts) > 2:
        raise ValueError("un seul « / » entre le début et la fin de l'intervalle")
    if len(parts) == 1:
        moment = _instant(parts[0])
        if moment is None:
            raise ValueError("instant attendu (un intervalle ouvert s'écrit début/.. ou ../fin)")
        return moment, moment
    start, end = _instant(parts[0]), _instant(parts[1])
    if start is not None and end is not None and end < start:
        raise ValueError("la fin de l'intervalle précède son début")
    return start, end


def _readable_interval(value: str | None) -> str | None:
    _interval(value)
    return value


Datetime = Annotated[
    str | None,
    Field(max_length=80, pattern=r"^[0-9TZz:.+/-]*$"),
    AfterValidator(_readable_interval),
]
"""An instant or an interval (`_interval`), kept as written; 400 when it reads as neither."""


class PartnerItems(Paging):
    """Les partenaires ouverts, filtrés par leurs propriétés."""

    datetime: Datetime = Field(
        None,
        description="date de dernière modification de la fiche (updated_at) : un instant ou "
        "un intervalle RFC 3339 (début/fin, « .. » pour ouvert), ex. 2026-01-01T00:00:00Z/..",
    )
    kind: KindCode | None = Field(None, description="type d'acteur (voir /v1/reference/kinds)")
    family: FamilyCode | None = Field(
        None, description="famille d'acteurs (voir /v1/reference/families)"
    )
    code_insee: CodeInsee | None = Field(None, description="commune (code officiel géographique)")
    source: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[a-z0-9._-]{1,64}$",
        description="provenance principale de la fiche, ex. finess, demo",
    )
    geocoding: GeocodingMethod | None = Field(
        None,
        description="comment le point a été obtenu : source (coordonnées de la source ou "
        "saisies), swapped (latitude et longitude inversées par la source, corrigées), commune "
        "(placé au centre de sa commune)",
    )

    def interval(self) -> Interval | None:
        return _interval(self.datetime)


ZoneChoice = Literal["communes", "grid1km"]


class Question(InputModel):
    """La question d'une couche calculée : quelle offre, par quel mode, en combien de minutes."""

    category: CategoryCode = DEFAULT_CATEGORY
    mode: TravelMode = Field(
        DEFAULT_MODE,
        description="walk : à pied (défaut), bike : à vélo, car : en voiture, transit : "
        "transports en commun",
    )
    minutes: float = Field(
        DEFAULT_MINUTES,
        gt=0,
        le=MAX_COVERAGE_MINUTES,
        allow_inf_nan=False,
        description="budget de temps de trajet, en minutes (20 par défaut, 120 au plus)",
    )
    zones: ZoneChoice = Field(
        DEFAULT_ZONES,
        description="communes (défaut) ou grid1km : carreaux INSPIRE de 1 km sur le territoire",
    )

    def question(self) -> LayerQuestion:
        return LayerQuestion(self.category, self.mode, float(self.minutes), self.zones)


class QuestionFormat(Question, Format):
    """Une entité d'une couche calculée : la même question, et un format."""


class CoverageItems(Question, Paging):
    """Les zones et leurs indicateurs, filtrés par leurs propriétés."""

    covered: int | None = Field(
        None,
        ge=0,
        le=1,
        description="1 : zones qui atteignent un site dans le budget ; 0 : les autres",
    )
    gap: GapKind | None = Field(
        None, description="seulement les zones de ce manque : aucun-site-atteignable, offre-faible"
    )

    def filters(self) -> dict[str, Any]:
        found = {"covered": self.covered, "gap": self.gap}
        return {name: value for name, value in found.items() if value is not None}


class GapItems(Question, Paging):
    """Les manques classés, filtrés par leur type."""

    kind: GapKind | None = Field(
        None, description="seulement ce type de manque : aucun-site-atteignable, offre-faible"
    )

    def filters(self) -> dict[str, Any]:
        return {} if self.kind is None else {"kind": self.kind}
