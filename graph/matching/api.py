"""`match`: the opportunities one person can reach, explained (a cohort: `cohort`)."""

from __future__ import annotations

from collections.abc import Sequence

from geodata.journeys import TravelTimeModel
from graph.matching.answers import explained_items
from graph.matching.cohort import as_tables
from graph.matching.evaluation import evaluate
from graph.matching.offers import Offer, OfferTable, PartnerSite
from graph.matching.pathways import open_pathways
from graph.matching.profile import Profile
from graph.matching.relations import Relations
from graph.matching.results import MatchResult, estimated_share
from graph.matching.selection import diversify
from graph.matching.support_needs import support_needs
from graph.matching.supports import SupportTable


def match(
    profile: Profile,
    offers: OfferTable | Sequence[Offer],
    supports: SupportTable | Sequence[PartnerSite],
    travel: TravelTimeModel,
    *,
    relations: Relations = frozenset(),
    per_employer: int = 2,
) -> MatchResult:
    """The opportunities one person can reach, explained, with the supports that make them possible.

    Parameters
    ----------
    profile : Profile
        The person's request (never stored).
    offers : OfferTable or sequence of Offer
        The territory's offer; pass an `OfferTable` prepared once to answer in milliseconds.
    supports : SupportTable or sequence of PartnerSite
        Sites that can lift obstacles or carry pathways; an `SupportTable` prepared once.
    travel : geodata.journeys.TravelTimeModel
        Travel times, asked once per mode of the person (the offers' partner sites and the
        support sites in one call), once per crèche tried (at most 4 per mode) when the person
        has children under 3, and once by car when the person travels without a car and is
        not known to have both a licence and a vehicle: at most 21 calls with 4 modes. Each
        call passes its budget (``max_minutes``): the mode's, or by car the person's largest.
        When it is a `geodata.journeys.JourneyModel`, the legs of the items shown are asked
        afterwards (`graph.matching.journeys`): one ``journeys`` call per mode of the direct
        trips shown, and through a crèche one per mode to the crèches used plus one per
        crèche used.
    relations : RelationIndex or collection of (str, str), optional
        Partner relations; those of ``profile.referent_id`` make warm introductions.
    per_employer : int, optional
        Most items per employer (partner, or organisation when known); 2 by default.

    Returns
    -------
    MatchResult
        ``items`` (at most ``profile.limit``, best first, each trip with its journey when
        known), ``pathways``, ``supports``, ``exclusions`` (legal, counted), ``considered``
        and ``reachable`` counts, and the ``estimated_share`` of the items' trips.

    Notes
    -----
    Score (every component in [0, 1], returned in ``components``)::

        score = 0.35 wish + 0.25 travel + 0.15 hours + 0.15 places + 0.10 warm

    - ``wish``: 1 for a wished ROME code, 0.6 same group (3 characters), 0.3 same domain;
      keywords 0.5 + 0.5 x share found in the title (for an ESAT, 0.5 + 0.4 x share found in
      its activities); the better of both; 0.5 with no wish;
    - ``travel``: 1 - minutes / max_minutes of the reported trip (0 at the budget); 0 when
      children need a crèche and none was found on the way;
    - ``hours``: the share of the offer's hours the person can cover, within their
      availability and their wished hours at most (``min(offer, available, wished max) /
      offer``), 0.5 when unknown;
    - ``places``: 1 open places, 0.5 unknown, 0 full for now;
    - ``warm``: 1 when the referent structure is related to the partner.

    The wish weighs most because the approach starts from the person's wishes; travel next,
    as a job too far is not held; hours and places say whether it can start; a warm
    introduction helps but should not outrank a better fit. Obstacles never lower the score:
    they are shown with their supports. Order: offers matching a wish first (when wishes are
    given), then score, then minutes, then opportunity id.
    """
    if per_employer < 1:
        raise ValueError("per_employer doit valoir au moins 1")
    table, sites, index = as_tables(offers, supports, relations)
    evaluation = evaluate(profile, table, sites, travel, index)
    chosen = diversify(evaluation, profile.limit, per_employer)
    explained = explained_items(evaluation, chosen, travel)
    items = [explained[position] for position in chosen]
    return MatchResult(
        items=items,
        pathways=open_pathways(evaluation),
        supports=support_needs(evaluation, items),
        exclusions=evaluation.exclusions,
        considered=evaluation.considered,
        reachable=len(evaluation.candidates),
        estimated_share=estimated_share(items),
    )
