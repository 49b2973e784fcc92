"""The collections maillage serves to GIS clients, and how a page of each is made.

Three collections, each described once (`CollectionInfo`: title, description, who may read the
items, the queryable properties):

- ``partenaires`` — the open partners (points), read from PostGIS (`service.ogc.queries`);
  public, as ``/v1/partners``;
- ``couverture`` — the zones of the territory (communes or 1 km cells) with their coverage
  indicators, computed as ``/v1/coverage`` computes them (`service.feature_tables`); role
  viewer or higher, as ``/v1/coverage``;
- ``manques`` — the ranked gaps, as ``/v1/gaps``; role viewer or higher.

A computed collection answers one question (category, mode, minutes, zones), given as query
parameters, with the defaults its description states. A page of a computed table is filtered
in memory (`computed_page`: exact ``shapely.intersects`` with the rectangle, equality on the
properties) in the table's order. Results loaded in PostGIS later (national runs) would be one
more `CollectionInfo` with an SQL page, as ``partenaires``.

Coordinates CRS84 (longitude, latitude, WGS 84 degrees).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import shapely

from geodata.modes import MODE_LABELS
from graph import vocabulary
from graph.coverage import MAX_COVERAGE_MINUTES
from service.feature_tables import FeatureTable
from service.ogc.parameters import (
    DEFAULT_CATEGORY,
    DEFAULT_MINUTES,
    DEFAULT_MODE,
    DEFAULT_ZONES,
    Box,
)
from service.ogc.schemas import Feature, Link

_TEXT = {"type": "string"}
_MODES = {"type": "string", "enum": list(MODE_LABELS)}
_GAPS = {"type": "string", "enum": ["aucun-site-atteignable", "offre-faible"]}


@dataclass(frozen=True)
class CollectionInfo:
    """One collection: ``public`` items or items for role viewer and higher; ``queryables``:
    property → JSON Schema of the value a query parameter of that name filters on
    (equality)."""

    id: str
    title: str
    description: str
    public: bool
    queryables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    temporal: str | None = None  # the property ``datetime`` filters on


def _question_queryables() -> dict[str, Mapping[str, Any]]:
    return {
        "category": {
            "type": "string",
            "title": "catégorie d'offre (famille, type d'acteur ou thématique)",
            "default": DEFAULT_CATEGORY,
        },
        "mode": {**_MODES, "title": "mode de déplacement", "default": DEFAULT_MODE},
        "minutes": {
            "type": "number",
            "title": "budget de temps de trajet, minutes",
            "exclusiveMinimum": 0,
            "maximum": MAX_COVERAGE_MINUTES,
            "default": DEFAULT_MINUTES,
        },
        "zones": {"type": "string", "enum": ["communes", "grid1km"], "default": DEFAULT_ZONES},
    }


_QUESTION = (
    "Calculée comme /v1/coverage sur tout le territoire chargé (demande : population ; offre "
    "faible sous la moitié de la médiane de l'E2SFCA). Sans paramètre : structures de garde "
    f"d'enfants ({DEFAULT_CATEGORY}), à pied ({DEFAULT_MODE}), {DEFAULT_MINUTES:g} minutes, "
    "zones communes. Les paramètres category, mode, minutes et zones posent une autre question "
    "(ex. ?category=hebergement&mode=car&minutes=30) ; chaque entité les porte en propriétés. "
    "Temps estimés à vol d'oiseau là où aucun réseau n'est inscrit (propriété estimated). "
    "Clé d'API requise (rôle viewer ou plus) : en-tête Authorization: Bearer <clé>."
)

PARTNERS: Final = CollectionInfo(
    id="partenaires",
    title="Partenaires",
    description="Les acteurs ouverts du territoire (structures d'hébergement, SIAE, ESAT, "
    "crèches, service public de l'emploi…) : type, famille, nom, adresse, commune, capacité, "
    "et la qualité du point (geocoding : source, swapped, commune). Données publiques.",
    public=True,
    queryables={
        "kind": {"type": "string", "title": "type d'acteur", "enum": list(vocabulary.kinds())},
        "family": {
            "type": "string",
            "title": "famille d'acteurs",
            "enum": list(vocabulary.families()),
        },
        "code_insee": {**_TEXT, "title": "commune (code officiel géographique)"},
        "source": {**_TEXT, "title": "provenance principale"},
        "geocoding": {
            "type": "string",
            "title": "qualité du point",
            "enum": ["source", "swapped", "commune"],
        },
    },
    temporal="updated_at",
)

COVERAGE: Final = CollectionInfo(
    id="couverture",
    title="Couverture par zone",
    description="Chaque zone avec sa demande, le site le plus proche et son temps de trajet, "
    "les sites et l'offre atteignables dans le budget, couverte ou non (covered), "
    "l'accessibilité 2SFCA et E2SFCA (places pour 1 000 personnes) et le manque signalé. "
    + _QUESTION,
    public=False,
    queryables={
        **_question_queryables(),
        "covered": {"type": "integer", "enum": [0, 1], "title": "atteint un site dans le budget"},
        "gap": {**_GAPS, "title": "manque signalé"},
    },
)

GAPS: Final = CollectionInfo(
    id="manques",
    title="Manques classés",
    description="Les zones qui n'atteignent aucun site de la catégorie dans le budget, ou "
    "seulement une offre faible, de la plus grande demande touchée à la plus petite (rank), "
    "chacune avec une phrase en français (message). " + _QUESTION,
    public=False,
    queryables={**_question_queryables(), "kind": {**_GAPS, "title": "type de manque"}},
)

COLLECTIONS: Final = (PARTNERS, COVERAGE, GAPS)


def _area(bbox: Box) -> Any:
    west, south, east, north = bbox
    if west <= east:
        return shapely.box(west, south, east, north)
    return shapely.union(
        shapely.box(west, south, 180, north), shapely.box(-180, south, east, north)
    )


def computed_page(
    table: FeatureTable,
    *,
    bbox: Box | None,
    filters: Mapping[str, Any],
    offset: int,
    limit: int,
) -> tuple[list[Feature], int]:
    """The features of ``table`` that touch ``bbox`` and whose properties equal ``filters``,
    from ``offset``, ``limit`` at most; and how many there are in all."""
    keep = np.ones(len(table), dtype=bool)
    if bbox is not None and len(table):
        keep &= np.asarray(shapely.intersects(table.geometries, _area(bbox)), dtype=bool)
    for name, value in filters.items():
        keep &= np.array([row.get(name) == value for row in table.properties], dtype=bool)
    found = np.flatnonzero(keep)
    chosen = found[offset : offset + limit].tolist()
    return [feature_of(table, i) for i in chosen], len(found)


def feature_of(table: FeatureTable, index: int) -> Feature:
    return Feature(
        id=table.ids[index],
        geometry=json.loads(table.geojson[index]),
        properties=dict(table.properties[index]),
    )


def find_feature(table: FeatureTable, feature_id: str) -> Feature | None:
    """The feature of this id (the first, were there two), or ``None``."""
    for index, found in enumerate(table.ids):
        if found == feature_id:
            return feature_of(table, index)
    return None


_NOT_PROPERTIES: Final = frozenset({"id", "lon", "lat"})


def partner_feature(row: Any) -> Feature:
    """A row of `service.ogc.queries.partner_features` as a point feature."""
    values = row._mapping
    # every selected column but the identifier and the point, which GeoJSON holds itself
    properties = {name: value for name, value in values.items() if name not in _NOT_PROPERTIES}
    kind = vocabulary.kinds().get(values["kind"])
    properties["kind_label"] = kind.label if kind is not None else None
    properties["thematiques"] = list(properties["thematiques"] or [])
    properties["publics"] = list(properties["publics"] or [])
    properties["updated_at"] = rfc3339(values["updated_at"])
    return Feature(
        id=str(values["id"]),
        geometry={"type": "Point", "coordinates": [values["lon"], values["lat"]]},
        properties=properties,
    )


def rfc3339(moment: Any) -> str | None:
    """An aware datetime as RFC 3339 in UTC (``…Z``), seconds kept whole."""
    if moment is None:
        return None
    return str(moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()).replace("+00:00", "Z")


def item_links(self_href: str, collection_href: str, media: str) -> list[Link]:
    return [
        Link(href=self_href, rel="self", type=media, title="cette entité"),
        Link(href=collection_href, rel="collection", type="application/json", title="collection"),
    ]
