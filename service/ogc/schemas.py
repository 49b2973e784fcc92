"""The bodies of OGC API – Features (Part 1: Core, GeoJSON; Part 3: queryables): landing page,
conformance, collections, features, queryables. Field names are the standard's (``conformsTo``,
``numberMatched``, ``itemType``...), not the house's English: clients read them.

Coordinates CRS84 (longitude, latitude, WGS 84 degrees); instants RFC 3339 in UTC.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN: Final = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

GEOJSON: Final = "application/geo+json"
JSON: Final = "application/json"
SCHEMA_JSON: Final = "application/schema+json"
OPENAPI_JSON: Final = "application/vnd.oai.openapi+json;version=3.1"

CONFORMANCE: Final = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
)
"""What is implemented, and only that. Not ``oas30``: the document at ``/openapi.json`` is
OpenAPI 3.1 (FastAPI), which that class does not cover; not ``html``: JSON only; not Part 2
(CRS84 only) nor the CQL2 filters of Part 3."""


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


class SchemaJSONResponse(JSONResponse):
    media_type = SCHEMA_JSON


class Link(BaseModel):
    href: str = Field(description="adresse absolue")
    rel: str = Field(description="relation : self, next, prev, items, collection…")
    type: str | None = Field(None, description="type de média de la ressource liée")
    title: str | None = None


class LandingPage(BaseModel):
    """La page d'accueil OGC API – Features de maillage."""

    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """Les classes de conformité réellement mises en œuvre."""

    conformsTo: list[str]  # noqa: N815 - the standard's name


class SpatialExtent(BaseModel):
    bbox: list[list[float]] = Field(description="[ouest, sud, est, nord], CRS84, degrés")
    crs: str = CRS84


class TemporalExtent(BaseModel):
    interval: list[list[str | None]] = Field(description="[début, fin] RFC 3339, null : ouvert")
    trs: str = GREGORIAN


class Extent(BaseModel):
    spatial: SpatialExtent | None = None
    temporal: TemporalExtent | None = None


class CollectionOut(BaseModel):
    """Une collection : son étendue, ses liens, ses systèmes de coordonnées."""

    id: str
    title: str
    description: str
    links: list[Link]
    extent: Extent | None = None
    itemType: Literal["feature"] = "feature"  # noqa: N815 - the standard's name
    crs: list[str] = Field(default_factory=lambda: [CRS84])
    storageCrs: str = CRS84  # noqa: N815 - the standard's name


class CollectionsOut(BaseModel):
    links: list[Link]
    collections: list[CollectionOut]


class Feature(BaseModel):
    """Une entité GeoJSON (RFC 7946) : géométrie CRS84, propriétés à plat."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
    links: list[Link] | None = None


class FeatureCollection(BaseModel):
    """Une page d'entités GeoJSON, avec le nombre d'entités trouvées et les liens de pages."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
    links: list[Link]
    timeStamp: str = Field(description="heure de la réponse, RFC 3339 UTC")  # noqa: N815
    numberMatched: int = Field(description="entités qui répondent aux filtres")  # noqa: N815
    numberReturned: int = Field(description="entités de cette page")  # noqa: N815


class Queryables(BaseModel):
    """Les propriétés qu'un paramètre de requête filtre (égalité), en JSON Schema 2020-12."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field("https://json-schema.org/draft/2020-12/schema", alias="$schema")
    id_: str = Field(alias="$id")
    type: Literal["object"] = "object"
    title: str
    properties: dict[str, dict[str, Any]]
    additionalProperties: bool = True  # noqa: N815 - JSON Schema's name
