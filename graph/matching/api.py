"""`match` and `match_batch`: one person, or a cohort assigned under the places."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geodata.journeys import TravelTimeModel
from graph.assignment import assign
from graph.matching.evaluation import evaluate
from graph.matching.explanations import explained_item
from graph.matching.journeys import shown_journeys
from graph.matching.nearest import reach_far
from graph.matching.offers import Offer, OfferTable, PartnerSite
from graph.matching.pathways import open_pathways
from graph.matching.profile import Profile
from graph.matching.relations import RelationIndex, Relations
from graph.matching.results import BatchPerson, BatchResult, MatchResult, estimated_share
from graph.matching.selection import diversify, order_candidates
from graph.matching.support_needs import support_needs
from graph.matching.supports import SupportTable


def _as_tables(
    offers: OfferTable | Sequence[Offer],
    supports: SupportTable | Sequence[PartnerSite],
    relations: Relations,
) -> tuple[OfferTable, SupportTable, RelationIndex]:
    table = offers if isinstance(offers, OfferTable) else OfferTable(offers)
    sites = supports if isinstance(supports, SupportTable) else SupportTable(supports)
    index = relations if isinstance(relations, RelationIndex) else RelationIndex(relations)
    return table, sites, index


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
    table, sites, index = _as_tables(offers, supports, relations)
    evaluation = evaluate(profile, table, sites, travel, index)
    reach_far(evaluation, travel)
    chosen = diversify(evaluation, profile.limit, per_employer)
    journeys = shown_journeys(evaluation, chosen, travel)
    items = [explained_item(evaluation, position, journeys[position]) for position in chosen]
    return MatchResult(
        items=items,
        pathways=open_pathways(evaluation),
        supports=support_needs(evaluation, items),
        exclusions=evaluation.exclusions,
        considered=evaluation.considered,
        reachable=len(evaluation.candidates),
        estimated_share=estimated_share(items),
    )


def match_batch(
    profiles: Sequence[Profile],
    offers: OfferTable | Sequence[Offer],
    supports: SupportTable | Sequence[PartnerSite],
    travel: TravelTimeModel,
    *,
    relations: Relations = frozenset(),
    alternatives: int = 3,
) -> BatchResult:
    """Assign a cohort to opportunities, maximising the total score under the places.

    Each profile is evaluated as in `match` (same legal conditions, trips and scores); then
    `graph.assignment.assign` finds the assignment with the largest total score in which no
    opportunity receives more persons than its places (unknown places count as 1: the cohort
    does not flood an offer whose capacity is not known; full offers take no one). Each
    person's ``m`` best candidates are kept (``m`` = cohort size, at least ``alternatives +
    1``), which keeps the assignment exact (see `graph.assignment`).

    Parameters
    ----------
    profiles : sequence of Profile
        The cohort (the service bounds it, e.g. to 200).
    offers, supports, travel, relations
        As in `match`.
    alternatives : int, optional
        Next best opportunities to return per person (by score, assigned one excluded).

    Returns
    -------
    BatchResult
        One `BatchPerson` per profile, in order, and the total score of the assignment.
    """
    table, sites, index = _as_tables(offers, supports, relations)
    evaluations = [evaluate(p, table, sites, travel, index) for p in profiles]
    keep = max(len(profiles), alternatives + 1)
    kept = [order_candidates(ev, np.arange(len(ev.candidates)))[:keep] for ev in evaluations]
    columns = np.unique(
        np.concatenate([ev.candidates[k] for ev, k in zip(evaluations, kept, strict=True)])
        if kept
        else np.zeros(0, dtype=np.int64)
    ).astype(np.int64)
    scores = np.full((len(profiles), len(columns)), np.nan)
    position_of: list[dict[int, int]] = []
    for row, (ev, positions) in enumerate(zip(evaluations, kept, strict=True)):
        cols = np.searchsorted(columns, ev.candidates[positions])
        scores[row, cols] = ev.score[positions]
        position_of.append(dict(zip(cols.tolist(), positions.tolist(), strict=True)))
    places = np.nan_to_num(table.places[columns], nan=1.0).astype(np.int64)
    result = assign(scores, places)
    persons = []
    for row, (ev, alternative_columns) in enumerate(
        zip(evaluations, result.top_alternatives(alternatives), strict=True)
    ):
        column = int(result.offer_of[row])
        shown = [position_of[row][int(c)] for c in alternative_columns]
        assigned_at = position_of[row][column] if column >= 0 else None
        journeys = shown_journeys(
            ev, [*shown, *([] if assigned_at is None else [assigned_at])], travel
        )
        persons.append(
            BatchPerson(
                assigned=None
                if assigned_at is None
                else explained_item(ev, assigned_at, journeys[assigned_at]),
                alternatives=[explained_item(ev, p, journeys[p]) for p in shown],
            )
        )
    return BatchResult(persons=persons, total_score=round(result.total_score, 4))
