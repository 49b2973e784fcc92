"""The body of ``/v1/networks``: one registered network, its extent, feeds and validity."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class FeedOut(BaseModel):
    """One GTFS feed merged into a public transport network."""

    name: str = Field(description="nom du flux dans le réseau (préfixe de ses identifiants)")
    valid_from: dt.date | None = Field(description="premier jour où le flux a des horaires")
    valid_until: dt.date | None = Field(description="dernier jour où le flux a des horaires")


class NetworkOut(BaseModel):
    """A registered network: where it answers, from what, since when."""

    name: str = Field(description="nom du territoire sous lequel le réseau est inscrit")
    mode: str = Field(description="walk, bike, car ou transit")
    bbox: list[float] = Field(
        min_length=4,
        max_length=4,
        description="emprise où il répond : [ouest, sud, est, nord], degrés WGS84",
    )
    nodes: int = Field(
        description="nœuds du réseau de rues, ou arrêts desservis des transports en commun"
    )
    built_at: dt.datetime = Field(description="construction ou dernière inscription")
    source: str | None = Field(description="fichier dont il a été construit (nom seul)")
    loaded: bool = Field(
        description="chargé par le service en cours : il répond aux recherches (un réseau "
        "inscrit depuis son démarrage attend le prochain)"
    )
    feeds: list[FeedOut] = Field(
        default_factory=list, description="transports en commun : les flux GTFS fusionnés"
    )
    valid_from: dt.date | None = Field(
        None,
        description="transports en commun : début de la période où tous ses flux ont des "
        "horaires ; un départ hors de la période est servi par le même jour de la semaine "
        "dans la période, et la réponse le dit",
    )
    valid_until: dt.date | None = Field(
        None, description="transports en commun : fin de cette période"
    )


class RoadProperties(BaseModel):
    rank: int = Field(description="1 : route principale (70 km/h ou plus) ; 2 : autre rue")
    mode: str = Field(description="le réseau dont elle vient : car, walk ou bike")


class RoadGeometry(BaseModel):
    type: str = Field("LineString", description="LineString")
    coordinates: list[tuple[float, float]] = Field(description="lon, lat (degrés WGS84)")


class RoadFeature(BaseModel):
    type: str = Field("Feature", description="Feature")
    geometry: RoadGeometry
    properties: RoadProperties


class RoadCollection(BaseModel):
    """The main roads of the registered street network, GeoJSON lines (simplified)."""

    type: str = Field("FeatureCollection", description="FeatureCollection")
    features: list[RoadFeature]
    complete: bool = Field(
        description="faux quand des rues ont été laissées de côté (trop nombreuses à cette "
        "échelle : rapprochez la carte)"
    )
    attribution: str | None = Field(
        None, description="la source des lignes (« © les contributeurs d'OpenStreetMap »)"
    )
