"""Response bodies of the flows feature: counts as their reader may see them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from graph.flows import FlowCounts, MaskedCounts, mask_small

CountField = Literal["sent", "received", "accepted"]

PRIVACY = (
    "Des comptes d'orientations agrégés par relation et par période, jamais une personne : "
    "ni nom, ni date de naissance, ni numéro de dossier ne sont conservés."
)


def masking_sentence(threshold: int | None) -> str:
    """The one sentence that says what the reader sees."""
    if threshold is None or threshold <= 1:
        return PRIVACY + " Comptes exacts (lecture authentifiée)."
    return (
        PRIVACY + f" Sans connexion, un compte de 1 à {threshold - 1} est masqué (null, "
        "nommé dans « masked »), ainsi que tout total qui le contient : une orientation seule "
        "dans un mois pourrait désigner la personne."
    )


class Counts(BaseModel):
    """Orientations envoyées, reçues, acceptées (``null`` : non déclaré, ou masqué quand
    ``masked`` le nomme)."""

    sent: int | None = Field(description="orientations envoyées par la structure source")
    received: int | None = Field(description="orientations reçues par la structure cible")
    accepted: int | None = Field(description="orientations acceptées parmi les reçues")
    masked: list[CountField] = Field(
        default_factory=list,
        description="comptes masqués à une lecture sans connexion : un petit nombre, ou un "
        "total qui en contient un",
    )


class FlowOut(Counts):
    """Les comptes d'une relation pour une période de mois entiers."""

    period_start: dt.date
    period_end: dt.date
    source: Literal["declared", "import"] = Field(
        description="declared : déclarés par l'API ; import : importés d'un fichier CSV"
    )
    declared_by: uuid.UUID | None = Field(
        description="organisation dont un éditeur a écrit en dernier (null : un administrateur)"
    )
    updated_at: dt.datetime


class PartnerRef(BaseModel):
    id: uuid.UUID
    name: str
    kind: str


class RelationEnds(BaseModel):
    """Une relation : son type, sa structure source et sa structure cible."""

    relation_id: uuid.UUID
    kind: str
    source: PartnerRef
    target: PartnerRef


class RelationFlows(RelationEnds):
    """Les comptes d'une relation, période par période (la plus ancienne d'abord)."""

    retention_months: int = Field(description="durée de conservation des comptes (mois)")
    masked_below: int | None = Field(
        description="comptes de 1 à masked_below − 1 masqués ; null : comptes exacts"
    )
    explanation: str
    items: list[FlowOut]


class RelationTotal(Counts, RelationEnds):
    """Une relation et ses comptes sommés sur les périodes de la fenêtre."""

    periods: int = Field(description="périodes déclarées dans la fenêtre")
    volume: int | None = Field(
        description="orientations passées par la relation : reçues, à défaut envoyées (null : "
        "inconnu ou masqué) ; c'est le poids de l'arête dans le graphe"
    )


class PeriodTotal(Counts):
    """Les comptes du territoire pour une période, sommés sur les relations."""

    period_start: dt.date
    period_end: dt.date
    relations: int = Field(description="relations qui ont des comptes pour cette période")


class TerritoryFlows(BaseModel):
    """Les comptes d'orientations du territoire dans la fenêtre : par relation, par période,
    et leur total."""

    since: dt.date | None
    until: dt.date | None
    retention_months: int
    masked_below: int | None
    explanation: str
    totals: Counts
    relations: list[RelationTotal]
    periods: list[PeriodTotal]


class FlowImport(BaseModel):
    """Un fichier de comptes écrit en entier (tout ou rien)."""

    written: int = Field(description="lignes écrites")
    created: int = Field(description="périodes nouvelles")
    updated: int = Field(description="périodes déjà déclarées, mises à jour")
    purged: int = Field(description="périodes effacées car plus anciennes que la conservation")
    retention_months: int


def counts_out(counts: FlowCounts, threshold: int | None, parts: list[FlowCounts]) -> Counts:
    """``counts`` as the reader sees them (`graph.flows.mask_small`; ``threshold`` ``None``:
    exact)."""
    shown = _shown(counts, threshold, parts)
    return Counts(
        sent=shown.sent,
        received=shown.received,
        accepted=shown.accepted,
        masked=list(shown.masked),
    )


def _shown(counts: FlowCounts, threshold: int | None, parts: list[FlowCounts]) -> MaskedCounts:
    return mask_small(counts, threshold or 1, parts=parts)


def volume_shown(counts: FlowCounts, shown: Counts) -> int | None:
    """`graph.flows.FlowCounts.volume` as the reader may see it."""
    return shown.received if counts.received is not None else shown.sent
