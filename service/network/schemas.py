"""The bodies of ``/v1/network/...`` (structure, graph, partnerships, employers), with French
descriptions. Coordinates EPSG:4326 lon/lat in degrees, times in minutes, distances in metres.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PartnerRef(BaseModel):
    """A partner, as the network answers name it."""

    id: str
    name: str
    kind: str
    family: str
    lon: float = Field(description="degrés (EPSG:4326)")
    lat: float = Field(description="degrés (EPSG:4326)")


class ScopeOut(BaseModel):
    """What the analysis looked at (``null``: no filter)."""

    relation_kinds: list[str] | None
    families: list[str] | None
    bbox: list[float] | None = Field(description="ouest, sud, est, nord (degrés)")
    epci: list[str] | None
    communes: list[str] | None


class Explanations(BaseModel):
    """One French sentence per figure."""

    betweenness: str
    degree: str
    components: str
    articulation_points: str
    bridges: str
    employment_cuts: str
    communities: str


class Broker(BaseModel):
    partner: PartnerRef
    betweenness: float = Field(description="intermédiarité normalisée, de 0 à 1")
    degree: int = Field(description="partenaires distincts")
    sent: int = Field(description="relations envoyées")
    received: int = Field(description="relations reçues")
    articulation: bool = Field(description="son départ couperait le réseau en morceaux")
    shelters_cut_off: int = Field(
        description="structures d'hébergement que son départ laisserait sans chemin vers l'emploi"
    )
    explanation: str


class FamilyOut(BaseModel):
    family: str
    label: str
    partners: int
    without_relation: int
    mean_degree: float
    mean_betweenness: float
    max_betweenness: float
    linked_families: dict[str, int] = Field(
        description="partenaires des structures de la famille, par famille (les plus nombreux "
        "d'abord)"
    )
    explanation: str


class ComponentOut(BaseModel):
    index: int = Field(description="rang, la plus grande d'abord (0)")
    size: int
    shelters: int = Field(description="structures d'hébergement (AHI)")
    employment: int = Field(description="acteurs du côté emploi")
    members: list[str] = Field(description="identifiants des partenaires")


class CutPartner(BaseModel):
    """A structure whose removal would leave shelters without any path to employment."""

    partner: PartnerRef
    betweenness: float
    shelters_cut_off: list[PartnerRef]
    explanation: str


class CutLink(BaseModel):
    """A link (two partners, whatever relations join them) whose loss would leave shelters
    without any path to employment."""

    source: PartnerRef
    target: PartnerRef
    kinds: list[str] = Field(description="types des relations entre les deux")
    shelters_cut_off: list[PartnerRef]
    explanation: str


class EmploymentCutsOut(BaseModel):
    partners: list[CutPartner]
    links: list[CutLink]
    shelters_cut_off: int = Field(
        description="structures d'hébergement qu'un seul départ (structure ou lien) couperait "
        "de l'emploi"
    )


class CommunityOut(BaseModel):
    index: int = Field(description="rang, la plus grande d'abord (0)")
    size: int
    families: dict[str, int] = Field(description="membres par famille, les plus nombreux d'abord")
    members: list[str]
    explanation: str


class NetworkStructureOut(BaseModel):
    """Brokers and structure of the network (``/v1/network/structure``)."""

    scope: ScopeOut
    partners: int = Field(description="structures dans le périmètre")
    relations: int = Field(description="relations entre elles (une par type et par sens)")
    links: int = Field(description="paires de structures liées par au moins une relation")
    definition: str = Field(description="côté emploi et côté hébergement")
    explanations: Explanations
    betweenness_sources: int | None = Field(
        description="null : intermédiarité exacte ; sinon, nombre de structures de départ "
        "tirées au hasard (graine fixe) pour l'estimer"
    )
    brokers: list[Broker] = Field(description="les plus fortes intermédiarités d'abord")
    families: list[FamilyOut]
    components: list[ComponentOut]
    articulation_points: list[PartnerRef]
    bridges: list[list[PartnerRef]] = Field(description="paires de partenaires")
    employment_cuts: EmploymentCutsOut
    communities: list[CommunityOut]
    modularity: float | None = Field(description="modularité des communautés (Louvain)")


class NodeOut(BaseModel):
    id: str
    name: str
    kind: str
    family: str
    lon: float
    lat: float
    degree: int
    sent: int
    received: int
    betweenness: float
    component: int = Field(description="rang de sa composante (0 : la plus grande)")
    community: int | None = Field(description="rang de sa communauté ; null sans relation")
    articulation: bool
    shelter: bool = Field(description="structure d'hébergement (AHI)")
    employment: bool = Field(description="acteur du côté emploi")
    shelters_cut_off: int = Field(
        description="structures d'hébergement que son départ couperait de l'emploi"
    )


class EdgeOut(BaseModel):
    source: str
    target: str
    kind: str
    distance_m: float = Field(description="à vol d'oiseau, en mètres")
    bridge: bool = Field(description="le lien entre ces deux structures est un pont")


class NetworkGraphOut(BaseModel):
    """The network to draw (``/v1/network/graph``)."""

    scope: ScopeOut
    definition: str
    explanations: Explanations
    nodes: list[NodeOut]
    edges: list[EdgeOut]


class SuggestionOut(BaseModel):
    partner: PartnerRef = Field(description="le partenaire proposé")
    minutes: float = Field(description="temps de trajet depuis la structure, en minutes")
    estimated: bool = Field(description="temps estimé (à vol d'oiseau ou horaires supposés)")
    score: float = Field(description="de 0 à 1 (voir rule)")
    new_family: bool = Field(description="aucune relation encore avec cette famille")
    open_places: int = Field(description="places ouvertes publiées")
    open_offers: int = Field(description="offres ouvertes")
    warm_via: list[PartnerRef] = Field(
        description="partenaires de la structure déjà partenaires du proposé (chemin chaud)"
    )
    reasons: list[str] = Field(description="pourquoi, en phrases")
    beyond_budget: bool = Field(
        False,
        description="au-delà du budget : la structure n'atteint aucun acteur du côté emploi "
        "dans le budget, voici les plus proches au-delà",
    )


class OriginOut(BaseModel):
    partner: PartnerRef
    employment_linked: bool = Field(description="a déjà une relation avec un acteur du côté emploi")
    suggestions: list[SuggestionOut]


class PartnershipsOut(BaseModel):
    """Partnerships to create (``/v1/network/partnerships``)."""

    mode: str
    max_minutes: float
    rule: str = Field(description="la règle de choix et de classement")
    definition: str
    estimated_share: float = Field(
        description="part des temps de trajet estimés parmi les paires à portée (0 à 1)"
    )
    notice: str | None = Field(description="ce qu'il faut savoir des temps de trajet")
    origins: list[OriginOut]


class EmployerPartnershipsOut(BaseModel):
    """The shelters and SIAE an employment-side actor could work with."""

    employer: PartnerRef
    mode: str
    max_minutes: float
    rule: str
    estimated_share: float
    notice: str | None
    items: list[SuggestionOut] = Field(
        description="structures d'hébergement et SIAE proposées (partner), les meilleures "
        "d'abord ; minutes : de la structure à l'employeur"
    )


class Approach(BaseModel):
    partner: PartnerRef
    kinds: list[str] = Field(description="types des relations par lesquelles elle l'approche")


ReferentRuleOut = Literal["referent-existant", "plateforme", "plus-de-liens"]


class ApproachedEmployer(BaseModel):
    employer: PartnerRef
    structures: list[Approach] = Field(description="les plus reliées d'abord")
    referent: PartnerRef = Field(description="l'interlocuteur unique proposé")
    rule: ReferentRuleOut = Field(description="la règle qui l'a désigné")
    saved: int = Field(description="démarches épargnées : structures − 1")
    explanation: str


class ApproachedEmployersOut(BaseModel):
    """One interlocutor per employer (``/v1/network/employers``)."""

    rule: str
    families: list[str]
    min_structures: int
    employers: int = Field(description="employeurs listés")
    saved: int = Field(description="démarches épargnées en tout")
    items: list[ApproachedEmployer]
