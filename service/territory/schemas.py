"""The bodies of ``/v1/stats`` and ``/v1/network/isolated`` (French descriptions)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field


class FamilyCount(BaseModel):
    code: str
    label: str
    count: int = Field(description="nombre de partenaires de la famille")


class SourceCount(BaseModel):
    source: str
    count: int


STALE_RULE = (
    "Une fiche de registre (FINESS, Les emplois) est à jour tant qu'un extrait importé depuis "
    "moins de {days} jours la liste : sa date de mise à jour dit quand elle a changé, pas "
    "qu'elle est fausse. Une fiche d'annuaire de services (producteurs de data·inclusion, "
    "médiation numérique) doit en plus avoir été confirmée par son producteur depuis moins de "
    "{days} jours. Une fiche écrite dans maillage vieillit avec sa dernière modification."
)
"""The documented rule of ``stale`` (`service.store.queries.freshness`), in French."""


class SourceFreshness(BaseModel):
    """The two freshness signals of one source's records, named apart."""

    source: str = Field(description="provenance des fiches (finess, emplois-siae, dora…)")
    rule: Literal["registre", "annuaire"] = Field(
        description="registre : à jour tant qu'un extrait récent liste la fiche ; annuaire : "
        "il faut aussi une date récente du producteur"
    )
    records: int = Field(description="fiches vivantes de la source (partenaires ouverts)")
    last_seen: dt.datetime | None = Field(
        description="vu dans un extrait : dernier import de la source qui listait ses fiches"
    )
    oldest_seen: dt.datetime | None = Field(
        description="vu dans un extrait : la fiche vue il y a le plus longtemps"
    )
    producer_newest: dt.date | None = Field(
        description="date du producteur (date_maj, maj) la plus récente"
    )
    producer_oldest: dt.date | None = Field(description="date du producteur la plus ancienne")
    dated: int = Field(description="fiches que le producteur date")
    stale: int = Field(description="fiches à vérifier selon la règle de la source")


class Freshness(BaseModel):
    """How fresh the records are: seen in a source extract, dated by their producer, and
    stale by the rule of each source (`STALE_RULE`)."""

    stale: int = Field(
        description="partenaires ouverts à vérifier selon la règle de leurs sources "
        "(ceux que liste /v1/partners?stale=true)"
    )
    stale_after_days: int = Field(description="le seuil, en jours (MAILLAGE_STALE_AFTER_DAYS)")
    rule: str = Field(description="la règle, en clair")
    edited: int = Field(
        description="partenaires ouverts sans fiche de source (écrits dans maillage) : leur "
        "date est celle de leur dernière modification"
    )
    sources: list[SourceFreshness] = Field(description="par source, la plus fournie d'abord")


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
