"""What a match returns: items, trips, obstacles, pathways, supports and exclusions.

Pydantic models (frozen, JSON-ready); minutes are rounded to 0.1, scores to 1e-4. These models
are the response bodies of ``/v1/matches``: renaming a field changes the HTTP contract.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from geodata.journeys import Journey
from geodata.modes import MODE_LABELS, TravelMode
from geodata.words import decimal
from graph.matching.offers import PartnerSite

ObstacleKind = Literal[
    "garde-enfants", "mobilite", "langue", "droits", "sante", "logement", "administratif",
    "horaires",
]  # fmt: skip
"""What an obstacle is about; each comes with the partners that can lift it."""


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible plain values."""
        return self.model_dump(mode="json")


class Reachable(_Out):
    """How to reach a structure: address, phone, e-mail, opening hours (``None``: not published)."""

    address: str | None = None
    phone: str | None = None
    email: str | None = None
    opening_hours: str | None = Field(
        None, description="horaires d'ouverture, syntaxe OpenStreetMap opening_hours"
    )


class SiteRef(Reachable):
    """A partner site with the trip to it from the person's origin.

    ``reachable`` is ``False`` when no mode reaches it within its budget: then ``mode`` and
    ``minutes`` describe the quickest trip found beyond the budget (up to `FAR_MINUTES`),
    ``None`` beyond that; ``access`` says it in French: nothing is claimed reachable that is
    not, and no one is hidden for being far.
    """

    id: str
    name: str
    kind: str
    mode: TravelMode | None = None
    minutes: float | None = Field(None, description="minutes")
    estimated: bool = False
    reachable: bool = True
    available_places: int | None = None
    access: str = Field(
        "",
        description="le trajet en français : « à 12 min à pied », ou « à 52 min en "
        "transports en commun : au-delà de votre temps de trajet (45 min au plus) »",
    )


class Trip(_Out):
    """How the person gets to the opportunity.

    ``minutes`` is the whole trip, the figure the score uses; with children under 3 and a
    crèche found, it goes home → ``creche`` (whose ``minutes`` is the first leg) → work,
    including `DROP_OFF_MINUTES`. ``journey`` tells its legs — walk to the stop, wait, ride,
    walk, the crèche drop-off — when the travel model knows them (``None`` otherwise: a
    timetable answer whose legs were not asked); ``estimated`` is true as soon as the time or
    one of the legs is an estimate.
    """

    mode: TravelMode
    minutes: float = Field(
        description="temps de trajet, en minutes (à 0,1 près) ; en transports en commun, le "
        "trajet le plus rapide qui part de chez la personne dans la fenêtre de départ, dont "
        "les étapes (journey) font ce temps"
    )
    estimated: bool
    creche: SiteRef | None = None
    journey: Journey | None = None


class Components(_Out):
    """Score components, each in [0, 1]; the score is their weighted sum (`WEIGHTS`)."""

    wish: float
    travel: float
    hours: float
    places: float
    warm: float


class Obstacle(_Out):
    """Something to solve for this opportunity, and the nearest partners that can help."""

    kind: ObstacleKind
    code: str
    message: str
    supports: list[SiteRef] = Field(default_factory=list)


class OpportunityView(_Out):
    """The opportunity as shown in an item."""

    id: str
    title: str
    kind: str
    contract: str | None
    rome_code: str | None
    hours_min: float | None
    hours_max: float | None
    schedule: str | None
    atypical_hours: bool
    places: int | None
    starts_on: date | None = Field(None, description="début (session, contrat), AAAA-MM-JJ")
    ends_on: date | None = Field(
        None, description="fin (session, contrat) : une offre complète libère ses places"
    )


class PartnerView(Reachable):
    """The partner offering the opportunity, and how to reach it."""

    id: str
    name: str
    kind: str
    family: str


class MatchItem(_Out):
    """One proposal: the opportunity, why it fits, the trip, and what must be solved."""

    opportunity: OpportunityView
    partner: PartnerView
    score: float
    components: Components
    travel: Trip
    reasons: list[str]
    obstacles: list[Obstacle]


PathwayCode = Literal["phc", "tapaj", "cvg", "aava", "langue", "mdph"]
ExclusionRule = Literal[
    "autorisation-travail", "age", "orientation-cdaph", "rqth", "eligibilite-iae"
]


class Pathway(_Out):
    """A programme the situation opens, with its nearest carriers."""

    code: PathwayCode
    title: str
    message: str
    carriers: list[SiteRef]


class SupportNeed(_Out):
    """A support the proposals or the situation call for, with the nearest partners.

    ``items`` is the number of offers the message counts: the proposals concerned by an
    obstacle, the offers only a car reaches for mobility; 0 for a support the situation calls
    for (housing, addiction care).
    """

    kind: ObstacleKind
    code: str
    message: str
    items: int
    partners: list[SiteRef]


class Exclusion(_Out):
    """Reachable opportunities of the wished kinds excluded by a legal condition."""

    rule: ExclusionRule
    count: int
    message: str


class MatchResult(_Out):
    """The answer to one profile.

    Attributes
    ----------
    items : list of MatchItem
        Best first.
    pathways : list of Pathway
    supports : list of SupportNeed
        Supports the items call for, and those the situation calls for (housing, care,
        mobility to reach offers only a car reaches).
    exclusions : list of Exclusion
        Legal exclusions among reachable offers of the wished kinds: nothing is dropped
        silently.
    considered : int
        Offers of the wished kinds in the table.
    reachable : int
        Of those, reachable within the person's budgets and not legally excluded.
    estimated_share : float
        Share of the items whose trip is an estimate, in [0, 1] (0 without items).
    """

    items: list[MatchItem]
    pathways: list[Pathway]
    supports: list[SupportNeed]
    exclusions: list[Exclusion]
    considered: int
    reachable: int
    estimated_share: float = Field(ge=0, le=1, description="part des trajets estimés")


UnassignedReason = Literal[
    "aucune-offre-a-portee", "offres-completes", "places-prises", "non-retenu"
]  # fmt: skip


class Unassigned(_Out):
    """Why a person of a cohort was given no opportunity, in French."""

    reason: UnassignedReason = Field(
        description="aucune-offre-a-portee : rien à portée ou tout écarté par une condition "
        "légale ; offres-completes : les offres à portée sont complètes ; places-prises : leurs "
        "places sont données à d'autres personnes de la cohorte ; non-retenu : autre cas"
    )
    message: str


class BatchPerson(_Out):
    """One person of a cohort, explained as a single match would be.

    ``assigned`` is the opportunity given (``None``: then ``unassigned`` says why, and
    ``full_offers`` lists the nearest offers without a place left — full for now, or whose
    places went to others of the cohort — each saying when places may open if known);
    ``alternatives`` the next best ones (to discuss, not promised); ``pathways``, ``supports``
    and ``exclusions`` as in `MatchResult`.
    """

    assigned: MatchItem | None
    alternatives: list[MatchItem]
    unassigned: Unassigned | None = None
    full_offers: list[MatchItem] = Field(default_factory=list)
    pathways: list[Pathway] = Field(default_factory=list)
    supports: list[SupportNeed] = Field(default_factory=list)
    exclusions: list[Exclusion] = Field(default_factory=list)
    considered: int = 0
    reachable: int = 0


class UnassignedCount(_Out):
    """How many persons of the cohort were not assigned for one reason."""

    reason: UnassignedReason
    count: int
    message: str


class PlacesUsed(_Out):
    """Places an opportunity gives to the cohort; ``places`` is what it publishes (``None``:
    unknown, then it takes one person)."""

    opportunity_id: str
    title: str
    partner_id: str
    partner_name: str
    places: int | None
    used: int


class BatchResult(_Out):
    """Optimal assignment of a cohort (`graph.assignment.assign`), in the order of profiles.

    ``assigned`` persons were given an opportunity; ``unassigned`` counts the others by
    reason; ``places_used`` totals the places used per opportunity (most used first).
    """

    persons: list[BatchPerson]
    total_score: float
    assigned: int = 0
    unassigned: list[UnassignedCount] = Field(default_factory=list)
    places_used: list[PlacesUsed] = Field(default_factory=list)


def estimated_share(items: Sequence[MatchItem]) -> float:
    """Share of ``items`` whose trip is estimated, rounded to 1e-4 (0 for none)."""
    if not items:
        return 0.0
    return round(sum(item.travel.estimated for item in items) / len(items), 4)


FAR_MINUTES: Final = 240.0
"""How far, in minutes, the nearest carrier of a need is looked for when none is within the
person's budgets (`graph.matching.far`); beyond it, the trip is said « plus de 4 h »."""


def site_ref(
    site: PartnerSite,
    mode: TravelMode | None,
    minutes: float,
    *,
    estimated: bool,
    reachable: bool,
    budget: float | None = None,
) -> SiteRef:
    """A site and the trip to it; ``mode`` and ``minutes`` are left out when ``minutes`` is inf.

    ``budget`` is the budget of ``mode`` (minutes), said when the site lies beyond it.
    """
    known = math.isfinite(minutes)
    return SiteRef(
        id=site.id,
        name=site.name,
        kind=site.kind,
        mode=mode if known else None,
        minutes=round(minutes, 1) if known else None,
        estimated=estimated,
        reachable=reachable,
        available_places=site.available_places,
        address=site.address,
        phone=site.phone,
        email=site.email,
        opening_hours=site.opening_hours,
        access=access_text(mode if known else None, minutes, estimated, reachable, budget),
    )


def access_text(
    mode: TravelMode | None,
    minutes: float,
    estimated: bool,
    reachable: bool,
    budget: float | None,
) -> str:
    """The trip to a site in French, saying when it lies beyond the person's budget."""
    if mode is None or not math.isfinite(minutes):
        trip = f"à plus de {decimal(FAR_MINUTES / 60)} h de trajet"
    else:
        trip = f"à {minutes:.0f} min {MODE_LABELS[mode]}" + (" (estimation)" if estimated else "")
    if reachable:
        return trip
    limit = f" ({decimal(budget)} min au plus)" if budget is not None and mode is not None else ""
    return f"{trip} : au-delà de votre temps de trajet{limit}"
