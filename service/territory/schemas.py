"""The bodies of ``/v1/stats`` and ``/v1/network/isolated`` (French descriptions)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

FRESH_MONTHS = 12
"""A record updated within this many months counts as fresh in ``/v1/stats``."""


class FamilyCount(BaseModel):
    code: str
    label: str
    count: int = Field(description="nombre de partenaires de la famille")


class SourceCount(BaseModel):
    source: str
    count: int


class Freshness(BaseModel):
    oldest: dt.datetime | None = Field(description="mise à jour la plus ancienne")
    newest: dt.datetime | None = Field(description="mise à jour la plus récente")
    fresh_share: float | None = Field(
        description="part des fiches mises à jour depuis 12 mois, entre 0 et 1"
    )
    fresh_months: int = Field(FRESH_MONTHS, description="le seuil, en mois")


class TerritoryStats(BaseModel):
    partners: int
    families: list[FamilyCount] = Field(
        description="toutes les familles, dans l'ordre du référentiel"
    )
    freshness: Freshness
    sources: list[SourceCount]
    opportunities: int
    relations: int
    communes: int
    commune_placed: int = Field(
        0,
        description="partenaires ouverts placés seulement au centre de leur commune (adresse "
        "non géocodée par la source, ou point de la source hors de sa commune) : "
        "/v1/partners?geocoding=commune les liste",
    )
    departements: list[str] = Field(description="départements dont les communes sont chargées")
    demo: bool = Field(description="vrai quand des partenaires de démonstration (fictifs) sont là")


class NearestSiae(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    distance_m: float = Field(description="distance à vol d'oiseau, en mètres")


class IsolatedStructure(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    address: str | None
    code_insee: str | None
    lon: float
    lat: float
    relations: int = Field(description="relations de la structure (tous partenaires confondus)")
    nearest_siae: NearestSiae | None = Field(
        description="la SIAE la plus proche : un partenariat à créer"
    )


class IsolatedStructures(BaseModel):
    hosting: int = Field(description="structures d'hébergement (AHI) du territoire")
    definition: str = Field(
        description="ce que veut dire « sans lien avec l'emploi » ; /v1/gaps dit, parmi "
        "elles, celles qu'aucun employeur n'atteint dans un budget de temps"
    )
    items: list[IsolatedStructure]
