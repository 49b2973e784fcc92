"""What a match returns: items, trips, obstacles, pathways, supports and exclusions.

Pydantic models (frozen, JSON-ready); minutes are rounded to 0.1, scores to 1e-4. These models
are the response bodies of ``/v1/matches``: renaming a field changes the HTTP contract.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from geodata.journeys import Journey
from geodata.modes import TravelMode
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


class SiteRef(_Out):
    """A partner site with the trip to it from the person's origin.

    ``reachable`` is ``False`` when no mode reaches it within its budget (then ``mode`` and
    ``minutes`` describe the quickest trip, if any): nothing is claimed reachable that is not.
    """

    id: str
    name: str
    kind: str
    mode: TravelMode | None = None
    minutes: float | None = Field(None, description="minutes")
    estimated: bool = False
    reachable: bool = True
    available_places: int | None = None


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


class PartnerView(_Out):
    """The partner offering the opportunity."""

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
    """A support the proposals call for (``items`` of them), with the nearest partners."""

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


class BatchPerson(_Out):
    """One person of a batch: the assigned opportunity (if any) and the next best ones."""

    assigned: MatchItem | None
    alternatives: list[MatchItem]


class BatchResult(_Out):
    """Optimal assignment of a cohort (`graph.assignment.assign`), in the order of profiles."""

    persons: list[BatchPerson]
    total_score: float


def estimated_share(items: Sequence[MatchItem]) -> float:
    """Share of ``items`` whose trip is estimated, rounded to 1e-4 (0 for none)."""
    if not items:
        return 0.0
    return round(sum(item.travel.estimated for item in items) / len(items), 4)


def site_ref(
    site: PartnerSite, mode: TravelMode | None, minutes: float, *, estimated: bool, reachable: bool
) -> SiteRef:
    """A site and the trip to it; ``mode`` and ``minutes`` are left out when ``minutes`` is inf."""
    return SiteRef(
        id=site.id,
        name=site.name,
        kind=site.kind,
        mode=mode if math.isfinite(minutes) else None,
        minutes=round(minutes, 1) if math.isfinite(minutes) else None,
        estimated=estimated,
        reachable=reachable,
        available_places=site.available_places,
    )
