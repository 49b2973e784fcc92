"""Matching: the opportunities a person can reach, explained, with the supports that open them.

"Emploi d'abord" (domain.md §3): start from the person's wishes, cross them with the territory's
offer, show every obstacle with the partner who can lift it, and never drop an opportunity for
a "frein". Only the legal conditions of `graph.eligibility` exclude; every exclusion is counted
and explained.

How a request is answered (`match`)
-----------------------------------
1. **Wished kinds** — the kinds of opportunity the person asked for (all when none given).
2. **Legal conditions** (`graph.eligibility`) — work authorisation, TAPAJ and youth-programme
   ages, CDAPH orientation for ESAT, RQTH for EA/EATT, IAE criteria for SIAE hires. ``FAIL``
   excludes (counted in `MatchResult.exclusions`), ``CHECK`` keeps the offer with an obstacle
   saying what must be checked and who can check it.
3. **Travel** — one call of the `geodata.journeys.TravelTimeModel` per mode of the person,
   within that mode's budget, covering every partner site offering a wished kind (offers share
   their partner's site) and every support site. An offer is reachable when some mode reaches
   it within that mode's budget; the mode with the smallest ``minutes / max_minutes`` is
   reported. Offers no mode reaches are not proposed; when a car would reach them and the
   person has none, they are counted in a mobility support (one more call, by car, within the
   person's largest budget).
4. **Childcare chain** — when the person has children under 3, the trip is home → crèche →
   work through the best crèche with a free place and opening hours that cover the job's
   (AVIP first, then micro-crèches d'insertion, then other crèches; nearest first): per mode,
   the 3 best such crèches in reach and the nearest one are tried, one call each from the
   crèche to every partner, adding `DROP_OFF_MINUTES` at the crèche.
5. **Score** — ``score = 0.35 wish + 0.25 travel + 0.15 hours + 0.15 places + 0.10 warm``
   (see `WEIGHTS` and `ScoreWeights`), every component in [0, 1] and returned with the item.
6. **Diversity** — at most ``per_employer`` items per employer; offers matching a wish before
   the others; kinds mixed by a penalty of 0.03 per item of the same kind already taken;
   ties broken by score, then minutes, then opportunity id.
7. **Explanations** — reasons, obstacles with the nearest reachable supports, pathways the
   situation opens (PHC, TAPAJ, Convergence, AAVA, French, MDPH), and a summary of supports.
8. **Journeys** — the legs of the trips shown (walk to the stop, wait, ride, walk, the crèche
   drop-off), asked of a `geodata.journeys.JourneyModel` for the shown items only; a trip is
   ``estimated`` as soon as one leg is, and the result says the ``estimated_share`` of its
   items.

Everything is vectorised over column arrays: prepare the offer set once with
`OfferTable.from_offers` and the support sites with `SupportTable.from_sites`, keep them in
memory, and pass them to every request. Coordinates are EPSG:4326 longitude/latitude in
degrees, times in minutes, working time in hours per week. Nothing is stored or logged: the
profile lives for one call.

Modules, in the order a request goes through them
-------------------------------------------------
``profile`` (the request), ``offers`` and ``supports`` (the territory, prepared once),
``relations``, ``legal`` (step 2), ``travel`` (step 3), ``childcare`` (step 4), ``scoring``
(step 5), ``evaluation`` (steps 1 to 5 for one request), ``selection`` (step 6),
``explanations``, ``obstacles``, ``pathways``, ``support_needs`` and ``nearest`` (step 7),
``journeys`` (step 8), ``results`` (what is returned), ``api`` (`match`) and ``cohort``
(`match_batch`); ``schedules`` and ``text`` are helpers.
"""

from graph.matching.api import match
from graph.matching.childcare import DROP_OFF_MINUTES
from graph.matching.cohort import match_batch
from graph.matching.offers import Offer, OfferTable, PartnerSite
from graph.matching.profile import Needs, Profile, TravelMode, Wishes
from graph.matching.relations import RelationIndex, Relations
from graph.matching.results import (
    BatchPerson,
    BatchResult,
    Components,
    Exclusion,
    MatchItem,
    MatchResult,
    Obstacle,
    ObstacleKind,
    OpportunityView,
    PartnerView,
    Pathway,
    PlacesUsed,
    SiteRef,
    SupportNeed,
    Trip,
    Unassigned,
    UnassignedCount,
)
from graph.matching.scoring import WEIGHTS, ScoreWeights
from graph.matching.supports import SupportTable

__all__ = [
    "DROP_OFF_MINUTES",
    "WEIGHTS",
    "BatchPerson",
    "BatchResult",
    "Components",
    "Exclusion",
    "MatchItem",
    "MatchResult",
    "Needs",
    "Obstacle",
    "ObstacleKind",
    "Offer",
    "OfferTable",
    "OpportunityView",
    "PartnerSite",
    "PartnerView",
    "Pathway",
    "PlacesUsed",
    "Profile",
    "RelationIndex",
    "Relations",
    "ScoreWeights",
    "SiteRef",
    "SupportNeed",
    "SupportTable",
    "TravelMode",
    "Trip",
    "Unassigned",
    "UnassignedCount",
    "Wishes",
    "match",
    "match_batch",
]
