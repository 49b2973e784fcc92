"""The body of ``/v1/geocode``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from geodata.geocoding import Precision


class CandidateOut(BaseModel):
    """Un lieu proposé pour l'adresse tapée."""

    label: str = Field(description="à afficher, ex. « 12 Rue de la République 30100 Alès »")
    lon: float
    lat: float
    precision: Precision = Field(
        description="housenumber : adresse numérotée ; street : rue (son milieu) ; locality : "
        "lieu-dit ; municipality : commune (sa mairie)"
    )
    score: float = Field(ge=0, le=1, description="pertinence, de 0 à 1")
    code_insee: str | None = Field(description="code INSEE de la commune, quand il est connu")
    postcode: str | None = Field(description="code postal, quand il est connu")
    city: str | None = Field(description="commune, quand elle est connue")
    source: str = Field(
        description="ban : Base Adresse Nationale ; communes : communes du territoire ; "
        "partenaires : adresses des partenaires ; osm : adresses OpenStreetMap du réseau de rues"
    )


class GeocodeOut(BaseModel):
    """Les propositions, de la plus pertinente à la moins pertinente."""

    geocoder: Literal["ban", "local"] = Field(
        description="ban : service national d'adresses ; local : ce que connaît ce serveur "
        "(communes, adresses des partenaires, adresses OpenStreetMap)"
    )
    attribution: list[str] = Field(description="mentions des sources des propositions")
    results: list[CandidateOut]
